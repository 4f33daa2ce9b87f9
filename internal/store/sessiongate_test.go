package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
)

// TestSessionForSendReadsTheGate: concurrent lookups share batches, some
// wanting send gates and some not, some of one session or one child
// twice; each gets its own actor, and a child's send lookup their own
// schedule and fingerprints, each once, never another child's; a parent's
// gate has neither (only its session, for the send's INSERT to check).
func TestSessionForSendReadsTheGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	const kids = 8
	var parent int64
	err := db.Pool.QueryRow(ctx, `
		INSERT INTO users (email, password_hash, role, approved_by_admin)
		VALUES ('gate-parent@example.com', 'x', 'PARENT', true) RETURNING id`).Scan(&parent)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]int64{"parent-token": parent}
	prints := map[int64][]int64{} // child: credentials with fingerprints
	for i := range kids {
		var kid int64
		err := db.Pool.QueryRow(ctx, `
			INSERT INTO users (email, password_hash, role, parent_id) VALUES ($1, 'x', 'CHILD', $2) RETURNING id`,
			fmt.Sprintf("gatekid%d", i), parent).Scan(&kid)
		if err != nil {
			t.Fatal(err)
		}
		tokens[fmt.Sprintf("kid-token-%d", i)] = kid
		if i == 2 { // a second device
			tokens["kid-token-2-phone"] = kid
		}
		for g := range i % 3 { // zero to two kept game logins
			var cred int64
			err := db.Pool.QueryRow(ctx, `
				WITH p AS (INSERT INTO profiles (user_id, display_name) VALUES ($1, 'Kid') ON CONFLICT (user_id) DO UPDATE SET display_name = 'Kid' RETURNING id),
				g AS (INSERT INTO game_credentials (profile_id, game_name, username, password_ciphertext, iv)
				      SELECT id, 'Game ' || $2::int, 'kid', '\x00', '\x00' FROM p RETURNING id)
				INSERT INTO leak_fingerprints (credential_id, key_version, length, fp) SELECT id, 1, 8, '\x01' FROM g
				RETURNING credential_id`, kid, g).Scan(&cred)
			if err != nil {
				t.Fatal(err)
			}
			prints[kid] = append(prints[kid], cred)
		}
		if i%2 == 0 { // every other child has quiet hours, starting at minute i
			if _, err := db.Pool.Exec(ctx, `
				INSERT INTO sleep_schedules (child_id, time_zone, weekday_start, weekday_end) VALUES ($1, 'UTC', $2, 600)`, kid, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	for tok, id := range tokens {
		if _, err := db.Pool.Exec(ctx, `
			INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, CURRENT_TIMESTAMP + interval '1 hour')`,
			id, []byte(tok)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for round := range 20 {
		for tok, id := range tokens {
			for range 1 + round%3 { // the same session up to three times at once
				wg.Go(func() {
					if round%2 == 0 {
						a, err := db.SessionActor(ctx, []byte(tok))
						if err != nil || a.UserID != id {
							t.Errorf("SessionActor(%s) = %+v, %v; want user %d", tok, a, err, id)
						}
						return
					}
					a, gate, err := db.SessionForSend(ctx, []byte(tok))
					if err != nil || a.UserID != id {
						t.Errorf("SessionForSend(%s) = %+v, %v; want user %d", tok, a, err, id)
						return
					}
					switch {
					case gate == nil:
						t.Errorf("%s: a %s got no send gate", tok, a.Role)
					case a.Role != domain.RoleChild && (gate.Sleep != nil || len(gate.PrintCredentials()) > 0):
						t.Errorf("%s: a %s got a child's checks in their send gate", tok, a.Role)
					case a.Role == domain.RoleChild:
						if got := gate.PrintCredentials(); !slices.Equal(got, prints[id]) {
							t.Errorf("%s: fingerprints of credentials %v, want %v", tok, got, prints[id])
						}
						var i int
						fmt.Sscanf(tok, "kid-token-%d", &i)
						if (gate.Sleep != nil) != (i%2 == 0) {
							t.Errorf("%s: schedule %+v, want one: %v", tok, gate.Sleep, i%2 == 0)
						} else if gate.Sleep != nil && (gate.Sleep.ChildID != id || gate.Sleep.Weekday.Start != i) {
							t.Errorf("%s: schedule %+v is not child %d's", tok, gate.Sleep, id)
						}
					}
				})
			}
		}
	}
	wg.Wait()
	if _, _, err := db.SessionForSend(ctx, []byte("no-such-token")); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("unknown token: %v, want unauthorized", err)
	}
}
