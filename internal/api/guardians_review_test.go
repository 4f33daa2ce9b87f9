package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"pixelpals/internal/apitest"
)

// TestGuardianInviteOneAcceptOfMany: parents accepting one code at the
// same moment: exactly one becomes a guardian, the others get the
// unknown-code answer.
func TestGuardianInviteOneAcceptOfMany(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	k := fa.Child()
	code := fa.Parent.Invite(k.UserID)
	var takers []*apitest.Client
	for range 4 {
		takers = append(takers, env.Family(admin, 0).Parent)
	}
	statuses := make([]int, len(takers))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, p := range takers {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			statuses[i] = p.Do("POST", "/guardian-invites/accept", map[string]string{"code": code}).Status
		}()
	}
	start.Done()
	done.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case 200:
			ok++
		case 404:
		default:
			t.Errorf("taker %d: %d", i, s)
		}
	}
	if gs := guardiansOf(t, fa.Parent, k.UserID); ok != 1 || len(gs) != 2 {
		t.Fatalf("one code, %d accepted (%v), guardians now %+v", ok, statuses, gs)
	}
}

// TestRemovedGuardianKeepsNothing: a removed guardian's unused invitation
// codes die with their guardianship (else they could bring in a grown-up
// of their choosing after removal), and what the notifier had not yet
// told them about the child is never sent. Their account's deletion kills
// its open codes too.
func TestRemovedGuardianKeepsNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b := fa.Child(), fb.Child()
	g := env.Guardian(admin, fa.Parent, k.UserID)
	kept := g.Invite(k.UserID)
	requestLink(fb, b, k) // k's guardians are told: a pending note to g
	ctx := context.Background()
	pendingNotes := func() int {
		var n int
		if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications
			WHERE recipient_id = $1 AND child_id = $2 AND state IN ('pending', 'digest')`, g.UserID, k.UserID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if pendingNotes() == 0 {
		t.Fatal("no pending notification to the second guardian about the request (the test proves nothing)")
	}
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, g.UserID), nil, nil)
	if n := pendingNotes(); n != 0 {
		t.Errorf("%d notifications about the child still due to the removed guardian", n)
	}
	friend := env.Family(admin, 0).Parent
	if r := friend.Do("POST", "/guardian-invites/accept", map[string]string{"code": kept}); r.Status != 404 {
		t.Fatalf("a removed guardian's code still works: %d %s", r.Status, r.Body)
	}

	// A guardian's account deleted: their open codes die with it.
	g2 := env.Guardian(admin, fa.Parent, k.UserID)
	kept2 := g2.Invite(k.UserID)
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", g2.UserID), nil, nil)
	if r := friend.Do("POST", "/guardian-invites/accept", map[string]string{"code": kept2}); r.Status != 404 {
		t.Fatalf("a deleted guardian's code still works: %d %s", r.Status, r.Body)
	}
	if gs := guardiansOf(t, fa.Parent, k.UserID); len(gs) != 1 {
		t.Fatalf("guardians: %+v", gs)
	}
}

// adminRow is a user as GET /admin/users lists them, with their
// guardianships.
type adminRow struct {
	ID         int64                `json:"id"`
	Children   []struct{ ID int64 } `json:"children"`
	GuardianOf []struct {
		ChildID    int64  `json:"child_id"`
		InvitedBy  *int64 `json:"invited_by"`
		AcceptedAt string `json:"accepted_at"`
	} `json:"guardian_of"`
}

// adminRowOf is user's row of the admins' parent list.
func adminRowOf(t *testing.T, admin *apitest.Client, user int64) adminRow {
	t.Helper()
	var page pageJSON[adminRow]
	admin.Must(200, "GET", "/admin/users?role=PARENT&limit=100", nil, &page)
	for _, r := range page.Items {
		if r.ID == user {
			return r
		}
	}
	t.Fatalf("user %d is not in the admins' list", user)
	return adminRow{}
}

// TestAdminListsFormerPrimary: after a hand-over, the admins' list shows
// the former primary as a guardian of the child, like any other guardian
// (made one by their own hand-over), and the new primary with the child among
// their children and no longer as a guardian of it; a removed guardian
// guards nobody in the list either.
func TestAdminListsFormerPrimary(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	k := fa.Child()
	g := env.Guardian(admin, fa.Parent, k.UserID)
	if r := adminRowOf(t, admin, g.UserID); len(r.GuardianOf) != 1 || r.GuardianOf[0].ChildID != k.UserID ||
		r.GuardianOf[0].InvitedBy == nil || *r.GuardianOf[0].InvitedBy != fa.Parent.UserID {
		t.Fatalf("the invited guardian's row: %+v", r)
	}

	fa.Parent.Must(200, "POST", fmt.Sprintf("/children/%d/guardians/%d/primary", k.UserID, g.UserID), nil, nil)
	old := adminRowOf(t, admin, fa.Parent.UserID)
	if len(old.Children) != 0 || len(old.GuardianOf) != 1 || old.GuardianOf[0].ChildID != k.UserID ||
		old.GuardianOf[0].InvitedBy == nil || *old.GuardianOf[0].InvitedBy != fa.Parent.UserID || old.GuardianOf[0].AcceptedAt == "" {
		t.Fatalf("the former primary's row, want the child under guardian_of, made a guardian by their own hand-over: %+v", old)
	}
	if now := adminRowOf(t, admin, g.UserID); len(now.Children) != 1 || now.Children[0].ID != k.UserID || len(now.GuardianOf) != 0 {
		t.Fatalf("the new primary's row, want the child among children only: %+v", now)
	}

	g.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, fa.Parent.UserID), nil, nil)
	if r := adminRowOf(t, admin, fa.Parent.UserID); len(r.Children) != 0 || len(r.GuardianOf) != 0 {
		t.Fatalf("the removed former primary still guards: %+v", r)
	}
}

// TestChildListsVettedGuardians: a child's "chat with your parent" choices
// are each guardian an admin vetted, primary first, and the child can start
// a direct chat with the second one; a guardian awaiting approval, a
// suspended one and a removed one are not offered.
func TestChildListsVettedGuardians(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	k := fa.Child()
	second := env.Guardian(admin, fa.Parent, k.UserID)
	suspended := env.Guardian(admin, fa.Parent, k.UserID)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", suspended.UserID), nil, nil)
	removed := env.Guardian(admin, fa.Parent, k.UserID)
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, removed.UserID), nil, nil)
	pending := env.PendingParent()
	pending.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}, nil)

	var gs []struct {
		ID      int64 `json:"id"`
		Primary bool  `json:"primary"`
	}
	k.Must(200, "GET", "/me/guardians", nil, &gs)
	got := fmt.Sprint(gs)
	want := fmt.Sprint([]struct {
		ID      int64 `json:"id"`
		Primary bool  `json:"primary"`
	}{{fa.Parent.UserID, true}, {second.UserID, false}})
	if got != want {
		t.Fatalf("the child's guardians are %s, want %s (primary, then the vetted second)", got, want)
	}
	k.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{second.UserID}, "is_group": false}, nil)
}
