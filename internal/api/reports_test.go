package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

type reportJSON struct {
	ID         int64
	MessageID  int64  `json:"message_id"`
	ReporterID *int64 `json:"reporter_id"`
	Reason     *string
	Status     string
	Resolution *string
	Message    *messageJSON
	Relation   string
	ChildID    *int64 `json:"child_id"`
}

type auditJSON struct {
	Action string
	Before map[string]any `json:"before_json"`
	After  map[string]any `json:"after_json"`
}

func TestReports(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	approveLink(fa, a, fb, b)
	conv := createDirect(a, b.UserID).ID
	m := mustSend(t, b, conv, "you are MEAN-TEXT")
	reportPath := fmt.Sprintf("/messages/%d/report", m.ID)

	// Admins read a conversation only once something in it is reported.
	wantStatus(t, admin.Do("GET", fmt.Sprintf("/conversations/%d", conv), nil), 404, "not_found")

	var rep reportJSON
	a.Must(201, "POST", reportPath, map[string]string{"reason": "REASON-TEXT bully"}, &rep)
	if rep.Status != "open" || *rep.ReporterID != a.UserID || *rep.Reason != "REASON-TEXT bully" {
		t.Fatalf("report: %+v", rep)
	}
	wantStatus(t, a.Do("POST", reportPath, map[string]string{"reason": "again"}), 409, "conflict")
	fa.Parent.Must(201, "POST", reportPath, map[string]string{"reason": "my child was upset"}, nil)
	wantStatus(t, fc.Parent.Do("POST", reportPath, map[string]string{"reason": "x"}), 404, "not_found")
	wantStatus(t, admin.Do("POST", reportPath, map[string]string{"reason": "x"}), 403, "forbidden")
	for _, bad := range []any{map[string]string{"reason": ""}, map[string]string{"reason": strings.Repeat("r", 1001)},
		map[string]string{"reason": "a\x00"}, map[string]any{"reason": 3}, map[string]string{"why": "x"}} {
		if r := fb.Parent.Do("POST", reportPath, bad); r.Status != 400 || r.ErrorField() == "" {
			t.Errorf("report %v: %d %s", bad, r.Status, r.Body)
		}
	}

	// The reporting child's parent is told: their list holds the child's
	// report and their own (both concern their child). The reported
	// child's parent sees both as about their child, without reporter or
	// reason; the reported child sees none, the third family none.
	for _, tc := range []struct {
		who  *apitest.Client
		path string
		want string
	}{
		{a, "/reports", "filed_by_you"},
		{fa.Parent, "/reports", "filed_by_you filed_by_child"},
		{fa.Parent, fmt.Sprintf("/reports?child_id=%d", a.UserID), "filed_by_you filed_by_child"},
		{fb.Parent, "/reports", "about_child about_child"},
		{fb.Parent, fmt.Sprintf("/reports?child_id=%d", b.UserID), "about_child about_child"},
		{b, "/reports", ""},
		{fc.Parent, "/reports", ""},
	} {
		var list pageJSON[reportJSON]
		tc.who.Must(200, "GET", tc.path, nil, &list)
		var got []string
		for _, r := range list.Items {
			got = append(got, r.Relation)
			if hidden := r.Relation == "about_child"; hidden != (r.Reason == nil) || hidden != (r.ReporterID == nil) {
				t.Errorf("%s as %d: %s report shows reporter %v, reason %v", tc.path, tc.who.UserID, r.Relation, r.ReporterID, r.Reason)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s as %d: %q, want %q", tc.path, tc.who.UserID, got, tc.want)
		}
	}
	wantStatus(t, fb.Parent.Do("GET", fmt.Sprintf("/reports?child_id=%d", a.UserID), nil), 404, "not_found")

	// The admins' queue shows the message in full.
	var queue pageJSON[reportJSON]
	admin.Must(200, "GET", "/admin/reports?status=open", nil, &queue)
	if len(queue.Items) != 2 || queue.Items[0].Message == nil || *queue.Items[0].Message.Content != "you are MEAN-TEXT" {
		t.Fatalf("queue: %+v", queue)
	}
	wantStatus(t, admin.Do("GET", "/admin/reports?status=maybe", nil), 400, "invalid")
	if c := getConversation(admin, conv); !c.ReadOnly {
		t.Fatalf("admin's view: %+v", c)
	}

	// Resolving with deletion: members see a tombstone, parents and admins
	// the text.
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID), map[string]string{"resolution": "message_deleted"}, &rep)
	if rep.Status != "resolved" || *rep.Resolution != "message_deleted" {
		t.Fatalf("resolved: %+v", rep)
	}
	wantStatus(t, admin.Do("POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID), map[string]string{"resolution": "dismissed"}), 409, "conflict")
	wantStatus(t, admin.Do("POST", fmt.Sprintf("/admin/reports/%d/resolve", queue.Items[0].ID), map[string]string{"resolution": "banned"}), 400, "invalid")
	if got := history(a, conv)[0]; !got.Deleted || got.Content != nil {
		t.Fatalf("member sees %+v", got)
	}
	for _, c := range []*apitest.Client{admin, fa.Parent, fb.Parent} {
		if got := history(c, conv)[0]; !got.Deleted || got.Content == nil {
			t.Fatalf("%d sees %+v", c.UserID, got)
		}
	}
	admin.Must(200, "GET", "/admin/reports?status=resolved", nil, &queue)
	if len(queue.Items) != 1 {
		t.Fatalf("resolved queue: %+v", queue)
	}

	// Audited, naming the children, never with message text or reasons.
	var audits pageJSON[auditJSON]
	admin.Must(200, "GET", "/admin/audit-logs?limit=200", nil, &audits)
	got := map[string][]any{}
	for _, e := range audits.Items {
		got[e.Action] = append(got[e.Action], e.After["child_id"])
	}
	for action, want := range map[string]string{
		"report.create":  fmt.Sprint([]any{float64(a.UserID), float64(a.UserID)}),
		"report.resolve": fmt.Sprint([]any{float64(a.UserID)}),
		"message.delete": fmt.Sprint([]any{float64(b.UserID)}),
	} {
		if fmt.Sprint(got[action]) != want {
			t.Errorf("%s audited with child_id %v, want %s", action, got[action], want)
		}
	}
	assertAuditClean(t, env, "MEAN-TEXT", "REASON-TEXT", "upset")
}

// assertAuditClean fails t if any audit record holds one of the strings.
func assertAuditClean(t *testing.T, env *apitest.Env, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		var n int
		err := env.DB.Pool.QueryRow(context.Background(), `
			SELECT count(*) FROM audit_logs
			WHERE strpos(coalesce(before_json::text, '') || coalesce(after_json::text, ''), $1) > 0`, s).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			t.Errorf("%d audit records hold %q", n, s)
		}
	}
}

func TestMessageDeletion(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	link := approveLink(fa, a, fb, b)
	conv := createDirect(a, b.UserID).ID
	mine := mustSend(t, a, conv, "oops SECRET-DELETED")
	theirs := mustSend(t, b, conv, "hi")

	// The other member may not delete; the sender may, unaudited.
	wantStatus(t, a.Do("DELETE", fmt.Sprintf("/messages/%d", theirs.ID), nil), 403, "forbidden")
	wantStatus(t, fa.Parent.Do("DELETE", fmt.Sprintf("/messages/%d", theirs.ID), nil), 403, "forbidden")
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", mine.ID), nil, nil)
	a.Must(204, "DELETE", fmt.Sprintf("/messages/%d", mine.ID), nil, nil) // again: nothing to do
	for _, c := range []*apitest.Client{a, b} {
		for _, m := range history(c, conv) {
			if m.ID == mine.ID && (m.Content != nil || !m.Deleted) {
				t.Fatalf("member %d sees %+v", c.UserID, m)
			}
		}
	}
	// An admin deletes anything, audited.
	admin.Must(204, "DELETE", fmt.Sprintf("/messages/%d", theirs.ID), nil, nil)
	var audits pageJSON[auditJSON]
	admin.Must(200, "GET", "/admin/audit-logs?action=message.delete", nil, &audits)
	if len(audits.Items) != 1 || audits.Items[0].After["child_id"] != float64(b.UserID) {
		t.Fatalf("audit: %+v", audits)
	}
	// System messages stay.
	fb.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", link), nil, nil)
	sys := history(a, conv)[0]
	wantStatus(t, admin.Do("DELETE", fmt.Sprintf("/messages/%d", sys.ID), nil), 409, "conflict")
	wantStatus(t, b.Do("DELETE", "/messages/999999", nil), 404, "not_found")
	assertAuditClean(t, env, "SECRET-DELETED")
}

// TestResolveWithoutBody: SPEC §11 gives resolve no body; without one the
// report is dismissed.
func TestResolveWithoutBody(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	approveLink(fa, a, fb, b)
	m := mustSend(t, b, createDirect(a, b.UserID).ID, "hello")
	var rep reportJSON
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", m.ID), map[string]string{"reason": "spam"}, &rep)
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID), nil, &rep)
	if rep.Status != "resolved" || rep.Resolution == nil || *rep.Resolution != "dismissed" {
		t.Fatalf("resolved without a body: %+v", rep)
	}
}
