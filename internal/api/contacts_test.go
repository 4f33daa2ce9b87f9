package api_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"pixelpals/internal/api"
	"pixelpals/internal/apitest"
)

func TestFriendCodes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()

	code := friendCode(a)
	if !regexp.MustCompile(`^[2-9A-HJKMNP-Z]{10}$`).MatchString(code) || friendCode(a) != code {
		t.Fatalf("friend code %q: not 10 unambiguous characters, or not stable", code)
	}
	var viaParent struct {
		ChildID    int64  `json:"child_id"`
		FriendCode string `json:"friend_code"`
	}
	fa.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/friend-code", a.UserID), nil, &viaParent)
	if viaParent.FriendCode != code || viaParent.ChildID != a.UserID {
		t.Fatalf("parent sees %+v, child sees %s", viaParent, code)
	}
	wantStatus(t, fb.Parent.Do("GET", fmt.Sprintf("/children/%d/friend-code", a.UserID), nil), 404, "not_found")

	// Typed loosely: lower case, dashes and spaces are fine.
	typed := strings.ToLower(code[:5]) + "- " + code[5:]
	var c contactJSON
	r := b.Must(201, "POST", "/contacts", map[string]any{"friend_code": typed}, &c)
	// The requester learns the other child's id and display name only.
	if c.Children[0].DisplayName == "" || c.Children[1].DisplayName == "" {
		t.Fatalf("link: %+v", c)
	}
	for _, field := range []string{`"email"`, `"login"`, `"parent_id"`, `"bio"`} {
		if strings.Contains(string(r.Body), field) {
			t.Fatalf("the link shows %s: %s", field, r.Body)
		}
	}

	// Regenerating: the old code stops working, existing links stay.
	fa.Parent.Must(200, "POST", fmt.Sprintf("/children/%d/friend-code", a.UserID), nil, &viaParent)
	if viaParent.FriendCode == code || friendCode(a) != viaParent.FriendCode {
		t.Fatalf("regenerated code %q (old %q)", viaParent.FriendCode, code)
	}
	r = fb.Parent.Do("POST", "/contacts", map[string]any{"friend_code": code, "child_id": b.UserID})
	if r.Status != 404 || r.ErrorField() != "friend_code" {
		t.Fatalf("old code: %d %s", r.Status, r.Body)
	}
	var list pageJSON[contactJSON]
	b.Must(200, "GET", "/contacts", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Fatalf("b's links after regeneration: %+v", list)
	}
	var audits pageJSON[struct {
		Action string
		After  map[string]any `json:"after_json"`
	}]
	admin.Must(200, "GET", "/admin/audit-logs?action=friend_code.regenerate", nil, &audits)
	if len(audits.Items) != 1 || strings.Contains(fmt.Sprint(audits.Items[0]), code[:6]) {
		t.Fatalf("regeneration audit: %+v", audits)
	}

	// Asking for oneself and malformed codes are refused.
	wantStatus(t, a.Do("POST", "/contacts", map[string]any{"friend_code": friendCode(a)}), 400, "invalid")
	for _, bad := range []string{"", "ABC", "0000000000", "ABCDEFGHIJK", "ÄÖÜ2345678"} {
		if r := a.Do("POST", "/contacts", map[string]any{"friend_code": bad}); r.Status != 400 || r.ErrorField() != "friend_code" {
			t.Errorf("code %q: %d %s", bad, r.Status, r.Body)
		}
	}
}

// TestFriendCodeGuessing locks out a user who tries many unknown codes.
func TestFriendCodeGuessing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	for i := range 10 {
		r := f.Child().Do("POST", "/contacts", map[string]any{"friend_code": "ZZZZZZZZZ" + string("23456789AB"[i])})
		wantStatus(t, r, 404, "not_found")
	}
	r := f.Child().Do("POST", "/contacts", map[string]any{"friend_code": "ZZZZZZZZ99"})
	wantStatus(t, r, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	if api.DefaultFriendCodeGuesses.Max != 10 {
		t.Fatalf("default friend-code limit %+v", api.DefaultFriendCodeGuesses)
	}
}

func TestContactApprovalRejectionRevocation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc := env.Family(admin, 2), env.Family(admin, 1), env.Family(admin, 1)
	a, sib, b, c := fa.Children[0], fa.Children[1], fb.Child(), fc.Child()

	// A parent's request approves their side at once.
	link := requestLink(fa, a, b)
	if link.Status != "pending" || approvedSides(link) != 1 {
		t.Fatalf("parent's request: %+v", link)
	}
	// Children cannot approve; another family's parent learns nothing.
	wantStatus(t, a.Do("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil), 403, "forbidden")
	wantStatus(t, fc.Parent.Do("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil), 404, "not_found")
	wantStatus(t, fc.Parent.Do("DELETE", fmt.Sprintf("/contacts/%d", link.ID), nil), 404, "not_found")
	// The other parent sees it pending in their child's list, and rejects.
	var list pageJSON[contactJSON]
	fb.Parent.Must(200, "GET", "/contacts", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != link.ID || list.Items[0].Status != "pending" {
		t.Fatalf("b's parent sees %+v", list)
	}
	fb.Parent.Must(204, "POST", fmt.Sprintf("/contacts/%d/reject", link.ID), nil, nil)
	wantStatus(t, fb.Parent.Do("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil), 404, "not_found")

	// Siblings: their parent's request approves both sides.
	if l := requestLink(fa, a, sib); l.Status != "approved" {
		t.Fatalf("siblings: %+v", l)
	}

	// Approved links cannot be rejected, only revoked, by either parent.
	id := approveLink(fa, a, fc, c)
	wantStatus(t, fc.Parent.Do("POST", fmt.Sprintf("/contacts/%d/reject", id), nil), 409, "conflict")
	fc.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", id), nil, nil)
	wantStatus(t, fa.Parent.Do("DELETE", fmt.Sprintf("/contacts/%d", id), nil), 404, "not_found")

	// Each parent action is audited, naming the child on the actor's side.
	type entry struct {
		Action  string
		ActorID int64          `json:"actor_id"`
		Before  map[string]any `json:"before_json"`
		After   map[string]any `json:"after_json"`
	}
	var audits pageJSON[entry]
	admin.Must(200, "GET", "/admin/audit-logs?entity_type=contact&limit=200", nil, &audits)
	actions := map[string]int{}
	for _, e := range audits.Items {
		actions[e.Action]++
		j := e.After
		if j == nil {
			j = e.Before
		}
		if j["child_id"] == nil || j["contact_id"] == nil {
			t.Errorf("audit %s without child_id or contact_id: %+v", e.Action, e)
		}
	}
	want := map[string]int{"contact.request": 3, "contact.approve": 4, "contact.reject": 1, "contact.revoke": 1}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Fatalf("audited %v, want %v", actions, want)
	}

	// Profiles: approved contacts see each other, a parent sees who asks.
	approveLink(fb, b, fa, a)
	a.Must(200, "GET", fmt.Sprintf("/profiles/%d", b.UserID), nil, nil)
	requestLink(fc, c, a)
	fa.Parent.Must(200, "GET", fmt.Sprintf("/profiles/%d", c.UserID), nil, nil)
	wantStatus(t, a.Do("GET", fmt.Sprintf("/profiles/%d", c.UserID), nil), 404, "not_found")
	wantStatus(t, fb.Parent.Do("GET", fmt.Sprintf("/profiles/%d", c.UserID), nil), 404, "not_found")
}

func approvedSides(c contactJSON) int {
	n := 0
	for _, ch := range c.Children {
		if ch.ParentApproved {
			n++
		}
	}
	return n
}

func TestContactBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	code := friendCode(fb.Child())
	before := countRows(t, env, "contacts")
	for _, tc := range []struct {
		who   *apitest.Client
		body  any
		field string
	}{
		{fa.Parent, map[string]any{"friend_code": code}, "child_id"},
		{fa.Parent, map[string]any{"friend_code": code, "child_id": "one"}, "child_id"},
		{fa.Parent, map[string]any{"friend_code": code, "child_id": -3}, "child_id"},
		{fa.Parent, map[string]any{"friend_code": code, "child_id": 1 << 40}, "child_id"},
		{fa.Child(), map[string]any{"friend_code": code, "nickname": "x"}, "nickname"},
		{fa.Child(), map[string]any{"friend_code": 12345}, "friend_code"},
		{fa.Child(), map[string]any{"friend_code": code[:9] + "\x00"}, "friend_code"},
		{fa.Child(), map[string]any{}, "friend_code"},
	} {
		if r := tc.who.Do("POST", "/contacts", tc.body); r.Status != 400 || r.ErrorField() != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %q", tc.body, r.Status, r.Body, tc.field)
		}
	}
	for _, q := range []string{"?child_id=abc", "?limit=0", "?limit=201", "?cursor=nonsense"} {
		if r := fa.Parent.Do("GET", "/contacts"+q, nil); r.Status != 400 {
			t.Errorf("GET /contacts%s: %d %s", q, r.Status, r.Body)
		}
	}
	if after := countRows(t, env, "contacts"); after != before {
		t.Fatalf("bad requests wrote %d links", after-before)
	}
}

// TestNoDirectoryOfChildren: nothing lists or finds children a user is not
// linked to; ids of strangers' children answer like ids that do not exist.
func TestNoDirectoryOfChildren(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	for _, c := range []*apitest.Client{a, fa.Parent} {
		var list pageJSON[contactJSON]
		c.Must(200, "GET", "/contacts", nil, &list)
		if len(list.Items) != 0 {
			t.Fatalf("contacts before any link: %+v", list)
		}
	}
	stranger, missing := b.UserID, int64(999999)
	for _, p := range []string{"/profiles/%d", "/children/%d/friend-code", "/conversations?child_id=%d", "/contacts?child_id=%d"} {
		r1, r2 := fa.Parent.Do("GET", fmt.Sprintf(p, stranger), nil), fa.Parent.Do("GET", fmt.Sprintf(p, missing), nil)
		if r1.Status != r2.Status || r1.Status != 404 {
			t.Errorf("%s: stranger %d, missing %d", p, r1.Status, r2.Status)
		}
	}
	r1 := a.Do("POST", "/conversations", map[string]any{"member_ids": []int64{stranger}, "is_group": false})
	r2 := a.Do("POST", "/conversations", map[string]any{"member_ids": []int64{missing}, "is_group": false})
	if r1.Status != 403 || r2.Status != 403 || string(r1.Body) != string(r2.Body) {
		t.Fatalf("chat with a stranger %d %s, with nobody %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
	}
	var n int
	if err := env.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM conversations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d conversations written", n)
	}
}

// TestNoAdultOfAnotherFamily: a child talks to no adult but their own
// parent, even in a group with an approved contact (SPEC §4's first rule).
func TestNoAdultOfAnotherFamily(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	approveLink(fa, a, fb, b)

	// Parent A may not gather their child and another family's child.
	r := fa.Parent.Do("POST", "/conversations", map[string]any{"member_ids": []int64{a.UserID, b.UserID}, "is_group": true, "title": "club"})
	wantStatus(t, r, 403, "forbidden")
	// The children's own group is fine; neither parent may be added to it.
	g := createGroup(a, "club", b.UserID).ID
	for _, p := range []*apitest.Client{fa.Parent, fb.Parent} {
		r := a.Do("POST", "/conversations/"+itoa(g)+"/members", map[string]int64{"user_id": p.UserID})
		wantStatus(t, r, 403, "forbidden")
	}
	// Each parent still reads the group, read-only.
	for _, p := range []*apitest.Client{fa.Parent, fb.Parent} {
		p.Must(200, "GET", "/conversations/"+itoa(g)+"/messages", nil, nil)
	}
}
