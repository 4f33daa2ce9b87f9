package notify_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// TestDigestScheduledThenGuardianGone: a digest written (its rows handed
// to it) but not yet sent when one guardian is removed and another is
// suspended names the child to neither: the rows about the child that
// dropLeftovers ended, or that the suspended guardian may no longer be
// told of, are not in it, and a digest left with nothing is not sent.
func TestDigestScheduledThenGuardianGone(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	k, b := fa.Child(), fb.Child()
	removed := env.Guardian(admin, fa.Parent, k.UserID)
	suspended := env.Guardian(admin, fa.Parent, k.UserID)
	settleSignups(t, env)
	gone := []*apitest.Client{removed, suspended}
	chooseDaily(t, env, gone...)
	markAllSent(t, env)
	requestFriend(k, b)
	checkWaiting(t, env, gone)
	// The digest hour passed: each one's digest is written and holds the
	// row (scheduleDigests' statement), but is not sent yet.
	for _, c := range gone {
		_, err := env.DB.Pool.Exec(t.Context(), `
			WITH digest AS (
				INSERT INTO notifications (recipient_id, kind, period, state)
				VALUES ($1, 'daily_digest', CURRENT_DATE, 'pending') RETURNING id)
			UPDATE notifications n SET digest_id = digest.id FROM digest
			WHERE n.recipient_id = $1 AND n.state = 'digest' AND n.digest_id IS NULL`, c.UserID)
		if err != nil {
			t.Fatal(err)
		}
	}
	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d/guardians/%d", k.UserID, removed.UserID), nil, nil)
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", suspended.UserID), nil, nil)

	mb := mailDigestsADayLater(t, env)
	for _, c := range gone {
		for _, m := range mailsTo(t, mb, c.Login, "Your daily digest") {
			t.Errorf("%s, no longer told of the child, got a digest: %s", c.Login, m.Text)
		}
	}
}
