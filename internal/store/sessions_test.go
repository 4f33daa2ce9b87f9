package store_test

import (
	"context"
	"testing"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
)

// TestSessionNotOpenedOverAReset: a login whose password check overlapped
// a password reset must not get a session. The reset's transaction holds
// the user's row while the session insert waits, then commits a new hash;
// the insert must see it and refuse.
func TestSessionNotOpenedOverAReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	u, _, err := db.SignUpParent(ctx, "race@example.com", "old-hash", "Race")
	if err != nil {
		t.Fatal(err)
	}

	reset, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reset.Exec(ctx, `UPDATE users SET password_hash = 'new-hash' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.CreateSession(ctx, u.ID, "old-hash", []byte("token-hash-1"))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the session insert did not wait for the reset: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := reset.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("session over a reset: err = %v, want unauthorized", err)
	}

	if _, err := db.CreateSession(ctx, u.ID, "new-hash", []byte("token-hash-2")); err != nil {
		t.Fatalf("session with the current hash: %v", err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE users SET suspended_at = now() WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateSession(ctx, u.ID, "new-hash", []byte("token-hash-3")); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("session for a suspended account: %v", err)
	}
}

// TestRehashLosesToAReset: re-hashing at login replaces only the hash it
// verified.
func TestRehashLosesToAReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	u, _, err := db.SignUpParent(ctx, "rehash@example.com", "old-hash", "Rehash")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE users SET password_hash = 'reset-hash' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	replaced, err := db.RehashPassword(ctx, u.ID, "old-hash", "upgraded-old-password")
	if err != nil || replaced {
		t.Fatalf("rehash over a reset: replaced=%v err=%v", replaced, err)
	}
	var hash string
	if err := db.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash != "reset-hash" {
		t.Fatalf("hash = %q, want the reset's", hash)
	}
}
