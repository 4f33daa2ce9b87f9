package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// sendSessionFixture is a family whose children and parent each send to
// their own direct chat, so that each one's last lookup is remembered
// (store.RememberedSessionForSend) before the change under test.
type sendSessionFixture struct {
	t     *testing.T
	env   *apitest.Env
	admin *apitest.Client
	fam   *apitest.Family
	chats map[*apitest.Client]int64 // each sender's chat
	n     int
}

func newSendSessionFixture(t *testing.T) *sendSessionFixture {
	clock := newClock("2026-03-25T12:00:00Z") // a Wednesday
	env := apitest.New(t, apitest.Options{Now: clock.Now})
	admin := env.Admin()
	f := &sendSessionFixture{t: t, env: env, admin: admin, fam: env.Family(admin, 2), chats: map[*apitest.Client]int64{}}
	for _, kid := range f.fam.Children {
		var c struct{ ID int64 }
		kid.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{f.fam.Parent.UserID}, "is_group": false}, &c)
		f.chats[kid] = c.ID
	}
	f.chats[f.fam.Parent] = f.chats[f.fam.Children[0]]
	return f
}

// send sends text as c to their chat.
func (f *sendSessionFixture) send(c *apitest.Client, text string) *apitest.Response {
	f.n++
	return c.Do("POST", fmt.Sprintf("/conversations/%d/messages", f.chats[c]),
		map[string]string{"type": "text", "content": text, "client_id": fmt.Sprintf("remembered-%d", f.n)})
}

// stored counts the messages holding text.
func (f *sendSessionFixture) stored(text string) int {
	var n int
	if err := f.env.DB.Pool.QueryRow(f.t.Context(), `SELECT count(*) FROM messages WHERE content = $1`, text).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// refused sends text as c, which must be answered status and store
// nothing.
func (f *sendSessionFixture) refused(c *apitest.Client, text string, status int, code string) {
	f.t.Helper()
	if r := f.send(c, text); r.Status != status || r.ErrorCode() != code {
		f.t.Fatalf("%q: %d %s, want %d %s", text, r.Status, r.Body, status, code)
	}
	if n := f.stored(text); n != 0 {
		f.t.Fatalf("%q: refused, yet stored %d times", text, n)
	}
}

// TestRememberedSendSessionsEndAtOnce: a send reuses its sender's last
// lookup, and yet a logout, a parent's "log out everywhere" and a
// suspension stop the very next send, as a fresh lookup would: 401 and
// nothing stored (the send's INSERT checks the session itself).
func TestRememberedSendSessionsEndAtOnce(t *testing.T) {
	f := newSendSessionFixture(t)
	kid1, kid2, parent := f.fam.Children[0], f.fam.Children[1], f.fam.Parent
	for _, c := range []*apitest.Client{kid1, kid2, parent} {
		if r := f.send(c, "hello"); r.Status != 201 {
			t.Fatalf("first send: %d %s", r.Status, r.Body)
		}
	}

	kid1.Must(204, "POST", "/auth/logout", nil, nil)
	f.refused(kid1, "after logout", 401, "unauthorized")

	parent.Must(204, "POST", fmt.Sprintf("/children/%d/logout-everywhere", kid2.UserID), nil, nil)
	f.refused(kid2, "after logout everywhere", 401, "unauthorized")

	if r := f.send(parent, "still here"); r.Status != 201 {
		t.Fatalf("parent send: %d %s", r.Status, r.Body)
	}
	f.admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", parent.UserID), nil, nil)
	f.refused(parent, "after suspension", 401, "unauthorized")
}

// TestRememberedSendGatesAreChecked: a child's remembered send gate is
// older than a schedule or a kept password set since; the next send is
// still refused by them (its INSERT finds the gate's stamp changed, and
// the API asks again on a fresh lookup), and a remembered gate never
// refuses on what was changed since: an old password goes through.
func TestRememberedSendGatesAreChecked(t *testing.T) {
	f := newSendSessionFixture(t)
	kid, parent := f.fam.Children[0], f.fam.Parent
	if r := f.send(kid, "hello"); r.Status != 201 {
		t.Fatalf("first send: %d %s", r.Status, r.Body)
	}
	var cred struct{ ID int64 }
	parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", kid.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Dragon77"}, &cred)
	f.refused(kid, "my password is dragon 77", 422, "password_in_message")

	if r := f.send(kid, "hello again"); r.Status != 201 { // remembers the gate with Dragon77
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", cred.ID), map[string]string{"password": "Creeper99"}, nil)
	if r := f.send(kid, "dragon 77"); r.Status != 201 {
		t.Fatalf("the old password after the change: %d %s", r.Status, r.Body)
	}
	f.refused(kid, "creeper99!", 422, "password_in_message")

	// Quiet hours from 11:00 to 13:00 on weekends; the clock says 12:00
	// on a Wednesday: awake, and that gate is remembered.
	sleepPath := fmt.Sprintf("/children/%d/sleep-mode", kid.UserID)
	hours := map[string]string{"start": "11:00", "end": "13:00"}
	parent.Must(200, "PUT", sleepPath, map[string]any{"time_zone": "UTC", "weekday": nil, "weekend": hours, "allow_parent_messages": false}, nil)
	if r := f.send(kid, "good morning"); r.Status != 201 {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	// The same hours moved to weekdays.
	parent.Must(200, "PUT", sleepPath, map[string]any{"time_zone": "UTC", "weekday": hours, "weekend": nil, "allow_parent_messages": false}, nil)
	f.refused(kid, "still awake", 423, "sleep_mode")
}
