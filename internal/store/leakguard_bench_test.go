package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/keeper"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/sending"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// BenchmarkCheckLeak: the guard's check of a profile or title (read the
// child's fingerprints, HMAC the text's candidate substrings) for a child
// with 5 kept passwords and a 200-character text; a send's check
// (send-check: fingerprints read with the session, as the send gate
// does, then the child's last 2 messages in the conversation read and
// joined to the text); beside a raw PostgreSQL round trip of one indexed
// read, in one run.
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
	k := keeper.New(db, ring)
	for i := range 5 {
		if _, err := k.Create(ctx, parent, c.User.ID, keeper.NewGameCredential{GameName: fmt.Sprint("Game", i),
			Username: "kid", Password: fmt.Sprintf("secret-%04d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	msg := strings.Repeat("see you at the park later ", 8)[:200]
	conv, _, err := db.CreateConversation(ctx, child, store.NewConversation{MemberIDs: []int64{u.ID}})
	if err != nil {
		b.Fatal(err)
	}
	sender := sending.New(db, k, sending.Config{})
	for i := range 2 {
		if _, _, err := sender.Send(ctx, child, &store.SendGate{}, conv.ID, sending.Message{Type: "text", Content: msg, ClientID: fmt.Sprint("bench-", i)}); err != nil {
			b.Fatal(err)
		}
	}
	// A child's session is usable once their parent is approved.
	if _, err := db.Pool.Exec(ctx, `UPDATE users SET approved_by_admin = true WHERE id = $1`, u.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.CreateSession(ctx, c.User.ID, "!", []byte("bench-token")); err != nil {
		b.Fatal(err)
	}
	b.Run("guard", func(b *testing.B) {
		for b.Loop() {
			if hit, err := k.CheckLeak(ctx, child, msg); err != nil || hit != nil {
				b.Fatal(hit, err)
			}
		}
	})
	b.Run("send-check", func(b *testing.B) {
		for b.Loop() {
			_, gate, err := db.SessionForSend(ctx, []byte("bench-token"))
			if err != nil {
				b.Fatal(err)
			}
			if hit, err := k.CheckLeakIn(ctx, child, *gate, conv.ID, msg, time.Now()); err != nil || hit != nil {
				b.Fatal(hit, err)
			}
		}
	})
	b.Run("session-read", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.SessionForSend(ctx, []byte("bench-token")); err != nil {
				b.Fatal(err)
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
