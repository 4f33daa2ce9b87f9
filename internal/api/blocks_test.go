package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// TestBlocks: a child blocks a contact; the link stays, their direct chat
// and shared group freeze for both, no new conversation can join them, the
// blocker's parent is told, and only that parent can unblock, which thaws
// both conversations.
func TestBlocks(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fc, fb := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, c := fa.Child(), fc.Child()
	link := approveLink(fa, a, fc, c)
	var direct struct{ ID int64 }
	a.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{c.UserID}, "is_group": false}, &direct)
	group := createGroup(a, "pals", c.UserID).ID
	n := 0
	send := func(who *apitest.Client, conv int64) int {
		n++
		return who.Do("POST", fmt.Sprintf("/conversations/%d/messages", conv),
			map[string]string{"type": "text", "content": "hi", "client_id": fmt.Sprintf("b%d", n)}).Status
	}
	for _, conv := range []int64{direct.ID, group} {
		if s := send(a, conv); s != 201 {
			t.Fatalf("before the block: %d", s)
		}
	}
	ps := fa.Parent.Socket("")
	defer ps.Close()

	var blocked struct {
		ID        int64
		BlockedBy *int64 `json:"blocked_by"`
	}
	c.Must(404, "POST", "/contacts/999999/block", nil, nil)
	fb.Child().Must(404, "POST", fmt.Sprintf("/contacts/%d/block", link), nil, nil)
	a.Must(200, "POST", fmt.Sprintf("/contacts/%d/block", link), nil, &blocked)
	if blocked.BlockedBy == nil || *blocked.BlockedBy != a.UserID {
		t.Fatalf("block: %+v", blocked)
	}
	if f := nextOf(t, ps, "contact.blocked"); f.Data == nil {
		t.Fatal("no contact.blocked for the parent")
	}
	for _, who := range []*apitest.Client{a, c} {
		for _, conv := range []int64{direct.ID, group} {
			if s := send(who, conv); s != 409 {
				t.Fatalf("user %d sent to conversation %d while blocked: %d", who.UserID, conv, s)
			}
		}
	}
	c.Must(403, "POST", "/conversations", map[string]any{"member_ids": []int64{a.UserID}, "is_group": true, "title": "again"}, nil)
	c.Must(409, "POST", fmt.Sprintf("/contacts/%d/block", link), nil, nil)
	var contacts struct{ Items []struct{ ID int64 } }
	c.Must(200, "GET", "/contacts", nil, &contacts)
	if len(contacts.Items) != 1 || contacts.Items[0].ID != link {
		t.Fatalf("the link must stay: %+v", contacts)
	}

	// Only the blocker's parent unblocks.
	a.Must(403, "POST", fmt.Sprintf("/contacts/%d/unblock", link), nil, nil)
	fc.Parent.Must(403, "POST", fmt.Sprintf("/contacts/%d/unblock", link), nil, nil)
	fb.Parent.Must(404, "POST", fmt.Sprintf("/contacts/%d/unblock", link), nil, nil)
	fa.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/unblock", link), nil, nil)
	fa.Parent.Must(409, "POST", fmt.Sprintf("/contacts/%d/unblock", link), nil, nil)
	for _, who := range []*apitest.Client{a, c} {
		for _, conv := range []int64{direct.ID, group} {
			if s := send(who, conv); s != 201 {
				t.Fatalf("after the unblock: user %d, conversation %d: %d", who.UserID, conv, s)
			}
		}
	}
	var audits int
	env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_logs WHERE entity_type = 'contact' AND entity_id = $1
		AND action IN ('contact.block', 'contact.unblock')`, link).Scan(&audits)
	if audits != 2 {
		t.Fatalf("%d block audit rows, want 2", audits)
	}
}

// TestUnblockKeepsOtherFreezes: unblocking thaws only what the block froze.
// A group of three whose other link was revoked while it was blocked stays
// frozen after the unblock (the rule still fails for the other pair); the
// pair's direct chat thaws.
func TestUnblockKeepsOtherFreezes(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, b, c := fa.Child(), fb.Child(), fc.Child()
	ac := approveLink(fa, a, fc, c)
	approveLink(fa, a, fb, b)
	bc := approveLink(fb, b, fc, c)
	var direct struct{ ID int64 }
	a.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{c.UserID}, "is_group": false}, &direct)
	group := createGroup(a, "three", b.UserID, c.UserID).ID
	frozen := func(conv int64) bool {
		var f bool
		if err := env.DB.Pool.QueryRow(t.Context(), `SELECT frozen_at IS NOT NULL FROM conversations WHERE id = $1`, conv).Scan(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	a.Must(200, "POST", fmt.Sprintf("/contacts/%d/block", ac), nil, nil)
	if !frozen(direct.ID) || !frozen(group) {
		t.Fatal("the block froze neither the direct chat nor the group")
	}
	fb.Parent.Must(204, "DELETE", fmt.Sprintf("/contacts/%d", bc), nil, nil)
	fa.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/unblock", ac), nil, nil)
	if frozen(direct.ID) {
		t.Fatal("the direct chat stayed frozen after the unblock")
	}
	if !frozen(group) {
		t.Fatal("the unblock thawed a group whose other link is gone")
	}
}
