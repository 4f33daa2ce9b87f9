package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// restReport is report id as c's GET /reports lists it (nil when it does
// not).
func restReport(t *testing.T, c *apitest.Client, id int64) []byte {
	t.Helper()
	var list struct{ Items []json.RawMessage }
	c.Must(200, "GET", "/reports?limit=200", nil, &list)
	for _, raw := range list.Items {
		var r struct{ ID int64 }
		json.Unmarshal(raw, &r)
		if r.ID == id {
			return raw
		}
	}
	return nil
}

// noReportEvent asserts no report.* frame reaches s for d (other frames,
// such as a deleted message's, may).
func noReportEvent(t *testing.T, s *apitest.Socket, who string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		f, err := s.Next(time.Until(deadline))
		if err != nil {
			return
		}
		if strings.HasPrefix(f.Type, "report.") {
			t.Errorf("%s got %s %s", who, f.Type, f.Data)
		}
	}
}

// TestLiveReports: a report, filed and then resolved, reaches every family
// account whose GET /reports lists it (the reporter, the reporting child's
// parent, the reported child's parent) as that list shows it, live: the
// reported child's parent without reporter or reason. The reported child
// and strangers hear nothing, and nobody hears the moderator's note. Once
// a child is deleted, their parent is no longer told about reports by or
// about them; the other family still is, and resolving works.
func TestLiveReports(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, stranger := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	approveLink(fa, a, fb, b)
	conv := createDirect(a, b.UserID).ID
	mean := mustSend(t, b, conv, "mean SECRET-WORDS")
	sa, sb, spa, spb, spx := a.Socket(""), b.Socket(""), fa.Parent.Socket(""), fb.Parent.Socket(""), stranger.Parent.Socket("")
	for _, s := range []*apitest.Socket{sa, sb, spa, spb, spx} {
		defer s.Close()
	}
	told := []struct {
		s        *apitest.Socket
		c        *apitest.Client
		relation string
	}{{sa, a, "filed_by_you"}, {spa, fa.Parent, "filed_by_child"}, {spb, fb.Parent, "about_child"}}
	expect := func(typ string, id int64, status string) {
		t.Helper()
		for _, w := range told {
			f := nextOf(t, w.s, typ)
			sameJSON(t, fmt.Sprintf("%s to %d", typ, w.c.UserID), f.Data, restReport(t, w.c, id))
			var got reportJSON
			json.Unmarshal(f.Data, &got)
			if got.ID != id || got.Relation != w.relation || got.Status != status || strings.Contains(string(f.Data), "SECRET") {
				t.Errorf("%s to %d: %s", typ, w.c.UserID, f.Data)
			}
			if (w.relation == "about_child") != (got.Reason == nil && got.ReporterID == nil) {
				t.Errorf("%s to %d shows reporter or reason: %s", typ, w.c.UserID, f.Data)
			}
		}
	}

	var rep reportJSON
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", mean.ID), map[string]string{"reason": "REASON mean"}, &rep)
	expect("report.filed", rep.ID, "open")
	// The moderator's note is theirs: no event carries it (expect checks
	// for SECRET).
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID),
		map[string]string{"resolution": "message_deleted", "note": "SECRET-NOTE second time"}, nil)
	expect("report.resolved", rep.ID, "resolved")
	noReportEvent(t, sb, "the reported child", 300*time.Millisecond)
	noReportEvent(t, spx, "a stranger", 0)

	// Two more reports, one each way; then child a's account is deleted.
	byA, byB := mustSend(t, b, conv, "again"), mustSend(t, a, conv, "mine")
	var repByA, repByB reportJSON
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", byA.ID), map[string]string{"reason": "again"}, &repByA)
	b.Must(201, "POST", fmt.Sprintf("/messages/%d/report", byB.ID), map[string]string{"reason": "theirs"}, &repByB)
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", a.UserID), nil, nil)
	if got := restReport(t, fa.Parent, repByA.ID); got != nil {
		t.Errorf("a's parent still lists a deleted child's report: %s", got)
	}
	for _, c := range []struct {
		id       int64
		relation string
	}{{repByA.ID, "about_child"}, {repByB.ID, "filed_by_child"}} {
		admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", c.id), map[string]string{"resolution": "dismissed"}, nil)
		f := nextOf(t, spb, "report.resolved")
		sameJSON(t, "report.resolved to b's parent", f.Data, restReport(t, fb.Parent, c.id))
		var got reportJSON
		json.Unmarshal(f.Data, &got)
		if got.ID != c.id || got.Relation != c.relation {
			t.Errorf("report.resolved to b's parent: %s, want %d %s", f.Data, c.id, c.relation)
		}
	}
	for {
		f, err := spa.Next(300 * time.Millisecond)
		if err != nil {
			break
		}
		if f.Type == "report.resolved" {
			t.Errorf("a's parent told of a report of their deleted child: %s", f.Data)
		}
	}
}
