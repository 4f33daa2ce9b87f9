package notify_test

import (
	"fmt"
	"slices"
	"testing"

	"pixelpals/internal/apitest"
)

// TestNoMailToUnvettedGuardians: a request about a child reaches, by
// mail, the primary and an approved second guardian, but neither a
// guardian still awaiting an admin's approval nor a suspended one.
func TestNoMailToUnvettedGuardians(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b := fa.Child(), fb.Child()
	approved := env.Guardian(admin, fa.Parent, k.UserID)
	suspended := env.Guardian(admin, fa.Parent, k.UserID)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", suspended.UserID), nil, nil)
	pending := env.PendingParent()
	pending.Must(200, "POST", "/guardian-invites/accept", map[string]string{"code": fa.Parent.Invite(k.UserID)}, nil)
	settleSignups(t, env)
	if _, err := env.DB.Pool.Exec(t.Context(), `UPDATE notifications SET state = 'sent' WHERE state = 'pending'`); err != nil {
		t.Fatal(err)
	}

	var code struct {
		FriendCode string `json:"friend_code"`
	}
	k.Must(200, "GET", "/me/friend-code", nil, &code)
	b.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode}, nil)

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
