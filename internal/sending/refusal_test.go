package sending_test

import (
	"errors"
	"testing"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/sending"
	"pixelpals/internal/store"
)

// TestRefusalOrder: a send that fails several checks is refused by the
// first of them in the package's order, as a typed Refusal whose domain
// error is what the API answers with.
func TestRefusalOrder(t *testing.T) {
	f := newChatFixture(t)
	parent := f.user(domain.RoleParent, nil)
	kid1, kid2 := f.user(domain.RoleChild, &parent.UserID), f.user(domain.RoleChild, &parent.UserID)
	frozen, notMine := f.conv(kid1, kid2), f.conv(kid2, parent)
	f.exec(`UPDATE conversations SET frozen_at = CURRENT_TIMESTAMP WHERE id = $1`, frozen)
	noon := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC) // a Monday
	s := sending.New(f.db, store.NewLeakGuard(f.db, nil), sending.Config{Now: func() time.Time { return noon }})
	asleep := &store.SendGate{Sleep: &store.SleepSchedule{TimeZone: "UTC",
		Weekday: &store.SleepSpan{Start: 11 * 60, End: 13 * 60}, Weekend: &store.SleepSpan{Start: 11 * 60, End: 13 * 60}}}
	awake := &store.SendGate{}
	for _, c := range []struct {
		name   string
		gate   *store.SendGate
		convID int64
		reason sending.Reason
		code   string
	}{
		{"asleep, frozen", asleep, frozen, sending.SleepMode, domain.CodeSleepMode},
		{"awake, frozen", awake, frozen, sending.Frozen, domain.CodeFrozen},
		{"awake, not a member", awake, notMine, sending.NotMember, domain.CodeNotFound},
	} {
		_, _, err := s.Send(f.ctx, kid1, c.gate, c.convID, sending.Message{Type: domain.MessageText, Content: "hi", ClientID: c.name})
		var r *sending.Refusal
		if !errors.As(err, &r) || r.Reason != c.reason || domain.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want a %s refusal (%s)", c.name, err, c.reason, c.code)
		}
	}
}
