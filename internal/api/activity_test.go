package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// TestActivity: every section of the dashboard counts what happened in
// the last 30 days and nothing older, for the parent's own child only.
func TestActivity(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fc := env.Family(admin, 1), env.Family(admin, 1)
	a, c := fa.Child(), fc.Child()
	link := approveLink(fa, a, fc, c)
	var conv struct{ ID int64 }
	a.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{c.UserID}, "is_group": false}, &conv)
	n := 0
	send := func(who *apitest.Client, text string) int64 {
		n++
		var m struct{ ID int64 }
		who.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
			map[string]string{"type": "text", "content": text, "client_id": fmt.Sprintf("a%d", n)}, &m)
		return m.ID
	}
	send(a, "hi")
	send(a, "how are you")
	theirs := send(c, "fine")
	ctx := t.Context()
	// Images (the media branch sends them; here written directly), and an
	// old message outside the window.
	if _, err := env.DB.Pool.Exec(ctx, `
		INSERT INTO messages (conversation_id, sender_id, type, media_url, content, created_at)
		VALUES ($1, $2, 'image', 'x', NULL, now()), ($1, $3, 'image', 'y', NULL, now()), ($1, $3, 'image', 'z', NULL, now()),
		       ($1, $2, 'text', NULL, 'old', now() - interval '40 days')`,
		conv.ID, a.UserID, c.UserID); err != nil {
		t.Fatal(err)
	}
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", theirs), map[string]string{"reason": "mean"}, nil)
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", a.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	a.Must(422, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": "hunter2!", "client_id": "leak"}, nil)
	fa.Parent.Must(200, "PUT", fmt.Sprintf("/children/%d/sleep-mode", a.UserID), schoolNights(true), nil)

	var act struct {
		Contacts []struct {
			UserID   int64 `json:"user_id"`
			Messages int64
		}
		NewContacts []struct{ ID int64 } `json:"new_contacts"`
		Reports     []struct{ Relation string }
		Images      struct{ Sent, Received int64 }
		SleepMode   []struct{ Action string } `json:"sleep_mode_changes"`
		LeakGuard   []struct {
			GameName string `json:"game_name"`
		} `json:"leak_guard_hits"`
	}
	fa.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/activity", a.UserID), nil, &act)
	if len(act.Contacts) != 1 || act.Contacts[0].UserID != c.UserID || act.Contacts[0].Messages != 6 {
		t.Errorf("contacts: %+v, want %d with 6 messages (3 text, 3 images; the old one out)", act.Contacts, c.UserID)
	}
	if len(act.NewContacts) != 1 || act.NewContacts[0].ID != link {
		t.Errorf("new contacts: %+v", act.NewContacts)
	}
	if len(act.Reports) != 1 || act.Reports[0].Relation != "filed_by_child" {
		t.Errorf("reports: %+v", act.Reports)
	}
	if act.Images.Sent != 1 || act.Images.Received != 2 {
		t.Errorf("images: %+v", act.Images)
	}
	if len(act.SleepMode) != 1 || act.SleepMode[0].Action != "sleep_mode.set" {
		t.Errorf("sleep mode: %+v", act.SleepMode)
	}
	if len(act.LeakGuard) != 1 || act.LeakGuard[0].GameName != "Blockcraft" {
		t.Errorf("leak guard: %+v", act.LeakGuard)
	}
	// The other side's parent sees the report as about their child.
	var other struct {
		Reports []struct {
			Relation string
			Reason   *string
		}
	}
	fc.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/activity", c.UserID), nil, &other)
	if len(other.Reports) != 1 || other.Reports[0].Relation != "about_child" || other.Reports[0].Reason != nil {
		t.Errorf("reports about C's child: %+v", other.Reports)
	}
	fc.Parent.Must(404, "GET", fmt.Sprintf("/children/%d/activity", a.UserID), nil, nil)

	// Deleting the child deletes their schedule and leak-guard entries.
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", a.UserID), nil, nil)
	var left int
	env.DB.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM sleep_schedules WHERE child_id = $1)
		+ (SELECT count(*) FROM leak_guard_hits WHERE child_id = $1)`, a.UserID).Scan(&left)
	if left != 0 {
		t.Fatalf("%d parental-control rows left after the child's deletion", left)
	}
}
