package api_test

import (
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// TestPasswordResetEndsPush: a reset link ends every session of the
// account, and with them every device's push subscription. A device that
// was logged in by someone else (the reason for most resets) and turned
// push on would otherwise still be told of the family's children
// ("Mia has a new friend request") after the owner took the account back.
func TestPasswordResetEndsPush(t *testing.T) {
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 0)
	intruder := newPushSubscription("intruders-phone")
	fam.Parent.Must(201, "POST", "/me/push-subscriptions", intruder, nil)
	const token = "a-reset-token-as-the-worker-would-mail-it-xyz"
	_, err := env.DB.Pool.Exec(t.Context(), `
		INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at)
		VALUES ($1, $2, 'password_reset', CURRENT_TIMESTAMP + interval '30 minutes')`, notify.HashToken(token), fam.Parent.UserID)
	if err != nil {
		t.Fatal(err)
	}
	env.Anonymous().Must(200, "POST", "/auth/password-reset/confirm", map[string]string{"token": token, "password": "the-owners-new-password"}, nil)
	if got := pushEndpoints(t, env, fam.Parent.UserID); len(got) != 0 {
		t.Fatalf("after the reset the account still pushes to %v", got)
	}
}
