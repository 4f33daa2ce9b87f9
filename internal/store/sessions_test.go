package store_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
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

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// staleSession opens a pool on a fresh database logging to log, and a
// session on it last seen long enough ago that its next lookup touches it.
func staleSession(t *testing.T, log *lockedBuffer) (db, other *store.DB, sessionID int64, token []byte) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.URL(t)
	db, err := store.OpenWith(ctx, url, store.Options{Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	other = pgtest.Open(t, url)
	u, _, err := db.SignUpParent(ctx, "touch@example.com", "hash", "Touch")
	if err != nil {
		t.Fatal(err)
	}
	token = []byte("secret-token-hash")
	if sessionID, err = db.CreateSession(ctx, u.ID, "hash", token); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE sessions SET last_seen_at = CURRENT_TIMESTAMP - interval '1 hour' WHERE id = $1`, sessionID); err != nil {
		t.Fatal(err)
	}
	return db, other, sessionID, token
}

// TestCloseAwaitsTouch: a lookup that starts a last_seen_at touch right
// before Close still has its touch written.
func TestCloseAwaitsTouch(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	db, other, id, token := staleSession(t, &log)
	if _, err := db.SessionActor(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var fresh bool
	if err := other.Pool.QueryRow(context.Background(),
		`SELECT last_seen_at > CURRENT_TIMESTAMP - interval '1 minute' FROM sessions WHERE id = $1`, id).Scan(&fresh); err != nil {
		t.Fatal(err)
	}
	if !fresh {
		t.Errorf("the touch started before Close was lost (log: %q)", log.String())
	}
}

// TestCloseCancelsAStuckTouch: a touch waiting on a row held elsewhere
// holds Close no longer than its bound, and its failure is logged,
// without the token.
func TestCloseCancelsAStuckTouch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var log lockedBuffer
	db, other, id, token := staleSession(t, &log)
	tx, err := other.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionActor(ctx, token); err != nil {
		t.Fatal(err)
	}
	for waiting := false; !waiting; time.Sleep(5 * time.Millisecond) {
		if err := other.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	db.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close waited %v for a stuck touch", took)
	}
	got := log.String()
	if !strings.Contains(got, "touch last_seen_at") {
		t.Errorf("the failed touch was not logged: %q", got)
	}
	if strings.Contains(got, string(token)) || strings.Contains(got, fmt.Sprintf("%x", token)) {
		t.Errorf("the log holds the token: %q", got)
	}
}
