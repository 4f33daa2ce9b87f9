package store_test

import (
	"context"
	"fmt"
	"testing"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// holdsFamily is an approved parent and their child, each with a session,
// the child with quiet hours on weekdays and a kept game password.
type holdsFamily struct {
	parent, child, cred int64
}

func newHoldsFamily(t *testing.T, db *store.DB, name string) holdsFamily {
	t.Helper()
	ctx := context.Background()
	var f holdsFamily
	err := db.Pool.QueryRow(ctx, `
		WITH p AS (INSERT INTO users (email, password_hash, role, approved_by_admin) VALUES ($1 || '@example.com', 'x', 'PARENT', true) RETURNING id),
		k AS (INSERT INTO users (email, password_hash, role, parent_id) SELECT $1 || 'kid', 'x', 'CHILD', id FROM p RETURNING id, parent_id),
		s AS (INSERT INTO sessions (user_id, token_hash, expires_at)
		      SELECT id, convert_to($1 || '-parent', 'UTF8'), CURRENT_TIMESTAMP + interval '1 hour' FROM p
		      UNION ALL SELECT id, convert_to($1 || '-child', 'UTF8'), CURRENT_TIMESTAMP + interval '1 hour' FROM k),
		sl AS (INSERT INTO sleep_schedules (child_id, time_zone, weekday_start, weekday_end) SELECT id, 'UTC', 660, 780 FROM k),
		pr AS (INSERT INTO profiles (user_id, display_name) SELECT id, 'Kid' FROM k RETURNING id),
		g AS (INSERT INTO game_credentials (profile_id, game_name, username, password_ciphertext, iv)
		      SELECT id, 'Blockcraft', 'kid', '\x00', '\x00' FROM pr RETURNING id),
		fp AS (INSERT INTO leak_fingerprints (credential_id, key_version, length, fp) SELECT id, 1, 8, '\x01' FROM g)
		SELECT k.parent_id, k.id, g.id FROM k, g`, name).Scan(&f.parent, &f.child, &f.cred)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSendHolds: a send's gate stops holding (store.SendHoldsSQL) for
// every way its session can end or its account stop being usable, and
// for every change to what a child's checks read; it holds while nothing
// changed.
func TestSendHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	cases := []struct {
		name   string
		sender string // "child" or "parent": whose send
		change string // SQL with $1 the parent, $2 the child, $3 the credential
	}{
		{"nothing changed", "child", ``},
		{"nothing changed (parent)", "parent", ``},
		{"logged out", "child", `DELETE FROM sessions WHERE user_id = $2 AND $1 > 0 AND $3 > 0`},
		{"expired", "child", `UPDATE sessions SET expires_at = CURRENT_TIMESTAMP WHERE user_id = $2 AND $1 > 0 AND $3 > 0`},
		{"idle", "child", `UPDATE sessions SET last_seen_at = CURRENT_TIMESTAMP - interval '8 days' WHERE user_id = $2 AND $1 > 0 AND $3 > 0`},
		{"child suspended", "child", `UPDATE users SET suspended_at = CURRENT_TIMESTAMP WHERE id = $2 AND $1 > 0 AND $3 > 0`},
		{"child deleted", "child", `UPDATE users SET deleted_at = CURRENT_TIMESTAMP WHERE id = $2 AND $1 > 0 AND $3 > 0`},
		{"parent suspended", "child", `UPDATE users SET suspended_at = CURRENT_TIMESTAMP WHERE id = $1 AND $2 > 0 AND $3 > 0`},
		{"parent unapproved", "child", `UPDATE users SET approved_by_admin = false WHERE id = $1 AND $2 > 0 AND $3 > 0`},
		{"parent's own approval gone", "parent", `UPDATE users SET approved_by_admin = false WHERE id = $1 AND $2 > 0 AND $3 > 0`},
		{"quiet hours moved to the weekend", "child", `UPDATE sleep_schedules SET weekday_start = NULL, weekday_end = NULL, weekend_start = 660, weekend_end = 780
			WHERE child_id = $2 AND $1 > 0 AND $3 > 0`},
		{"time zone", "child", `UPDATE sleep_schedules SET time_zone = 'Europe/Berlin' WHERE child_id = $2 AND $1 > 0 AND $3 > 0`},
		{"parent messages allowed", "child", `UPDATE sleep_schedules SET allow_parent = true WHERE child_id = $2 AND $1 > 0 AND $3 > 0`},
		{"quiet hours off", "child", `DELETE FROM sleep_schedules WHERE child_id = $2 AND $1 > 0 AND $3 > 0`},
		{"password changed", "child", `UPDATE leak_fingerprints SET fp = '\x02' WHERE credential_id = $3 AND $1 > 0 AND $2 > 0`},
		{"fingerprint renewed", "child", `UPDATE leak_fingerprints SET fp_rev = '\x03' WHERE credential_id = $3 AND $1 > 0 AND $2 > 0`},
		{"key rotated", "child", `UPDATE leak_fingerprints SET key_version = 2 WHERE credential_id = $3 AND $1 > 0 AND $2 > 0`},
		{"game renamed", "child", `UPDATE game_credentials SET game_name = 'Tiny' WHERE id = $3 AND $1 > 0 AND $2 > 0`},
		{"password removed", "child", `DELETE FROM game_credentials WHERE id = $3 AND $1 > 0 AND $2 > 0`},
		{"password added", "child", `
			WITH g AS (INSERT INTO game_credentials (profile_id, game_name, username, password_ciphertext, iv)
			           SELECT id, 'Tiny', 'kid', '\x00', '\x00' FROM profiles WHERE user_id = $2 AND $1 > 0 AND $3 > 0 RETURNING id)
			INSERT INTO leak_fingerprints (credential_id, key_version, length, fp) SELECT id, 1, 6, '\x04' FROM g`},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newHoldsFamily(t, db, fmt.Sprintf("holds%d", i))
			token, sender := fmt.Sprintf("holds%d-%s", i, c.sender), f.child
			if c.sender == "parent" {
				sender = f.parent
			}
			_, gate, err := db.SessionForSend(ctx, []byte(token))
			if err != nil {
				t.Fatal(err)
			}
			if c.change != "" {
				if _, err := db.Pool.Exec(ctx, c.change, f.parent, f.child, f.cred); err != nil {
					t.Fatal(err)
				}
			}
			holds, err := db.SendHolds(ctx, sender, gate)
			if want := c.change == ""; err != nil || holds != want {
				t.Fatalf("SendHolds = %v, %v; want %v", holds, err, want)
			}
			if c.change == "" {
				if holds, _ := db.SendHolds(ctx, sender^f.parent^f.child, gate); holds {
					t.Fatal("the gate held for a send by another user of the family")
				}
			}
		})
	}
}
