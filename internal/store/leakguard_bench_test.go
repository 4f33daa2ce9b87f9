package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// BenchmarkCheckLeak: the whole pre-send check (read the child's
// fingerprints, HMAC the message's candidate substrings) for a child with
// 5 kept passwords and a 200-character message, beside a raw PostgreSQL
// round trip of one indexed read, in one run.
func BenchmarkCheckLeak(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	line, _ := vault.GenerateKeyLine(1)
	ring, err := vault.ParseRing(line)
	if err != nil {
		b.Fatal(err)
	}
	u, _, err := db.SignUpParent(ctx, "mum@example.com", "!", "Mum")
	if err != nil {
		b.Fatal(err)
	}
	parent := &domain.Actor{UserID: u.ID, Role: domain.RoleParent, Active: true}
	c, err := db.CreateChild(ctx, parent, "kiddo", "!", "Kiddo")
	if err != nil {
		b.Fatal(err)
	}
	child := &domain.Actor{UserID: c.User.ID, Role: domain.RoleChild, Active: true}
	k := store.NewKeeper(db, ring)
	for i := range 5 {
		if _, err := k.Create(ctx, parent, c.User.ID, store.NewGameCredential{GameName: fmt.Sprint("Game", i),
			Username: "kid", Password: fmt.Sprintf("secret-%04d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	msg := strings.Repeat("see you at the park later ", 8)[:200]
	b.Run("guard", func(b *testing.B) {
		for b.Loop() {
			if hit, err := k.CheckLeak(ctx, child, msg); err != nil || hit != nil {
				b.Fatal(hit, err)
			}
		}
	})
	b.Run("raw-read", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM game_credentials g JOIN profiles p ON p.id = g.profile_id WHERE p.user_id = $1`, c.User.ID).Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
