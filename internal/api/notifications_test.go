package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
)

// noteRow is one notifications row as the tests compare them.
type noteRow struct {
	To    int64 // recipient_id
	Kind  string
	Child int64
}

func (n noteRow) String() string { return fmt.Sprintf("{to %d %s child %d}", n.To, n.Kind, n.Child) }

// notesSince returns the rows written after row id mark, and the new mark.
func notesSince(t *testing.T, env *apitest.Env, mark int64) ([]noteRow, int64) {
	t.Helper()
	rows, err := env.DB.Pool.Query(t.Context(), `
		SELECT coalesce(recipient_id, 0), kind, coalesce(child_id, 0) FROM notifications
		WHERE id > $1 ORDER BY recipient_id, kind, child_id`, mark)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[noteRow])
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT coalesce(max(id), 0) FROM notifications`).Scan(&mark); err != nil {
		t.Fatal(err)
	}
	return notes, mark
}

// TestNotificationOutbox performs each action that must reach a parent
// through the API and checks that exactly the expected rows were written
// (recipient, kind, child), in state pending, holding ids only; nothing
// for the acting parent, other families or a bystander.
func TestNotificationOutbox(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc, bystander := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	a, b, c := fa.Child(), fb.Child(), fc.Child()
	_, mark := notesSince(t, env, 0) // the families' own account_approved
	start := mark
	step := func(name string, want ...noteRow) {
		t.Helper()
		var got []noteRow
		got, mark = notesSince(t, env, mark)
		slices.SortFunc(want, func(x, y noteRow) int { return strings.Compare(x.String(), y.String()) })
		slices.SortFunc(got, func(x, y noteRow) int { return strings.Compare(x.String(), y.String()) })
		if !slices.Equal(got, want) {
			t.Fatalf("%s: notifications %v, want %v", name, got, want)
		}
	}

	// A child asks: both parents must approve, both are told.
	var link contactJSON
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": friendCode(b)}, &link)
	step("child's request", noteRow{fa.Parent.UserID, "contact_request", a.UserID}, noteRow{fb.Parent.UserID, "contact_request", b.UserID})
	fa.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	step("first approval")
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
	step("second approval", noteRow{fa.Parent.UserID, "contact_approved", a.UserID})

	// A parent asks for their child: only the other parent must approve.
	declined := requestLink(fa, a, c)
	step("parent's request", noteRow{fc.Parent.UserID, "contact_request", c.UserID})
	fc.Parent.Must(204, "POST", fmt.Sprintf("/contacts/%d/reject", declined.ID), nil, nil)
	step("decline", noteRow{fa.Parent.UserID, "contact_declined", a.UserID})

	// Sign-ups: approved, and declined (the account goes; its address
	// stays with the row until sent).
	approved, rejected := env.PendingParent(), env.PendingParent()
	step("sign-ups", noteRow{approved.UserID, "verify_email", 0}, noteRow{rejected.UserID, "verify_email", 0}) // issue 22.4
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", approved.UserID), nil, nil)
	step("account approved", noteRow{approved.UserID, "account_approved", 0})
	admin.Must(204, "POST", fmt.Sprintf("/admin/users/%d/reject", rejected.UserID), nil, nil)
	step("account declined", noteRow{rejected.UserID, "account_declined", 0})
	var email *string
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT recipient_email FROM notifications WHERE id = $1`, mark).Scan(&email); err != nil {
		t.Fatal(err)
	}
	if email == nil || *email != rejected.Login {
		t.Fatalf("declined sign-up's address: %v, want %s", email, rejected.Login)
	}

	// The leak guard stops a child.
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", a.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	toParent := createDirect(a, fa.Parent.UserID).ID
	wantStatus(t, send(a, toParent, "my pass is Hunter2!"), 422, "password_in_message")
	step("leak guard", noteRow{fa.Parent.UserID, "leak_guard", a.UserID})

	// A report by a about b's message, and its outcome: both families.
	conv := createDirect(a, b.UserID).ID
	m := mustSend(t, b, conv, "hello")
	var rep struct{ ID int64 }
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", m.ID), map[string]string{"reason": "mean"}, &rep)
	step("report", noteRow{fa.Parent.UserID, "report_by_child", a.UserID}, noteRow{fb.Parent.UserID, "report_about_child", b.UserID})
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID), map[string]string{"resolution": "dismissed"}, nil)
	step("report resolved", noteRow{fa.Parent.UserID, "report_resolved", a.UserID}, noteRow{fb.Parent.UserID, "report_resolved", b.UserID})

	// a blocks b.
	a.Must(200, "POST", fmt.Sprintf("/contacts/%d/block", link.ID), nil, nil)
	step("block", noteRow{fa.Parent.UserID, "child_blocked", a.UserID}, noteRow{fb.Parent.UserID, "child_was_blocked", b.UserID})

	// An admin suspends a child, a parent (nothing: not a child), deletes a child.
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", a.UserID), nil, nil)
	step("child suspended", noteRow{fa.Parent.UserID, "child_suspended", a.UserID})
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", fb.Parent.UserID), nil, nil)
	step("parent suspended")
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", c.UserID), nil, nil)
	step("child deleted", noteRow{fc.Parent.UserID, "child_deleted", c.UserID})

	// A parent with a row still pending can be deleted (the approved one
	// has done nothing, so their users row goes): the row stays, and the
	// worker will find no one to send it to (internal/notify's tests).
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", approved.UserID), nil, nil)
	step("parent deleted")

	// Every row is pending, ids only, and none is for the bystander.
	var bad []string
	rows, err := env.DB.Pool.Query(t.Context(), `
		SELECT format('%s to %s: %s, %s attempts, about %s', id, recipient_id, state, attempts, about) FROM notifications
		WHERE id > $2 AND (state <> 'pending' OR attempts <> 0 OR recipient_id = ANY($1)
		   OR EXISTS (SELECT 1 FROM jsonb_each(about) e WHERE jsonb_typeof(e.value) <> 'number'))`,
		[]int64{bystander.Parent.UserID, bystander.Child().UserID}, start)
	if err == nil {
		bad, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || len(bad) != 0 {
		t.Fatalf("rows not pending, not ids only, or to the bystander: %v (%v)", bad, err)
	}
}

// TestNotificationSettings: every kind starts at "now"; PUT changes the
// kinds it names and answers all; bad input is a 400 naming the field and
// changes nothing. "off" writes no row, "daily" a row kept for the digest,
// and one parent's choice changes nothing for another.
func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	var s map[string]any // the kinds, and the preferences (notifyprefs_test.go)
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if len(s) != 13 || s["contact_request"] != "now" || s["leak_guard"] != "now" || s["account_approved"] != nil {
		t.Fatalf("defaults: %v", s)
	}
	fa.Parent.Must(200, "PUT", "/me/notification-settings", map[string]string{"contact_request": "off", "leak_guard": "daily"}, &s)
	if s["contact_request"] != "off" || s["leak_guard"] != "daily" || s["report_resolved"] != "now" {
		t.Fatalf("after PUT: %v", s)
	}
	for _, bad := range []struct {
		body  any
		field string
	}{
		{map[string]string{"contact_request": "now", "account_approved": "off"}, "account_approved"},
		{map[string]string{"nonsense": "off"}, "nonsense"},
		{map[string]string{"contact_request": "sometimes"}, "contact_request"},
		{map[string]any{"leak_guard": 1}, "leak_guard"},
	} {
		r := fa.Parent.Do("PUT", "/me/notification-settings", bad.body)
		if r.Status != 400 || r.ErrorCode() != "invalid" || r.ErrorField() != bad.field {
			t.Errorf("%v: %d %s, want 400 naming %s", bad.body, r.Status, r.Body, bad.field)
		}
	}
	wantStatus(t, fa.Parent.Do("PUT", "/me/notification-settings", "[]"), 400, "invalid")
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["contact_request"] != "off" || s["leak_guard"] != "daily" {
		t.Fatalf("a refused PUT changed settings: %v", s)
	}

	_, mark := notesSince(t, env, 0)
	a, b := fa.Child(), fb.Child()
	a.Must(201, "POST", "/contacts", map[string]any{"friend_code": friendCode(b)}, nil)
	got, _ := notesSince(t, env, mark)
	if want := []noteRow{{fb.Parent.UserID, "contact_request", b.UserID}}; !slices.Equal(got, want) {
		t.Fatalf("with contact requests off for A: %v, want %v", got, want)
	}
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", a.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "kid", "password": "Hunter2!"}, nil)
	wantStatus(t, send(a, createDirect(a, fa.Parent.UserID).ID, "it is Hunter2!"), 422, "password_in_message")
	var state string
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT state FROM notifications WHERE kind = 'leak_guard' AND recipient_id = $1`,
		fa.Parent.UserID).Scan(&state); err != nil || state != "digest" {
		t.Fatalf("daily leak guard row: %q %v, want digest", state, err)
	}
}
