// Package sending is the one way a message is sent (docs/chat.md,
// "Sending a message"): every check of a send, in one fixed order, each
// refusal typed (Refusal), and the group commit that writes concurrent
// sends in one transaction, built from named steps (tx.go).
//
// The checks, in order; the first that fails refuses the send:
//
//  1. sleep mode: a child in their quiet hours, unless the schedule
//     allows their direct chat with their own parent (423 sleep_mode);
//  2. the password-leak guard: a child's text holding one of their kept
//     game passwords, alone or with their last messages there (422
//     password_in_message); the refusal takes a token of the send
//     budget, as a send would;
//  3. the send budget: one token per send, taken in the batch's first
//     round trip (429 rate_limited);
//  4. the client id: a retry gets the earlier message (200), a client id
//     used in another conversation is refused (409 conflict);
//  5. membership: a conversation the sender may not read (404
//     not_found) or only reads (403 forbidden);
//  6. the media rule: an image or clip the sender uploaded, of its kind
//     (400 invalid, media_id);
//  7. a frozen conversation (409 conversation_frozen);
//  8. a conversation that changed while the send was written (409).
//
// 1 and 2 read the child's send gate (store.SendGate), read with their
// session (or remembered from their last send), and run before the batch.
// 3 to 7 are the batch's SQL: a row that fails one is not inserted; nor is
// a row whose session or gate no longer holds (store.SendHoldsSQL: 409
// session_changed, which the API retries once on a fresh lookup). A send
// whose row was not inserted is told why afterwards by the same checks in
// the same order (whyNotSent).
package sending

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pixelpals/internal/batch"
	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// Sender sends messages: one per API (api.New makes it), shared by every
// request, as its batches are.
type Sender struct {
	db    *store.DB
	leaks LeakGuard
	now   func() time.Time
	// limit is each sender's send budget; nil: sends are not limited.
	limit *ratelimit.Rate
	// announce wakes the readers of the outbox after a batch's commit;
	// nil: the outbox's trigger does, at the commit.
	announce func()

	batches    *batch.Batcher[sendReq, sendOutcome]
	alone      aloneSends
	aloneSlots chan struct{} // sendAlone's semaphore
}

// LeakGuard is the password-leak guard's check of a child's send (check
// 2), on the fingerprints of their send gate: the keeper's.
type LeakGuard interface {
	CheckLeakIn(ctx context.Context, actor *domain.Actor, gate store.SendGate, convID int64, text string, now time.Time) (*store.LeakHit, error)
}

// Config tunes a Sender.
type Config struct {
	// Limit is each user's send budget, kept in the database so that it
	// holds across instances; nil: sends are not limited.
	Limit *ratelimit.Rate
	// Now is the clock of sleep mode and the leak guard; nil: time.Now.
	Now func() time.Time
	// Announce, when set, is called after each commit that wrote live
	// events, whose transaction kept the outbox's trigger silent
	// (eventlog.AnnounceAfterCommitSQL): the live hub's Announce. A
	// notifying commit holds a database-wide lock across its WAL flush,
	// so batches that notify cannot share flushes.
	Announce func()
}

// New makes the Sender of db, whose sends leaks checks for passwords.
func New(db *store.DB, leaks LeakGuard, c Config) *Sender {
	s := &Sender{db: db, leaks: leaks, now: c.Now, announce: c.Announce}
	if c.Limit != nil {
		l := c.Limit.Check()
		s.limit = &l
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.batches = &batch.Batcher[sendReq, sendOutcome]{Max: maxSendBatch, Flushers: sendFlushers, Run: s.writeSends,
		Fail: func(err error) sendOutcome { return sendOutcome{err: err} }}
	s.aloneSlots = make(chan struct{}, max(1, int(db.Pool.Config().MaxConns)/4))
	return s
}

// Message is a message a user sends. ClientID, chosen by the client,
// makes the send idempotent per sender.
type Message struct {
	Type     string
	Content  string // "" for an image or clip without a caption
	ClientID string
	// MediaID is the upload an image or audio message carries; the
	// sender must have uploaded it (the media rule).
	MediaID *int64
}

// Send sends msg from actor to conversation convID, after every check of
// the package's list, in its order. gate is what the checks read with the
// session (store.SessionForSend), or remembered from the sender's last
// send (store.RememberedSessionForSend); the send's INSERT checks that it
// still holds. A gate is required for a child.
// created is false for a retry: the earlier message with the client id
// is returned. Each send is answered after its batch's commit.
func (s *Sender) Send(ctx context.Context, actor *domain.Actor, gate *store.SendGate, convID int64, msg Message) (m domain.Message, created bool, err error) {
	if actor.IsChild() && gate == nil {
		// Only a caller that did not read the gate gets here: refuse
		// rather than send unchecked.
		return domain.Message{}, false, errors.New("send checks: no send gate was read with the session")
	}
	if err := s.checkSleep(ctx, actor, gate, convID); err != nil {
		return domain.Message{}, false, err
	}
	if err := s.checkLeak(ctx, actor, gate, convID, msg.Content); err != nil {
		return domain.Message{}, false, err
	}
	return s.write(ctx, actor, gate, convID, msg)
}

// write runs checks 3 to 8: the batch, then whyNotSent for a send whose
// row it did not insert.
func (s *Sender) write(ctx context.Context, actor *domain.Actor, gate *store.SendGate, convID int64, msg Message) (domain.Message, bool, error) {
	r := sendReq{sender: actor.UserID, convID: convID, msg: msg}
	if session, stamp, ok := gate.Holds(); ok {
		r.session, r.stamp = &session, stamp
	}
	var out sendOutcome
	if s.alone.busy(r) {
		out = s.sendAlone(ctx, r) // its row may be held: see aloneSends
	} else {
		out = s.batches.Do(ctx, r)
	}
	return s.answer(ctx, actor, gate, r, out)
}

// answer is Send's answer to a send its batch did out for.
func (s *Sender) answer(ctx context.Context, actor *domain.Actor, gate *store.SendGate, r sendReq, out sendOutcome) (domain.Message, bool, error) {
	if out.alone {
		out = s.sendGivenBack(ctx, r)
	}
	switch {
	case out.err != nil:
		return domain.Message{}, false, fmt.Errorf("send message to conversation %d: %w", r.convID, out.err)
	case out.ok:
		return store.SenderView(out.m), true, nil
	}
	return s.whyNotSent(ctx, actor, gate, r.convID, r.msg)
}
