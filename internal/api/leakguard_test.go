package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/ratelimit"
)

// TestLeakGuard: a child's message holding their own kept password (any
// case, spaced or dotted) is 422 with a friendly explanation naming the
// game, stores no message, and gives the parent a dashboard row, an audit
// row and a leak_guard.blocked event naming the game, never the password.
// Other children's passwords, parents and short passwords are not guarded;
// a changed password is guarded from then on.
func TestLeakGuard(t *testing.T) {
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 2)
	child, sibling, parent := fam.Children[0], fam.Children[1], fam.Parent
	var cred struct{ ID int64 }
	parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", child.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, &cred)
	parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", child.UserID),
		map[string]string{"game_name": "Tiny", "username": "kid", "password": "abc"}, nil)
	var conv struct{ ID int64 }
	child.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
	ps := parent.Socket("")
	defer ps.Close()

	n := 0
	send := func(c *apitest.Client, convID int64, text string) *apitest.Response {
		n++
		return c.Do("POST", fmt.Sprintf("/conversations/%d/messages", convID),
			map[string]string{"type": "text", "content": text, "client_id": fmt.Sprintf("leak-%d", n)})
	}
	count := func(q string, args ...any) int {
		var k int
		if err := env.DB.Pool.QueryRow(t.Context(), q, args...).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, text := range []string{"my pass is Hunter2!", "HUNTER2!", "h u n t e r 2 !", "it's h.u.n.t.e.r.2.! ok", "hun ter2!!"} {
		before := count(`SELECT count(*) FROM messages WHERE conversation_id = $1`, conv.ID)
		r := send(child, conv.ID, text)
		var e struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(r.Body, &e)
		if r.Status != 422 || e.Error.Code != "password_in_message" || !strings.Contains(e.Error.Message, "Blockcraft") ||
			strings.Contains(strings.ToLower(string(r.Body)), "hunter") {
			t.Fatalf("%q: %d %s", text, r.Status, r.Body)
		}
		if count(`SELECT count(*) FROM messages WHERE conversation_id = $1`, conv.ID) != before {
			t.Fatalf("%q: a refused message was stored", text)
		}
		f := nextOf(t, ps, "leak_guard.blocked")
		var d struct {
			ChildID  int64  `json:"child_id"`
			GameName string `json:"game_name"`
			ConvID   *int64 `json:"conversation_id"`
		}
		json.Unmarshal(f.Data, &d)
		if d.ChildID != child.UserID || d.GameName != "Blockcraft" || d.ConvID == nil || *d.ConvID != conv.ID ||
			strings.Contains(strings.ToLower(string(f.Data)), "hunter") {
			t.Fatalf("event: %s", f.Data)
		}
	}
	if got := count(`SELECT count(*) FROM leak_guard_hits WHERE child_id = $1 AND game_name = 'Blockcraft'`, child.UserID); got != 5 {
		t.Fatalf("%d dashboard rows, want 5", got)
	}
	if got := count(`SELECT count(*) FROM audit_logs WHERE action = 'leak_guard.blocked' AND entity_id = $1
		AND after_json::text NOT ILIKE '%hunter%'`, cred.ID); got != 5 {
		t.Fatalf("%d clean audit rows, want 5", got)
	}
	if got := count(`SELECT count(*) FROM audit_logs WHERE coalesce(after_json::text, '') ILIKE '%hunter%' OR coalesce(before_json::text, '') ILIKE '%hunter%'`); got != 0 {
		t.Fatalf("the password is in %d audit rows", got)
	}

	// Not guarded: near misses, a too-short password, other children,
	// parents. ("Hunter2" is no near miss: only letters and digits count.)
	for _, text := range []string{"hunter 3!", "Hunter", "abc abc", "hello"} {
		if r := send(child, conv.ID, text); r.Status != 201 {
			t.Fatalf("%q: %d %s", text, r.Status, r.Body)
		}
	}
	var sconv struct{ ID int64 }
	sibling.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &sconv)
	if r := send(sibling, sconv.ID, "Hunter2!"); r.Status != 201 {
		t.Fatalf("another child's password: %d", r.Status)
	}
	if r := send(parent, conv.ID, "Hunter2!"); r.Status != 201 {
		t.Fatalf("parent: %d", r.Status)
	}

	// A new password replaces the old fingerprint.
	parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", cred.ID), map[string]string{"password": "Creeper99"}, nil)
	if r := send(child, conv.ID, "Hunter2!"); r.Status != 201 {
		t.Fatalf("old password after the change: %d", r.Status)
	}
	if r := send(child, conv.ID, "creeper 99"); r.Status != 422 {
		t.Fatalf("new password: %d", r.Status)
	}
}

// TestLeakGuardRateLimited: a refused send takes a token of the send
// budget like any send, so a child resending their password in a loop gets
// 429 and writes no more dashboard rows, audit rows or parent events than
// the budget allows.
func TestLeakGuardRateLimited(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{SendRate: &ratelimit.Rate{PerSecond: 0.5, Burst: 3}})
	fam := env.Family(env.Admin(), 1)
	child, parent := fam.Children[0], fam.Parent
	var cred struct{ ID int64 }
	parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", child.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, &cred)
	var conv struct{ ID int64 }
	child.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
	for i := range 6 {
		r := child.Do("POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
			map[string]string{"type": "text", "content": "Hunter2!", "client_id": fmt.Sprintf("flood-%d", i)})
		want := 422
		if i >= 3 {
			want = 429
		}
		if r.Status != want {
			t.Fatalf("send %d: %d %s, want %d", i, r.Status, r.Body, want)
		}
	}
	var hits, audits int
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM leak_guard_hits WHERE child_id = $1),
		(SELECT count(*) FROM audit_logs WHERE action = 'leak_guard.blocked' AND entity_id = $2)`, child.UserID, cred.ID).Scan(&hits, &audits); err != nil {
		t.Fatal(err)
	}
	if hits != 3 || audits != 3 {
		t.Fatalf("%d dashboard rows and %d audit rows, want 3 each", hits, audits)
	}
}
