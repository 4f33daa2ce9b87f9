package keeper_test

import (
	"context"
	"testing"

	"pixelpals/internal/keeper"
	"pixelpals/internal/pgtest"
)

// TestLeakBlockAfterLoginDeleted: the guard reads the fingerprints before
// it records a refusal, outside that transaction, so the login can be
// deleted in between; the refusal is still recorded (without the login's
// id, as for a login deleted later) rather than failing with a foreign-key
// error (a 500 for the send).
func TestLeakBlockAfterLoginDeleted(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	f := newFamily(t, db, "raced")
	k := keeper.New(db, ring(t, 1))
	ids, pws := keep(t, k, f, 1)
	hit, err := k.CheckLeak(ctx, f.child, pws[ids[0]])
	if err != nil || hit == nil {
		t.Fatalf("check: %+v, %v", hit, err)
	}
	if err := k.Delete(ctx, f.parent, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordLeakBlock(ctx, f.child, 0, *hit); err != nil {
		t.Fatalf("record after the login was deleted: %v", err)
	}
	var game string
	var cred *int64
	if err := db.Pool.QueryRow(ctx, `SELECT game_name, credential_id FROM leak_guard_hits WHERE child_id = $1`, f.child.UserID).Scan(&game, &cred); err != nil {
		t.Fatal(err)
	}
	if game != "Game" || cred != nil {
		t.Fatalf("hit: %q, credential %v", game, cred)
	}
}
