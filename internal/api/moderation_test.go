package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// personJSON is store.Person as the admin API shows it.
type personJSON struct {
	ID          int64
	DisplayName string `json:"display_name"`
	Login       string
	Role        string
	Suspended   bool
	ParentName  *string `json:"parent_display_name"`
}

type queueReportJSON struct {
	reportJSON
	Reporter      *personJSON
	Sender        *personJSON
	SenderEarlier int `json:"sender_earlier_reports"`
}

type reportDetailJSON struct {
	queueReportJSON
	Context        []messageJSON
	People         map[string]personJSON
	EarlierReports []queueReportJSON `json:"earlier_reports"`
}

// moderationWorld is two linked children, A's and B's, whose direct chat
// holds 14 messages (B sends the odd ones), with B's messages interleaved
// into a second chat B has with C's child, so that a context that crossed
// conversations would show.
type moderationWorld struct {
	admin        *apitest.Client
	fa, fb, fc   *apitest.Family
	a, b         *apitest.Client
	conv, other  int64
	msgs, others []messageJSON
}

func newModerationWorld(t *testing.T, env *apitest.Env) *moderationWorld {
	t.Helper()
	w := &moderationWorld{admin: env.Admin()}
	w.fa, w.fb, w.fc = env.Family(w.admin, 1), env.Family(w.admin, 1), env.Family(w.admin, 1)
	w.a, w.b = w.fa.Child(), w.fb.Child()
	approveLink(w.fa, w.a, w.fb, w.b)
	approveLink(w.fb, w.b, w.fc, w.fc.Child())
	w.conv = createDirect(w.a, w.b.UserID).ID
	w.other = createDirect(w.b, w.fc.Child().UserID).ID
	for i := range 14 {
		from := w.a
		if i%2 == 1 {
			from = w.b
		}
		w.msgs = append(w.msgs, mustSend(t, from, w.conv, fmt.Sprintf("line %d", i)))
		w.others = append(w.others, mustSend(t, w.b, w.other, fmt.Sprintf("elsewhere %d", i)))
	}
	return w
}

func contextIDs(msgs []messageJSON) []int64 {
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

func idsOf(msgs []messageJSON, from, to int) []int64 { return contextIDs(msgs[from:to]) }

// TestReportQueueNamesAndContext: the queue names the reporter and the
// sender with their families and counts the sender's earlier reports;
// a report's detail holds five messages each side of the reported one, of
// its own conversation only, deleted ones with their content, and the
// earlier reports about the sender.
func TestReportQueueNamesAndContext(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newModerationWorld(t, env)
	// An earlier report about B, in the other chat, by C's parent; then
	// A's about message 7 (B's), after B deleted message 5.
	first := reportAs(t, w.fc.Parent, w.others[2].ID, "rude elsewhere")
	w.b.Must(204, "DELETE", fmt.Sprintf("/messages/%d", w.msgs[5].ID), nil, nil)
	rep := reportAs(t, w.a, w.msgs[7].ID, "he keeps saying mean things")

	var queue pageJSON[queueReportJSON]
	w.admin.Must(200, "GET", "/admin/reports?status=open", nil, &queue)
	if len(queue.Items) != 2 || queue.Items[0].ID != rep || queue.Items[1].ID != first {
		t.Fatalf("queue: %+v", queue.Items)
	}
	q := queue.Items[0]
	aName, bName, aParent, bParent := "Kid "+w.a.Login, "Kid "+w.b.Login, "Parent "+w.fa.Parent.Login, "Parent "+w.fb.Parent.Login
	if q.Reporter == nil || q.Reporter.DisplayName != aName || q.Reporter.Login != w.a.Login || q.Reporter.ParentName == nil || *q.Reporter.ParentName != aParent {
		t.Errorf("reporter: %+v", q.Reporter)
	}
	if q.Sender == nil || q.Sender.ID != w.b.UserID || q.Sender.DisplayName != bName || q.Sender.Role != "CHILD" || *q.Sender.ParentName != bParent {
		t.Errorf("sender: %+v", q.Sender)
	}
	if q.SenderEarlier != 1 || queue.Items[1].SenderEarlier != 0 {
		t.Errorf("earlier reports about the sender: %d and %d, want 1 and 0", q.SenderEarlier, queue.Items[1].SenderEarlier)
	}
	if q.Reason == nil || *q.Reason != "he keeps saying mean things" || queue.Items[1].Reporter.ParentName != nil {
		t.Errorf("reason %v, an adult reporter's family %v", q.Reason, queue.Items[1].Reporter.ParentName)
	}

	var d reportDetailJSON
	w.admin.Must(200, "GET", fmt.Sprintf("/admin/reports/%d", rep), nil, &d)
	if got, want := contextIDs(d.Context), idsOf(w.msgs, 2, 13); !slices.Equal(got, want) {
		t.Errorf("context %v, want messages 2..12 %v", got, want)
	}
	if m := d.Context[3]; !m.Deleted || m.Content == nil || *m.Content != "line 5" {
		t.Errorf("the deleted message in the context: %+v", m)
	}
	if p := d.People[itoa(w.a.UserID)]; p.DisplayName != aName || d.People[itoa(w.b.UserID)].DisplayName != bName {
		t.Errorf("people: %+v", d.People)
	}
	if d.Sender == nil || d.Sender.DisplayName != bName || d.Reason == nil || d.SenderEarlier != 1 {
		t.Errorf("detail's report: %+v", d.queueReportJSON)
	}
	if len(d.EarlierReports) != 1 || d.EarlierReports[0].ID != first || *d.EarlierReports[0].Reason != "rude elsewhere" {
		t.Errorf("earlier reports: %+v", d.EarlierReports)
	}

	// At the edges of a chat: nothing before the first message, five after.
	edge := reportAs(t, w.b, w.msgs[0].ID, "first")
	w.admin.Must(200, "GET", fmt.Sprintf("/admin/reports/%d", edge), nil, &d)
	if got, want := contextIDs(d.Context), idsOf(w.msgs, 0, 6); !slices.Equal(got, want) {
		t.Errorf("context of the first message %v, want %v", got, want)
	}
	wantStatus(t, w.admin.Do("GET", "/admin/reports/999999", nil), 404, "not_found")
	wantStatus(t, w.admin.Do("GET", "/admin/reports/x", nil), 404, "not_found")
}

func reportAs(t *testing.T, c *apitest.Client, messageID int64, reason string) int64 {
	t.Helper()
	var rep reportJSON
	c.Must(201, "POST", fmt.Sprintf("/messages/%d/report", messageID), map[string]string{"reason": reason}, &rep)
	return rep.ID
}

// TestResolveWithNoteAndSuspension: bad bodies are refused naming the
// field and change nothing; suspend_sender with a note deletes the
// message, suspends the sender (logged out), and audits both with the
// note, which the families never see; the audit page names the accounts.
func TestResolveWithNoteAndSuspension(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	w := newModerationWorld(t, env)
	rep := reportAs(t, w.a, w.msgs[7].ID, "mean")
	path := fmt.Sprintf("/admin/reports/%d/resolve", rep)
	refusedResolves(t, w, path)

	note := "keeps being mean\nsecond warning"
	var out reportJSON
	w.admin.Must(200, "POST", path, map[string]any{"resolution": "message_deleted", "suspend_sender": true, "note": note}, &out)
	if out.Status != "resolved" || *out.Resolution != "message_deleted" {
		t.Errorf("resolved: %+v", out)
	}
	if r := w.b.Do("GET", "/me", nil); r.Status != 401 {
		t.Errorf("the suspended sender's session answers %d", r.Status)
	}
	if h := history(w.a, w.conv); !slices.ContainsFunc(h, func(m messageJSON) bool { return m.ID == w.msgs[7].ID && m.Deleted }) {
		t.Error("the reported message is not deleted")
	}
	wantStatus(t, w.admin.Do("POST", path, nil), 409, "conflict")

	auditedWithNote(t, w, rep, note)
	// The families read the resolution, never the moderator's note.
	for _, c := range []*apitest.Client{w.a, w.fa.Parent, w.fb.Parent} {
		if r := c.Do("GET", "/reports", nil); r.Status != 200 || strings.Contains(string(r.Body), "second warning") {
			t.Errorf("a family's reports: %d %s", r.Status, r.Body)
		}
	}
	// Nor in the children's exports (both the reporter's and the
	// suspended sender's entries name them).
	for _, ex := range []struct {
		parent *apitest.Client
		child  int64
		entry  string
	}{{w.fa.Parent, w.a.UserID, "report.resolve"}, {w.fb.Parent, w.b.UserID, "user.suspend"}} {
		r := ex.parent.Do("GET", fmt.Sprintf("/children/%d/export", ex.child), nil)
		if r.Status != 200 || strings.Contains(string(r.Body), "second warning") || !strings.Contains(string(r.Body), ex.entry) {
			t.Errorf("export of %d: %d, the note in it: %v", ex.child, r.Status, strings.Contains(string(r.Body), "second warning"))
		}
	}
	// Resolving another report of the suspended sender with suspend_sender
	// leaves them suspended, without a second suspension entry.
	again := reportAs(t, w.a, w.msgs[9].ID, "again")
	w.admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", again), map[string]any{"suspend_sender": true}, nil)
	var suspensions pageJSON[auditJSON]
	w.admin.Must(200, "GET", fmt.Sprintf("/admin/audit-logs?action=user.suspend&entity_id=%d", w.b.UserID), nil, &suspensions)
	if len(suspensions.Items) != 1 {
		t.Errorf("suspensions of the sender: %d, want 1", len(suspensions.Items))
	}
}

// TestSuspendWithNoteAndFamilies: the users list shows each parent's
// children and each child's parent; a suspension from the users list
// takes an optional note, audited.
func TestSuspendWithNoteAndFamilies(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 2)
	lone := env.Family(admin, 0)
	type userJSON struct {
		ID         int64
		Role       string
		ParentName *string `json:"parent_display_name"`
		Children   []struct {
			ID          int64
			DisplayName string `json:"display_name"`
			Login       string
		}
	}
	var users pageJSON[userJSON]
	admin.Must(200, "GET", "/admin/users?limit=100", nil, &users)
	byID := map[int64]userJSON{}
	for _, u := range users.Items {
		byID[u.ID] = u
	}
	p := byID[fam.Parent.UserID]
	if len(p.Children) != 2 || p.Children[0].ID != fam.Children[0].UserID || p.Children[1].Login != fam.Children[1].Login ||
		p.Children[0].DisplayName != "Kid "+fam.Children[0].Login {
		t.Errorf("the parent's children: %+v", p.Children)
	}
	if k := byID[fam.Child().UserID]; k.ParentName == nil || *k.ParentName != "Parent "+fam.Parent.Login || k.Children != nil {
		t.Errorf("the child's family: %+v", k)
	}
	if l := byID[lone.Parent.UserID]; l.Children != nil || l.ParentName != nil {
		t.Errorf("a parent without children: %+v", l)
	}

	path := fmt.Sprintf("/admin/users/%d/suspend", fam.Child().UserID)
	wantStatus(t, admin.Do("POST", path, map[string]any{"note": strings.Repeat("x", 501)}), 400, "invalid")
	wantStatus(t, admin.Do("POST", path, map[string]any{"why": "x"}), 400, "invalid")
	admin.Must(200, "POST", path, map[string]string{"note": "spamming"}, nil)
	var logs pageJSON[auditJSON]
	admin.Must(200, "GET", fmt.Sprintf("/admin/audit-logs?action=user.suspend&entity_id=%d", fam.Child().UserID), nil, &logs)
	if len(logs.Items) != 1 || logs.Items[0].After["note"] != "spamming" {
		t.Errorf("suspension entries: %+v", logs.Items)
	}
	// Without a body, as before: no note.
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", fam.Children[1].UserID), nil, nil)
	logs = pageJSON[auditJSON]{}
	admin.Must(200, "GET", fmt.Sprintf("/admin/audit-logs?action=user.suspend&entity_id=%d", fam.Children[1].UserID), nil, &logs)
	if _, has := logs.Items[0].After["note"]; has {
		t.Errorf("a suspension without a note records one: %v", logs.Items[0].After)
	}
}

// refusedResolves sends bad resolve bodies: each a 400 naming its field
// (an unknown field names none), and the report stays open, its sender
// logged in.
func refusedResolves(t *testing.T, w *moderationWorld, path string) {
	t.Helper()
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"note": strings.Repeat("n", 501)}, "note"},
		{map[string]any{"note": "a\x00b"}, "note"},
		{map[string]any{"note": 3}, "note"},
		{map[string]any{"suspend_sender": "yes"}, "suspend_sender"},
		{map[string]any{"resolution": "sender_suspended"}, "resolution"},
		{map[string]any{"reason": "x"}, ""},
	} {
		r := w.admin.Do("POST", path, tc.body)
		if r.Status != 400 || (tc.field != "" && r.ErrorField() != tc.field) {
			t.Errorf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}
	var still pageJSON[queueReportJSON]
	w.admin.Must(200, "GET", "/admin/reports?status=open", nil, &still)
	if len(still.Items) != 1 || w.b.Do("GET", "/me", nil).Status != 200 {
		t.Fatalf("a refused resolve changed something: %+v", still.Items)
	}
}

// auditedWithNote checks the newest audit entries of a resolve with
// suspend_sender and note: report.resolve and user.suspend carry the
// note, message.delete is there, and the page names the accounts.
func auditedWithNote(t *testing.T, w *moderationWorld, rep int64, note string) {
	t.Helper()
	var logs struct {
		Items []auditJSON
		Names map[string]string
	}
	w.admin.Must(200, "GET", "/admin/audit-logs?limit=5", nil, &logs)
	byAction := map[string]auditJSON{}
	for _, l := range logs.Items {
		byAction[l.Action] = l
	}
	if a := byAction["report.resolve"].After; a["note"] != note || a["sender_suspended"] != true || a["sender_id"] != float64(w.b.UserID) {
		t.Errorf("report.resolve after: %v", a)
	}
	if a := byAction["user.suspend"].After; a["note"] != note || a["report_id"] != float64(rep) || a["suspended"] != true {
		t.Errorf("user.suspend after: %v", a)
	}
	if _, ok := byAction["message.delete"]; !ok {
		t.Error("no message.delete entry")
	}
	if logs.Names[itoa(w.b.UserID)] != "Kid "+w.b.Login || logs.Names[itoa(w.a.UserID)] != "Kid "+w.a.Login || logs.Names[itoa(w.admin.UserID)] != "Admin" {
		t.Errorf("names: %v", logs.Names)
	}
}
