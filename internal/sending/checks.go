package sending

import (
	"context"
	"fmt"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/locale"
	"pixelpals/internal/store"
)

// A remembered send gate (store.RememberedSessionForSend) may be older
// than the child's schedule and kept passwords. It only ever lets a send
// through, which the send's INSERT then confirms (store.SendHoldsSQL); a
// send it would refuse is answered errSessionChanged, which the API asks
// again on a fresh lookup, so that no refusal, and none of a leak
// refusal's writes (the parent's notice, the audit row, the token), rests
// on a schedule or a password that may have changed.

// checkSleep is check 1: a child's send during their quiet hours is
// refused (423 sleep_mode, with ends_at and Retry-After) by the schedule
// of their gate, unless it allows messages to their own parent and this
// is their direct chat. Others' sends are not checked.
func (s *Sender) checkSleep(ctx context.Context, actor *domain.Actor, gate *store.SendGate, convID int64) error {
	if !actor.IsChild() || gate.Sleep == nil {
		return nil
	}
	sched := gate.Sleep
	now := s.now()
	st := sched.State(now)
	if !st.Asleep {
		return nil
	}
	if sched.AllowParent {
		ok, err := s.db.IsDirectWithOwnParent(ctx, actor.UserID, convID)
		if err != nil || ok {
			return err
		}
	}
	if gate.Remembered() {
		return errSessionChanged // refused on a fresh lookup only (see above)
	}
	loc, _ := time.LoadLocation(sched.TimeZone)
	return &Refusal{Reason: SleepMode, Err: &domain.Error{Code: domain.CodeSleepMode, EndsAt: st.Until, RetryAfter: st.Until.Sub(now),
		Message: fmt.Sprintf(sleepRefusal, st.Until.In(loc).Format("Mon 15:04")),
		Format:  sleepRefusal, Args: []any{st.Until.In(loc).Format("Mon 15:04")}}}
}

// checkLeak is check 2: a child's message (or caption) that holds one of
// their own kept game passwords, alone or with their last messages in
// the conversation (LeakGuard), is refused.
func (s *Sender) checkLeak(ctx context.Context, actor *domain.Actor, gate *store.SendGate, convID int64, content string) error {
	if !actor.IsChild() {
		return nil
	}
	hit, err := s.leaks.CheckLeakIn(ctx, actor, *gate, convID, content, s.now())
	if err != nil || hit == nil {
		return err
	}
	if gate.Remembered() {
		return errSessionChanged // refused on a fresh lookup only (see above)
	}
	return s.RefuseLeak(ctx, actor, convID, "content", *hit)
}

// The refusals' English texts, the keys of their translations (internal/locale).
var (
	sleepRefusal = locale.Text("Sleep mode is on until %s. Your message can wait until then. Good night!")
	leakRefusal  = locale.Text("Whoa, this %s has your %s password in it! Passwords are secret, even from friends, so it was not saved or sent. Your parent has been told. Try again without the password.")
)

// leakNouns say what the child was writing, for the refusal.
var leakNouns = map[string]string{"content": "message", "display_name": "name", "bio": "bio", "title": "group name"}

// RefuseLeak answers a leak-guard hit in field (of a message in
// conversation convID, or of a text outside one: convID 0, field
// display_name, bio or title): 422 password_in_message naming the game
// to the child only and the field; nothing is written but the parent's
// dashboard entry and a leak_guard.blocked event naming the game.
func (s *Sender) RefuseLeak(ctx context.Context, actor *domain.Actor, convID int64, field string, hit store.LeakHit) error {
	// A refusal takes a token of the send budget like any send: each
	// refusal writes an audit row (serialized by the audit chain) and an
	// event to the parent, so a loop resending the password must not
	// write them unbounded.
	if err := s.takeToken(ctx, actor.UserID); err != nil {
		return err
	}
	if err := s.db.RecordLeakBlock(ctx, actor, convID, hit); err != nil {
		return err
	}
	args := []any{leakNouns[field], hit.GameName}
	return &Refusal{Reason: PasswordInMessage, Err: &domain.Error{Code: domain.CodePasswordInMessage, Field: field,
		Message: fmt.Sprintf(leakRefusal, args...), Format: leakRefusal, Args: args}}
}
