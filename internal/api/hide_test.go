package api_test

import (
	"fmt"
	"slices"
	"testing"

	"pixelpals/internal/apitest"
)

// TestDeletedFriendChat deletes a child's friend: their direct chat names
// the deleted account, and the child may hide it from their own list
// while their parent still sees it; a chat someone is still in cannot be
// hidden.
func TestDeletedFriendChat(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	a, sib, b := fa.Children[0], fa.Children[1], fb.Child()
	approveLink(fa, a, fb, b)
	approveLink(fa, a, fa, sib)
	direct := createDirect(a, b.UserID).ID
	live := createDirect(a, sib.UserID).ID
	mustSend(t, b, direct, "hi from b")

	wantStatus(t, a.Do("POST", fmt.Sprintf("/conversations/%d/hide", direct), nil), 409, "conflict")
	fb.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", b.UserID), nil, nil)

	var c struct {
		Frozen           bool
		DeletedMemberIDs []int64 `json:"deleted_member_ids"`
		Members          []memberJSON
	}
	a.Must(200, "GET", fmt.Sprintf("/conversations/%d", direct), nil, &c)
	if !c.Frozen || !slices.Equal(c.DeletedMemberIDs, []int64{b.UserID}) || len(c.Members) != 1 {
		t.Fatalf("after the friend's deletion: %+v, want frozen, deleted_member_ids [%d], one member", c, b.UserID)
	}

	a.Must(204, "POST", fmt.Sprintf("/conversations/%d/hide", direct), nil, nil)
	a.Must(204, "POST", fmt.Sprintf("/conversations/%d/hide", direct), nil, nil) // again: no error
	wantStatus(t, a.Do("POST", fmt.Sprintf("/conversations/%d/hide", live), nil), 409, "conflict")

	if ids := convIDs(t, a, "/conversations"); slices.Contains(ids, direct) || !slices.Contains(ids, live) {
		t.Errorf("child's list after hiding %d: %v", direct, ids)
	}
	if ids := convIDs(t, fa.Parent, fmt.Sprintf("/conversations?child_id=%d", a.UserID)); !slices.Contains(ids, direct) {
		t.Errorf("parent's list of the child lost the hidden chat %d: %v", direct, ids)
	}
	// Still readable by its member from a link: hidden is not gone.
	a.Must(200, "GET", fmt.Sprintf("/conversations/%d", direct), nil, nil)
}

func convIDs(t *testing.T, c *apitest.Client, path string) []int64 {
	t.Helper()
	var page pageJSON[conversationJSON]
	c.Must(200, "GET", path, nil, &page)
	var ids []int64
	for _, k := range page.Items {
		ids = append(ids, k.ID)
	}
	return ids
}

// TestRejectedParentIsTold: once an admin declines a pending parent, the
// session they still hold, and a login from it, answer account_rejected
// (not "not logged in" or "wrong login or password"); nobody else is told.
func TestRejectedParentIsTold(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	p := env.PendingParent()
	wantStatus(t, p.Do("GET", "/me", nil), 200, "")
	admin.Must(204, "POST", fmt.Sprintf("/admin/users/%d/reject", p.UserID), nil, nil)

	wantStatus(t, p.Do("GET", "/me", nil), 401, "account_rejected")
	wantStatus(t, p.Do("GET", "/conversations", nil), 401, "account_rejected")
	creds := map[string]string{"login": p.Login, "password": p.Password}
	wantStatus(t, p.Do("POST", "/auth/login", creds), 401, "account_rejected")
	// Without that session: the usual answers, which tell nothing.
	wantStatus(t, env.Anonymous().Do("POST", "/auth/login", creds), 401, "invalid_credentials")

	// Signing up again works, and the new account's login is normal.
	env.Anonymous().Must(201, "POST", "/auth/signup", map[string]string{
		"email": p.Login, "password": p.Password, "display_name": "Again"}, nil)
	env.Anonymous().Must(200, "POST", "/auth/login", creds, nil)
	// A session that merely ended (logout) is not remembered.
	q := env.PendingParent()
	q.Must(204, "POST", "/auth/logout", nil, nil)
	wantStatus(t, q.Do("GET", "/me", nil), 401, "unauthorized")
}
