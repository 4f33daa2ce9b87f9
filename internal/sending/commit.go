package sending

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pixelpals/internal/batch"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// Group commit of message sends (docs/chat.md, "Group commit").
//
// A durable commit costs a WAL flush and every statement its fixed costs,
// both far dearer than inserting a row. Concurrent sends therefore share
// one transaction (tx.go): a send that finds no batch in flight (fewer
// than sendFlushers) runs at once, in its own goroutine, as a batch of
// one; sends arriving meanwhile queue, and the next batch takes them all
// (up to maxSendBatch). See internal/batch.
//
// A row that fails a check is simply not inserted; its neighbours are.
// Each send is answered only after COMMIT returned: with its row, or, when
// its row was not inserted, by whyNotSent in its own goroutine. A crash
// before the commit acknowledges nothing.
//
// One send's trouble must not fail or stall its neighbours. A batch waits
// at most batchLockWait for any one lock: a row held for long elsewhere
// (a conversation in a long membership change, an account being deleted)
// would otherwise hold up every send of the instance, as only
// sendFlushers batches are in flight. If the batch's transaction fails as
// a whole for that or any other reason (a deadlock that persists, a lost
// connection), it wrote nothing (a commit that landed before the
// connection was lost is found again by client id), and each caller writes
// its send alone (sendAlone), in its own goroutine and out of the batch,
// at most a quarter of the pool at once (aloneSlots) and waiting at most
// aloneLockWait for a lock (then 503, errRowBusy). While a send is written
// alone, the next sends to its conversation or from its sender are
// written alone too (aloneSends), so a held row does not make batch after
// batch wait for it.
const (
	// maxSendBatch bounds the sends one transaction writes.
	maxSendBatch = 64
	// sendFlushers is how many batches may be in flight at once: while one
	// waits for its WAL flush, the next one runs its statements.
	sendFlushers = 2
	// sendBatchTimeout bounds one batch's transaction, whatever its
	// senders' own deadlines: the batch is shared, so no single request's
	// cancellation may fail it.
	sendBatchTimeout = 15 * time.Second
)

// sendReq is one send: with, when its gate was read with a session, what
// its INSERT must find unchanged (store.SendHoldsSQL).
type sendReq struct {
	sender int64
	convID int64
	msg    Message
	// session is the sender's session (nil: a gate made by hand, nothing
	// checked); stamp a child's gate stamp.
	session *int64
	stamp   *string
}

// sendOutcome is what a batch did for one send: inserted its row (ok), or
// not (the sender then asks whyNotSent), or failed (err), or could not
// write it (alone: the sender then writes it alone, sendAlone).
type sendOutcome struct {
	m     domain.Message
	ok    bool
	alone bool
	err   error
}

type sendCall = batch.Call[sendReq, sendOutcome]

// writeSends commits one batch of sends and answers each of them.
func (s *Sender) writeSends(calls []*sendCall) {
	ctx, cancel := context.WithTimeout(context.Background(), sendBatchTimeout)
	defer cancel()
	reqs := make([]sendReq, len(calls))
	for i, c := range calls {
		reqs[i] = c.Req
	}
	var tx *sendTx
	err := store.RetryConflicts(func() (err error) {
		tx, err = s.flushSends(ctx, reqs, batchTx)
		return err
	})
	if err != nil && ctx.Err() == nil && (len(calls) > 1 || store.IsLockTimeout(err)) {
		// A lock held elsewhere past batchLockWait (one conversation in
		// a long membership change, an account being deleted), a row that
		// failed the statement although rows are checked so that none
		// can, a lasting conflict: the batch must not fail or stall its
		// neighbours, so each caller writes its send alone (sendAlone),
		// out of the batch.
		for _, c := range calls {
			c.Answer(sendOutcome{alone: true})
		}
		return
	}
	if err != nil {
		for _, c := range calls {
			c.Answer(sendOutcome{err: err})
		}
		return
	}
	for i, out := range tx.outcomes() {
		calls[i].Answer(out)
	}
}

// sendAlone writes one send in a transaction of its own, in its caller's
// goroutine, outside the batches: for a send its batch could not write,
// or one to a row such sends wait for (aloneSends). It occupies no
// batch's place meanwhile, and one of aloneSlots: sends waiting on a held
// row must not take every connection of the pool, which the rest of the
// instance needs too. It waits for that slot as long as its caller's ctx
// allows, and for a lock at most aloneLockWait (then errRowBusy).
func (s *Sender) sendAlone(ctx context.Context, r sendReq) sendOutcome {
	select {
	case s.aloneSlots <- struct{}{}:
		defer func() { <-s.aloneSlots }()
	case <-ctx.Done():
		return sendOutcome{err: ctx.Err()}
	}
	bounded, cancel := context.WithTimeout(ctx, sendBatchTimeout)
	defer cancel()
	var tx *sendTx
	err := store.RetryConflicts(func() (err error) {
		tx, err = s.flushSends(bounded, []sendReq{r}, aloneTx)
		return err
	})
	// Past its own bound while its request still waits (no connection
	// came free in time), it is as busy as a held row.
	if store.IsLockTimeout(err) || err != nil && bounded.Err() != nil && ctx.Err() == nil {
		return sendOutcome{err: fmt.Errorf("%w: %w", errRowBusy, err)}
	}
	if err != nil {
		return sendOutcome{err: err}
	}
	return tx.outcomes()[0]
}

// errRowBusy answers a send written alone whose conversation or account
// row stayed held past aloneLockWait (a long membership change, an
// account being deleted): nothing was written, and sending again with
// the same client_id is safe.
var errRowBusy = &Refusal{Reason: Busy, Err: &domain.Error{Code: domain.CodeUnavailable, RetryAfter: 5 * time.Second,
	Message: "this conversation is busy; send your message again in a moment"}}

// sendGivenBack writes alone a send its batch could not write, counted in
// aloneSends meanwhile.
func (s *Sender) sendGivenBack(ctx context.Context, r sendReq) sendOutcome {
	s.alone.add(r, 1)
	defer s.alone.add(r, -1)
	return s.sendAlone(ctx, r)
}

// aloneSends counts the sends that a batch could not write and that are
// being written alone, per conversation and per sender. A new send whose
// conversation or sender has one is written alone too, without joining a
// batch: the row they wait for may still be held, and each batch it
// joined would wait batchLockWait for it and then go alone, holding up
// every other send of that batch. Such a send is not counted itself, or
// a busy conversation's sends would keep each other out of the batches
// for good; the count ends with the sends its batch gave back.
type aloneSends struct {
	mu             sync.Mutex
	convs, senders map[int64]int
}

// busy tells whether r's conversation or sender has a send written alone.
func (a *aloneSends) busy(r sendReq) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.convs[r.convID] > 0 || a.senders[r.sender] > 0
}

// add counts r in (by 1) or out (by -1).
func (a *aloneSends) add(r sendReq, by int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.convs == nil {
		a.convs, a.senders = map[int64]int{}, map[int64]int{}
	}
	countIn(a.convs, r.convID, by)
	countIn(a.senders, r.sender, by)
}

func countIn(m map[int64]int, k int64, by int) {
	if m[k] += by; m[k] == 0 {
		delete(m, k)
	}
}
