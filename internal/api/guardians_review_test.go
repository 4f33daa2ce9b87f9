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
