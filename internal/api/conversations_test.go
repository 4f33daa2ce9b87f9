package api_test

import (
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

func roleOf(c conversationJSON, user int64) string {
	for _, m := range c.Members {
		if m.UserID == user {
			return m.RoleInConvo
		}
	}
	return ""
}

func TestGroupMembership(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := siblings(env, admin, 3)
	fb := env.Family(admin, 1)
	a, sib1, sib2, b := fa.Children[0], fa.Children[1], fa.Children[2], fb.Child()
	approveLink(fa, a, fb, b)

	g := createGroup(a, "cousins", sib1.UserID, sib2.UserID)
	if !g.IsGroup || *g.Title != "cousins" || roleOf(g, a.UserID) != "owner" || roleOf(g, sib1.UserID) != "member" {
		t.Fatalf("new group: %+v", g)
	}
	path := fmt.Sprintf("/conversations/%d/members", g.ID)

	// Only the owner adds; b is a's contact but not the siblings'.
	wantStatus(t, sib1.Do("POST", path, map[string]int64{"user_id": fa.Parent.UserID}), 403, "forbidden")
	messages := len(history(a, g.ID))
	r := a.Do("POST", path, map[string]int64{"user_id": b.UserID})
	if r.Status != 403 || r.ErrorField() != "user_id" {
		t.Fatalf("adding a non-contact: %d %s", r.Status, r.Body)
	}
	if got := getConversation(a, g.ID); len(got.Members) != 3 || len(history(a, g.ID)) != messages {
		t.Fatalf("refused add changed the group: %+v", got)
	}
	wantStatus(t, a.Do("POST", path, map[string]int64{"user_id": sib1.UserID}), 409, "conflict")
	// Another family's parent may not join; the children's parent may.
	wantStatus(t, a.Do("POST", path, map[string]int64{"user_id": fb.Parent.UserID}), 403, "forbidden")
	a.Must(200, "POST", path, map[string]int64{"user_id": fa.Parent.UserID}, nil)
	if m := history(a, g.ID)[0]; m.Type != "system" || *m.Content != fmt.Sprintf(`{"event":"member_added","user_id":%d}`, fa.Parent.UserID) {
		t.Fatalf("system message %+v", m)
	}
	mustSend(t, fa.Parent, g.ID, "hello from mum")

	// Leaving: a member leaves; the owner leaves and hands ownership on.
	sib2.Must(204, "DELETE", fmt.Sprintf("%s/%d", path, sib2.UserID), nil, nil)
	wantStatus(t, sib2.Do("GET", fmt.Sprintf("/conversations/%d", g.ID), nil), 404, "not_found")
	a.Must(204, "DELETE", fmt.Sprintf("%s/%d", path, a.UserID), nil, nil)
	got := getConversation(sib1, g.ID)
	if roleOf(got, sib1.UserID) != "owner" || got.Frozen {
		t.Fatalf("after the owner left: %+v", got)
	}
	// The parent takes their last child out: a parent alone breaks the
	// rule, so the group freezes; bringing the child back thaws it.
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("%s/%d", path, sib1.UserID), nil, nil)
	got = getConversation(fa.Parent, g.ID)
	if !got.Frozen || len(got.Members) != 1 {
		t.Fatalf("parent left alone: %+v", got)
	}
	wantStatus(t, send(fa.Parent, g.ID, "anyone?"), 409, "conversation_frozen")
	fa.Parent.Must(200, "POST", path, map[string]int64{"user_id": sib1.UserID}, &got)
	if got.Frozen {
		t.Fatalf("after the child came back: %+v", got)
	}
	mustSend(t, sib1, g.ID, "back")
	for _, m := range history(fa.Parent, g.ID) {
		if m.Type == "system" && (strings.Contains(*m.Content, "Kid") || strings.Contains(*m.Content, sib1.Login)) {
			t.Fatalf("a system message names someone: %s", *m.Content)
		}
	}

	// Direct conversations have exactly two members, always.
	d := createDirect(a, b.UserID)
	wantStatus(t, a.Do("POST", fmt.Sprintf("/conversations/%d/members", d.ID), map[string]int64{"user_id": fa.Parent.UserID}), 409, "conflict")
	wantStatus(t, a.Do("DELETE", fmt.Sprintf("/conversations/%d/members/%d", d.ID, a.UserID), nil), 409, "conflict")
	if d.ReadOnly || !d.VisibleToParents {
		t.Fatalf("direct conversation flags: %+v", d)
	}

	// Lists: a child's own, a parent's child's (read-only), paged.
	d2 := createDirect(a, fa.Parent.UserID)
	var list pageJSON[conversationJSON]
	a.Must(200, "GET", "/conversations?limit=1", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != d2.ID || list.NextCursor == nil {
		t.Fatalf("first page: %+v", list)
	}
	a.Must(200, "GET", "/conversations?limit=1&cursor="+*list.NextCursor, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != d.ID || list.NextCursor != nil {
		t.Fatalf("second page: %+v", list)
	}
	fa.Parent.Must(200, "GET", fmt.Sprintf("/conversations?child_id=%d", sib1.UserID), nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != g.ID || list.Items[0].ReadOnly {
		t.Fatalf("parent's view of sib1 (the parent is a member too): %+v", list)
	}
	wantStatus(t, admin.Do("POST", "/conversations", map[string]any{"member_ids": []int64{a.UserID}, "is_group": false}), 403, "forbidden")
	wantStatus(t, admin.Do("GET", "/conversations", nil), 403, "forbidden")
}

func TestConversationBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := siblings(env, env.Admin(), 2)
	a, sib := f.Children[0], f.Children[1]
	before := countRows(t, env, "conversations")
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"member_ids": []int64{sib.UserID}}, "is_group"},
		{map[string]any{"member_ids": sib.UserID, "is_group": false}, "member_ids"},
		{map[string]any{"member_ids": []any{"x"}, "is_group": false}, "member_ids"},
		{map[string]any{"member_ids": []int64{0}, "is_group": false}, "member_ids"},
		{map[string]any{"member_ids": []int64{1 << 33}, "is_group": false}, "member_ids"},
		{map[string]any{"member_ids": []int64{}, "is_group": true, "title": "t"}, "member_ids"},
		{map[string]any{"member_ids": []int64{sib.UserID, f.Parent.UserID}, "is_group": false}, "member_ids"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": "yes"}, "is_group"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": true}, "title"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": true, "title": "  "}, "title"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": true, "title": strings.Repeat("t", 201)}, "title"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": true, "title": "a\x00b"}, "title"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": false, "title": "t"}, "title"},
		{map[string]any{"member_ids": []int64{sib.UserID}, "is_group": false, "colour": "red"}, "colour"},
	} {
		if r := a.Do("POST", "/conversations", tc.body); r.Status != 400 || r.ErrorField() != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %q", tc.body, r.Status, r.Body, tc.field)
		}
	}
	if after := countRows(t, env, "conversations"); after != before {
		t.Fatalf("bad requests wrote %d conversations", after-before)
	}
	g := createGroup(a, "g", sib.UserID)
	for _, body := range []any{map[string]any{}, map[string]any{"user_id": "7"}, map[string]any{"user_id": -1}, map[string]any{"user_id": 1, "x": 1}} {
		if r := a.Do("POST", fmt.Sprintf("/conversations/%d/members", g.ID), body); r.Status != 400 || r.ErrorField() == "" {
			t.Errorf("add member %v: %d %s", body, r.Status, r.Body)
		}
	}
	for _, p := range []string{"/conversations/abc", "/conversations/0/messages", "/conversations/99999999999"} {
		wantStatus(t, a.Do("GET", p, nil), 404, "not_found")
	}
	for _, q := range []string{"?cursor=bad", "?cursor=djF8MQ", "?cursor=djF8eHwy", "?limit=-1"} {
		if r := a.Do("GET", fmt.Sprintf("/conversations/%d/messages%s", g.ID, q), nil); r.Status != 400 {
			t.Errorf("history %s: %d %s", q, r.Status, r.Body)
		}
	}
}

// TestParentListsAllChildrensConversations: without ?child_id= a parent
// lists their own conversations and all their children's, each marked
// with the children of theirs in it; child_id narrows to one child; other
// families' conversations never appear.
func TestParentListsAllChildrensConversations(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := siblings(env, admin, 2)
	fb := env.Family(admin, 1)
	a, sib, b := fa.Children[0], fa.Children[1], fb.Child()
	approveLink(fa, a, fb, b)
	withB := createDirect(a, b.UserID)          // a's only
	siblingsChat := createDirect(a, sib.UserID) // both children's
	withMum := createDirect(sib, fa.Parent.UserID)
	strangers := createDirect(b, fb.Parent.UserID) // family B's only

	list := func(c *apitest.Client, query string) map[int64][]int64 {
		t.Helper()
		got := map[int64][]int64{}
		path := "/conversations?limit=1" + query
		for {
			var p pageJSON[struct {
				ID       int64
				ChildIDs []int64 `json:"child_ids"`
			}]
			c.Must(200, "GET", path, nil, &p)
			for _, conv := range p.Items {
				if _, dup := got[conv.ID]; dup {
					t.Fatalf("conversation %d listed twice", conv.ID)
				}
				if conv.ChildIDs == nil {
					t.Fatalf("conversation %d has no child_ids", conv.ID)
				}
				got[conv.ID] = conv.ChildIDs
			}
			if p.NextCursor == nil {
				return got
			}
			path = "/conversations?limit=1" + query + "&cursor=" + *p.NextCursor
		}
	}
	same := func(what string, got map[int64][]int64, want map[int64][]int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
	same("parent, all", list(fa.Parent, ""), map[int64][]int64{
		withB.ID: {a.UserID}, siblingsChat.ID: {a.UserID, sib.UserID}, withMum.ID: {sib.UserID}})
	same("parent, child a", list(fa.Parent, fmt.Sprintf("&child_id=%d", a.UserID)), map[int64][]int64{
		withB.ID: {a.UserID}, siblingsChat.ID: {a.UserID, sib.UserID}})
	same("child a", list(a, ""), map[int64][]int64{withB.ID: {}, siblingsChat.ID: {}})
	same("other parent", list(fb.Parent, ""), map[int64][]int64{withB.ID: {b.UserID}, strangers.ID: {b.UserID}})
}
