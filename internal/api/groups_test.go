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

// TestGroupForChild: a parent makes a group for their child with the
// child's friends; the child owns it, the parent only reads it. The
// contact rule and bad input refuse it as they would the child's own.
func TestGroupForChild(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, b, c := fa.Child(), fb.Child(), fc.Child()
	approveLink(fa, a, fb, b)
	approveLink(fa, a, fc, c)

	var g conversationJSON
	fa.Parent.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{b.UserID}, "is_group": true, "title": "club", "child_id": a.UserID}, &g)
	if !g.ReadOnly || len(g.Members) != 2 || roleOf(g, a.UserID) != "owner" || roleOf(g, fa.Parent.UserID) != "" {
		t.Fatalf("group for a child, as the parent sees it: %+v", g)
	}
	if mine := getConversation(a, g.ID); mine.ReadOnly || *mine.Title != "club" {
		t.Fatalf("the child's own group: %+v", mine)
	}
	mustSend(t, b, g.ID, "hi club")

	var before pageJSON[conversationJSON]
	fa.Parent.Must(200, "GET", "/conversations", nil, &before)
	for _, tc := range []struct {
		who    *apitest.Client
		body   map[string]any
		status int
		code   string
		field  string
	}{
		// b and c are not contacts: the rule refuses, naming nobody.
		{fa.Parent, map[string]any{"member_ids": []int64{b.UserID, c.UserID}, "is_group": true, "title": "x", "child_id": a.UserID}, 403, "forbidden", "member_ids"},
		{fb.Parent, map[string]any{"member_ids": []int64{b.UserID}, "is_group": true, "title": "x", "child_id": a.UserID}, 404, "not_found", ""},
		{a, map[string]any{"member_ids": []int64{b.UserID}, "is_group": true, "title": "x", "child_id": a.UserID}, 403, "forbidden", "child_id"},
		{fa.Parent, map[string]any{"member_ids": []int64{b.UserID}, "is_group": false, "child_id": a.UserID}, 400, "invalid", "child_id"},
		{fa.Parent, map[string]any{"member_ids": []int64{b.UserID}, "is_group": true, "title": "x", "child_id": -1}, 400, "invalid", "child_id"},
	} {
		r := tc.who.Do("POST", "/conversations", tc.body)
		wantStatus(t, r, tc.status, tc.code)
		if tc.field != "" && r.ErrorField() != tc.field {
			t.Errorf("%v: field %q, want %s", tc.body, r.ErrorField(), tc.field)
		}
	}
	var after pageJSON[conversationJSON]
	fa.Parent.Must(200, "GET", "/conversations", nil, &after)
	if len(after.Items) != len(before.Items) {
		t.Fatalf("a refused group was made: %d conversations, then %d", len(before.Items), len(after.Items))
	}
}
