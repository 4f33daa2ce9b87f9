package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// Approvals a parent can judge (issue 21.4).

type approvalJSON struct {
	ChildID          int64     `json:"child_id"`
	OtherChildID     int64     `json:"other_child_id"`
	OtherDisplayName string    `json:"other_display_name"`
	OtherAvatarURL   string    `json:"other_avatar_url"`
	OtherGuardians   []string  `json:"other_guardians"`
	RequestedAt      time.Time `json:"requested_at"`
	CommonContacts   int       `json:"common_contacts"`
}

type judgedContactJSON struct {
	contactJSON
	RequestedBy *int64        `json:"requested_by"`
	BlockedBy   *int64        `json:"blocked_by"`
	CreatedAt   time.Time     `json:"created_at"`
	Approval    *approvalJSON `json:"approval"`
}

// rename sets c's display name.
func rename(c *apitest.Client, name string) {
	c.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": name}, nil)
}

// childRequests has child a ask for a link with child b themself.
func childRequests(a, b *apitest.Client) contactJSON {
	var c contactJSON
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": friendCode(b)}, &c)
	return c
}

// listOf is the caller's GET /contacts, by link id.
func listOf(t *testing.T, c *apitest.Client) map[int64]judgedContactJSON {
	t.Helper()
	var page pageJSON[judgedContactJSON]
	c.Must(200, "GET", "/contacts?limit=100", nil, &page)
	out := map[int64]judgedContactJSON{}
	for _, k := range page.Items {
		out[k.ID] = k
	}
	return out
}

func TestContactApprovalCard(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	mia, sib, ben := fa.Children[0], fa.Children[1], fb.Child()
	rename(fb.Parent, "Anna Weber")
	rename(fa.Parent, "Tom Schulz")
	fb.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", ben.UserID), map[string]string{"display_name": "Ben Weber"}, nil)

	// Friends: c with both (counts), d with both but blocked by Ben (does
	// not), e with Ben only, f with Mia only, g with both but pending on
	// Mia's side (does not).
	fam := func() *apitest.Family { return env.Family(admin, 1) }
	fc, fd, fe, ff, fg := fam(), fam(), fam(), fam(), fam()
	approveLink(fc, fc.Child(), fa, mia)
	approveLink(fc, fc.Child(), fb, ben)
	approveLink(fd, fd.Child(), fa, mia)
	bd := approveLink(fd, fd.Child(), fb, ben)
	ben.Must(200, "POST", fmt.Sprintf("/contacts/%d/block", bd), nil, nil)
	approveLink(fe, fe.Child(), fb, ben)
	approveLink(ff, ff.Child(), fa, mia)
	approveLink(fg, fg.Child(), fb, ben)
	requestLink(fg, fg.Child(), mia)

	link := childRequests(ben, mia)
	// It has waited three days.
	if _, err := env.DB.Pool.Exec(context.Background(),
		`UPDATE contacts SET created_at = created_at - interval '3 days' WHERE id = $1`, link.ID); err != nil {
		t.Fatal(err)
	}

	r := fa.Parent.Must(200, "GET", "/contacts?child_id="+itoa(mia.UserID), nil, nil)
	got := listOf(t, fa.Parent)[link.ID]
	a := got.Approval
	if a == nil {
		t.Fatalf("no approval on the pending link: %s", r.Body)
	}
	want := approvalJSON{ChildID: mia.UserID, OtherChildID: ben.UserID, OtherDisplayName: "Ben Weber",
		OtherAvatarURL: fmt.Sprintf("/api/v1/profiles/%d/avatar", ben.UserID), OtherGuardians: []string{"Anna Weber"},
		RequestedAt: got.CreatedAt, CommonContacts: 1}
	if fmt.Sprint(*a) != fmt.Sprint(want) {
		t.Fatalf("approval\n got  %+v\n want %+v", *a, want)
	}
	if waited := time.Since(a.RequestedAt); waited < 71*time.Hour || waited > 73*time.Hour {
		t.Fatalf("requested_at %s: waited %s, want 3 days", a.RequestedAt, waited)
	}
	// Nothing more of the other family: no login name, no email.
	for _, secret := range []string{ben.Login, fb.Parent.Login, `"parent_id"`, `"email"`, `"login"`} {
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("the list shows %q: %s", secret, r.Body)
		}
	}
	// The avatar behind the URL is the parent's to see while it waits.
	fa.Parent.Must(200, "GET", strings.TrimPrefix(a.OtherAvatarURL, "/api/v1"), nil, nil)

	// Ben's parent judges Mia the same way; the children never see it.
	b := listOf(t, fb.Parent)[link.ID].Approval
	if b == nil || b.ChildID != ben.UserID || b.OtherChildID != mia.UserID || fmt.Sprint(b.OtherGuardians) != "[Tom Schulz]" || b.CommonContacts != 1 {
		t.Fatalf("Ben's parent's approval: %+v", b)
	}
	for _, c := range []*apitest.Client{mia, ben} {
		if r := c.Must(200, "GET", "/contacts", nil, nil); strings.Contains(string(r.Body), `"approval"`) {
			t.Fatalf("child %d sees approval: %s", c.UserID, r.Body)
		}
	}

	// A link between siblings has no other family; an approved link
	// needs no judging.
	sl := childRequests(mia, sib)
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	fa.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	list := listOf(t, fa.Parent)
	if list[sl.ID].Status != "pending" || list[sl.ID].Approval != nil || list[link.ID].Approval != nil {
		t.Fatalf("sibling link %+v, approved link %+v", list[sl.ID], list[link.ID])
	}
}

func TestContactDecline(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	mia, ben, cleo := fa.Child(), fb.Child(), fc.Child()
	sBen, sBenParent, sMiaParent := ben.Socket(""), fb.Parent.Socket(""), fa.Parent.Socket("")

	link := childRequests(ben, mia)
	decline := func(c *apitest.Client, id int64) *apitest.Response {
		return c.Do("POST", fmt.Sprintf("/contacts/%d/decline", id), nil)
	}
	// Only the child it was sent to: not the asker, not a stranger, not a
	// parent (the route is children's).
	wantStatus(t, decline(ben, link.ID), 403, "forbidden")
	wantStatus(t, decline(cleo, link.ID), 404, "not_found")
	wantStatus(t, decline(fa.Parent, link.ID), 403, "forbidden")
	_, mark := notesSince(t, env, 0)
	var out judgedContactJSON
	mia.Must(200, "POST", fmt.Sprintf("/contacts/%d/decline", link.ID), nil, &out)
	// Only the asking family's parent is told, as after a parent's reject.
	if notes, _ := notesSince(t, env, mark); fmt.Sprint(notes) != fmt.Sprint([]noteRow{{fb.Parent.UserID, "contact_declined", ben.UserID}}) {
		t.Fatalf("notifications of the decline: %v", notes)
	}
	if out.ID != link.ID || out.Status != "declined" || len(out.Children) != 2 || out.Approval != nil {
		t.Fatalf("declined: %+v", out)
	}
	wantStatus(t, decline(mia, link.ID), 404, "not_found")
	if _, ok := listOf(t, ben)[link.ID]; ok {
		t.Fatal("Ben still lists the declined link")
	}
	// The asking side hears it declined, not blocked.
	for _, s := range []*apitest.Socket{sBen, sBenParent, sMiaParent} {
		f := nextOf(t, s, "contact.declined")
		var c contactJSON
		if err := json.Unmarshal(f.Data, &c); err != nil || c.ID != link.ID || c.Status != "declined" {
			t.Fatalf("contact.declined: %s", f.Data)
		}
	}

	// A parent's request for their child is declined the same way; Mia's
	// own request is not hers to decline.
	byParent := requestLink(fb, ben, mia)
	mia.Must(200, "POST", fmt.Sprintf("/contacts/%d/decline", byParent.ID), nil, nil)
	own := childRequests(mia, cleo)
	wantStatus(t, decline(mia, own.ID), 403, "forbidden")
	cleo.Must(200, "POST", fmt.Sprintf("/contacts/%d/decline", own.ID), nil, nil)
	// Approved or blocked: a parent's to change.
	approved := approveLink(fb, ben, fa, mia)
	wantStatus(t, decline(mia, approved), 409, "conflict")
	blocked := childRequests(cleo, mia)
	mia.Must(200, "POST", fmt.Sprintf("/contacts/%d/block", blocked.ID), nil, nil)
	wantStatus(t, decline(mia, blocked.ID), 409, "conflict")

	// Ids that are none (as every path id: not_found) change nothing.
	for _, p := range []string{"/contacts/abc/decline", "/contacts/0/decline", "/contacts/-1/decline", "/contacts/99999999999/decline", "/contacts/2147483647/decline"} {
		wantStatus(t, mia.Do("POST", p, nil), 404, "not_found")
	}
	if k := listOf(t, mia)[blocked.ID]; k.BlockedBy == nil {
		t.Fatalf("the blocked request changed: %+v", k)
	}

	// Audited as the child's, naming her side.
	var audits pageJSON[struct {
		ActorID int64          `json:"actor_id"`
		After   map[string]any `json:"after_json"`
	}]
	admin.Must(200, "GET", "/admin/audit-logs?action=contact.decline&limit=10", nil, &audits)
	if len(audits.Items) != 3 {
		t.Fatalf("%d contact.decline audits, want 3", len(audits.Items))
	}
	for _, e := range audits.Items {
		if e.After["status"] != "declined" || e.After["contact_id"] == nil {
			t.Errorf("audit %+v", e)
		}
	}
}

// restContactForEvent is link id as c's GET /contacts shows it, less a
// parent's approval block, which events never carry (docs/live.md).
func restContactForEvent(t *testing.T, c *apitest.Client, id int64) []byte {
	t.Helper()
	var page struct{ Items []map[string]any }
	c.Must(200, "GET", "/contacts?limit=100", nil, &page)
	for _, k := range page.Items {
		if k["id"] == float64(id) {
			delete(k, "approval")
			b, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("user %d does not list link %d", c.UserID, id)
	return nil
}

// TestApprovalCardNamesOnlyVettedGuardians: the card names the other
// family's guardians whom an admin approved and did not suspend; a
// guardian still awaiting approval, or suspended, is nobody the parent
// should trust the other child to, and is left out.
func TestApprovalCardNamesOnlyVettedGuardians(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	mia, ben := fa.Child(), fb.Child()
	approved := env.Guardian(admin, fb.Parent, ben.UserID)
	suspended := env.Guardian(admin, fb.Parent, ben.UserID)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", suspended.UserID), nil, nil)
	pending := env.PendingParent()
	pending.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": fb.Parent.Invite(ben.UserID)}, nil)
	names := map[*apitest.Client]string{fb.Parent: "Anna Weber", approved: "Olaf Weber", suspended: "Sven Suspended", pending: "Pia Pending"}
	for c, name := range names {
		if _, err := env.DB.Pool.Exec(t.Context(), `UPDATE profiles SET display_name = $2 WHERE user_id = $1`, c.UserID, name); err != nil {
			t.Fatal(err)
		}
	}

	link := childRequests(ben, mia)
	r := fa.Parent.Must(200, "GET", "/contacts?limit=100", nil, nil)
	a := listOf(t, fa.Parent)[link.ID].Approval
	if a == nil || fmt.Sprint(a.OtherGuardians) != "[Anna Weber Olaf Weber]" {
		t.Fatalf("the card names %+v, want [Anna Weber Olaf Weber]: %s", a, r.Body)
	}
	for _, name := range []string{names[suspended], names[pending]} {
		if strings.Contains(string(r.Body), name) {
			t.Fatalf("the card names the unvetted guardian %q: %s", name, r.Body)
		}
	}

	// Approved after all, the waiting guardian is named; suspended, the
	// primary is not.
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", pending.UserID), nil, nil)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", fb.Parent.UserID), nil, nil)
	if a := listOf(t, fa.Parent)[link.ID].Approval; a == nil || fmt.Sprint(a.OtherGuardians) != "[Olaf Weber Pia Pending]" {
		t.Fatalf("after approving one and suspending the primary, the card names %+v, want [Olaf Weber Pia Pending]", a)
	}
}
