package notify_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestNoMailToUnvettedGuardians: a request about a child reaches, by
// mail, the primary and an approved second guardian, but neither a
// guardian still awaiting an admin's approval nor a suspended one.
func TestNoMailToUnvettedGuardians(t *testing.T) {
	env := apitest.New(t)
	fa, k, b, approved, suspended, pending := fourGuardians(t, env)
	markAllSent(t, env)

	requestFriend(k, b)

	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	drain(t, smtpWorker(env, port))
	var to []string
	for _, m := range mb.all() {
		to = append(to, m.To...)
	}
	for _, c := range []*apitest.Client{fa.Parent, approved} {
		if !slices.Contains(to, c.Login) {
			t.Errorf("guardian %s got no mail about the request (mails to %v)", c.Login, to)
		}
	}
	for _, c := range []*apitest.Client{suspended, pending} {
		if slices.Contains(to, c.Login) {
			t.Errorf("unvetted guardian %s was mailed about the child", c.Login)
		}
	}
}

// TestNoDigestToUnvettedGuardians: four guardians of a child chose a
// daily digest of friend requests. Once the digest hour passed, the
// primary and an approved second guardian get a digest naming the child;
// a guardian still awaiting an admin's approval and a suspended one get
// none, and their waiting rows end dead rather than wait for ever.
func TestNoDigestToUnvettedGuardians(t *testing.T) {
	env := apitest.New(t)
	fa, k, b, approved, suspended, pending := fourGuardians(t, env)
	everyone := []*apitest.Client{fa.Parent, approved, suspended, pending}
	chooseDaily(t, env, everyone...)
	markAllSent(t, env)

	requestFriend(k, b)
	checkWaiting(t, env, everyone)

	mb := mailDigestsADayLater(t, env)
	for _, c := range []*apitest.Client{fa.Parent, approved} {
		ds := mailsTo(t, mb, c.Login, "Your daily digest")
		if len(ds) != 1 || !strings.Contains(ds[0].Text, "Kid "+k.Login) {
			t.Errorf("guardian %s got %d digests, want 1 naming Kid %s", c.Login, len(ds), k.Login)
		}
	}
	for _, c := range []*apitest.Client{suspended, pending} {
		if ds := mailsTo(t, mb, c.Login, ""); len(ds) != 0 {
			t.Errorf("unvetted guardian %s got %d mails, the first: %s", c.Login, len(ds), ds[0].Text)
		}
		var state string
		err := env.DB.Pool.QueryRow(t.Context(), `SELECT string_agg(state, ',') FROM notifications
			WHERE recipient_id = $1 AND kind = 'contact_request'`, c.UserID).Scan(&state)
		if err != nil || state != "dead" {
			t.Errorf("the friend request row of unvetted %s is %q (%v), want dead", c.Login, state, err)
		}
	}
}

// checkWaiting: each guardian has one friend request row waiting for a
// digest, so that the digest's choice of recipients is what is tested.
func checkWaiting(t *testing.T, env *apitest.Env, cs []*apitest.Client) {
	t.Helper()
	for _, c := range cs {
		var n int
		err := env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM notifications
			WHERE recipient_id = $1 AND kind = 'contact_request' AND state = 'digest'`, c.UserID).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("guardian %s has %d friend request rows waiting for a digest (%v), want 1", c.Login, n, err)
		}
	}
}

// markAllSent ends every waiting notification (the sign-ups' and
// approvals'), so that a test sees only what it causes afterwards.
func markAllSent(t *testing.T, env *apitest.Env) {
	t.Helper()
	if _, err := env.DB.Pool.Exec(t.Context(), `UPDATE notifications SET state = 'sent' WHERE state = 'pending'`); err != nil {
		t.Fatal(err)
	}
}

// chooseDaily makes each of cs choose a daily digest of friend requests.
func chooseDaily(t *testing.T, env *apitest.Env, cs ...*apitest.Client) {
	t.Helper()
	for _, c := range cs {
		_, err := env.DB.Pool.Exec(t.Context(), `
			INSERT INTO notification_settings (user_id, kind, delivery) VALUES ($1, 'contact_request', 'daily')
			ON CONFLICT (user_id, kind) DO UPDATE SET delivery = 'daily'`, c.UserID)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// requestFriend has child b ask child k to be friends, by k's friend code.
func requestFriend(k, b *apitest.Client) {
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	k.Must(200, "GET", "/me/friend-code", nil, &code)
	b.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, nil)
}

// fourGuardians makes family A's child k, with four guardians: the primary
// (fa.Parent), an approved second, a suspended one and one still awaiting
// an admin's approval; and family B's child b, to ask k to be friends.
func fourGuardians(t *testing.T, env *apitest.Env) (fa *apitest.Family, k, b, approved, suspended, pending *apitest.Client) {
	t.Helper()
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b = fa.Child(), fb.Child()
	approved = env.Guardian(admin, fa.Parent, k.UserID)
	suspended = env.Guardian(admin, fa.Parent, k.UserID)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", suspended.UserID), nil, nil)
	pending = env.PendingParent()
	pending.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}, nil)
	settleSignups(t, env)
	return fa, k, b, approved, suspended, pending
}
