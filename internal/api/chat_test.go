package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

func TestContactNeedsBothParents(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()

	// The child asks with the other child's code: pending, no approvals.
	var c contactJSON
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": friendCode(b)}, &c)
	if c.Status != "pending" || c.Children[0].ParentApproved || c.Children[1].ParentApproved {
		t.Fatalf("new link: %+v", c)
	}
	// Asking again returns the same link.
	var again contactJSON
	a.Must(200, "POST", "/contacts", map[string]any{"friend_code": friendCode(b)}, &again)
	if again.ID != c.ID {
		t.Fatalf("second request made link %d, want %d", again.ID, c.ID)
	}
	// Not approved yet: no chat.
	wantStatus(t, a.Do("POST", "/conversations", map[string]any{"member_ids": []int64{b.UserID}, "is_group": false}), 403, "forbidden")

	fa.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil, &c)
	if c.Status != "pending" {
		t.Fatalf("after one parent: %+v", c)
	}
	wantStatus(t, fa.Parent.Do("POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil), 409, "conflict")
	wantStatus(t, a.Do("POST", "/conversations", map[string]any{"member_ids": []int64{b.UserID}, "is_group": false}), 403, "forbidden")

	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil, &c)
	if c.Status != "approved" {
		t.Fatalf("after both parents: %+v", c)
	}
	conv := createDirect(a, b.UserID)
	if conv.Frozen || !conv.VisibleToParents || conv.ReadOnly || len(conv.Members) != 2 {
		t.Fatalf("direct conversation: %+v", conv)
	}
	// Asking again returns the existing conversation, from either side.
	var same conversationJSON
	b.Must(200, "POST", "/conversations", map[string]any{"member_ids": []int64{a.UserID, b.UserID}, "is_group": false}, &same)
	if same.ID != conv.ID {
		t.Fatalf("second create gave %d, want %d", same.ID, conv.ID)
	}
	mustSend(t, a, conv.ID, "hi!")
	mustSend(t, b, conv.ID, "hello")

	// Revoking freezes the conversation; sending then is a clear 409.
	fb.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", c.ID), nil, nil)
	if got := getConversation(a, conv.ID); !got.Frozen {
		t.Fatalf("after revoke: %+v", got)
	}
	wantStatus(t, send(a, conv.ID, "still there?"), 409, "conversation_frozen")
	msgs := history(a, conv.ID)
	if msgs[0].Type != "system" || *msgs[0].Content != `{"event":"conversation_frozen"}` {
		t.Fatalf("newest message after freeze: %+v", msgs[0])
	}

	// Approving again thaws it.
	approveLink(fb, b, fa, a)
	if got := getConversation(a, conv.ID); got.Frozen {
		t.Fatalf("after re-approval: %+v", got)
	}
	mustSend(t, a, conv.ID, "back")
}

func TestParentReadsChildConversationReadOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	a, b := fa.Child(), fb.Child()
	approveLink(fa, a, fb, b)
	conv := createDirect(a, b.UserID)
	m := mustSend(t, b, conv.ID, "secret plan")

	var list pageJSON[conversationJSON]
	fa.Parent.Must(200, "GET", fmt.Sprintf("/conversations?child_id=%d", a.UserID), nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != conv.ID || !list.Items[0].ReadOnly {
		t.Fatalf("parent's list: %+v", list)
	}
	if got := history(fa.Parent, conv.ID); len(got) != 1 || *got[0].Content != "secret plan" {
		t.Fatalf("parent's history: %+v", got)
	}
	wantStatus(t, send(fa.Parent, conv.ID, "hello kids"), 403, "forbidden")
	// The other family's parent cannot see family A's children's list.
	wantStatus(t, fb.Parent.Do("GET", fmt.Sprintf("/conversations?child_id=%d", a.UserID), nil), 404, "not_found")

	// b's parent deletes b's message: a sees a tombstone, both parents the text.
	fb.Parent.Must(204, "DELETE", fmt.Sprintf("/messages/%d", m.ID), nil, nil)
	if got := history(a, conv.ID)[0]; !got.Deleted || got.Content != nil {
		t.Fatalf("member sees %+v", got)
	}
	for _, p := range []*apitest.Client{fa.Parent, fb.Parent} {
		if got := history(p, conv.ID)[0]; !got.Deleted || got.Content == nil || *got.Content != "secret plan" {
			t.Fatalf("parent sees %+v", got)
		}
	}
}
