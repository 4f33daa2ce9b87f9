package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// TestRenameGroup: only the owner renames a group; the members read a
// system message with the new title; bad titles and direct chats are
// refused and change nothing.
func TestRenameGroup(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := siblings(env, admin, 2)
	fb := env.Family(admin, 1)
	a, sib, b := fa.Children[0], fa.Children[1], fb.Child()
	approveLink(fa, a, fb, b)
	g := createGroup(a, "cousins", sib.UserID)
	path := fmt.Sprintf("/conversations/%d", g.ID)

	var got conversationJSON
	a.Must(200, "PATCH", path, map[string]string{"title": "  Space club  "}, &got)
	if *got.Title != "Space club" {
		t.Fatalf("renamed: %+v", got)
	}
	want := fmt.Sprintf(`{"event":"renamed","user_id":%d,"title":"Space club"}`, a.UserID)
	if m := history(sib, g.ID)[0]; m.Type != "system" || *m.Content != want || m.SenderID != a.UserID {
		t.Fatalf("system message %+v, want %s", m, want)
	}
	before := len(history(a, g.ID))
	for _, tc := range []struct {
		who    *apitest.Client
		path   string
		body   any
		status int
		code   string
	}{
		{sib, path, map[string]string{"title": "mine now"}, 403, "forbidden"},     // a member, not the owner
		{fa.Parent, path, map[string]string{"title": "family"}, 403, "forbidden"}, // reads only
		{b, path, map[string]string{"title": "hi"}, 404, "not_found"},             // may not read it
		{a, path, map[string]string{"title": "   "}, 400, "invalid"},              // nothing visible
		{a, path, map[string]any{}, 400, "invalid"},                               // no title
		{a, path, map[string]string{"title": "a\nb"}, 400, "invalid"},             // one line only
		{a, fmt.Sprintf("/conversations/%d", createDirect(a, b.UserID).ID), map[string]string{"title": "x"}, 409, "conflict"},
	} {
		r := tc.who.Do("PATCH", tc.path, tc.body)
		wantStatus(t, r, tc.status, tc.code)
		if tc.status == 400 && r.ErrorField() != "title" {
			t.Errorf("%v: field %q, want title", tc.body, r.ErrorField())
		}
	}
	if now := getConversation(a, g.ID); *now.Title != "Space club" || len(history(a, g.ID)) != before {
		t.Fatalf("a refused rename changed the group: %+v", now)
	}
}
