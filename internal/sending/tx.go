package sending

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// The send transaction: one per batch, in one round trip and one commit,
// a list of named steps (a statement and how its result is read):
// begin; txSettingsSQL (generic plans, the lock wait, and, when the
// Sender announces its events itself, eventlog.AnnounceAfterCommit);
// lockSQL: share-lock the batch's senders' users rows (lock order: users
// first, see store/rule.go), then lock its conversations, each in id
// order, as every membership change and freeze also locks them, so none
// of them can interleave with the batch; ratelimit.TakeTokensSQL: the
// senders' tokens of the send budget (one per send, budget.go);
// insertRowsSQL: one INSERT ... SELECT of every row that passes its own
// checks (store.SendHoldsSQL: its session and gate still hold;
// batchRateSQL: a token was granted;
// sendCheckSQL: membership, not frozen, the media rule), idempotent on
// (sender_id, client_id), which writes the message.created events of the
// rows it inserted in the same statement, the same as a message sent any
// other way gets; commit. A failed step fails the rest (the transaction
// is aborted), and the connection is not reused.
//
// History order: every INSERT statement runs after the locks of its
// conversations were granted and keeps them until commit, so created_at
// (sendTimeSQL) is never below what a committed message of the
// conversation has, and two rows of one conversation in one batch get
// created_at and ids in batch order (the statement sorts them before it
// numbers and inserts them).
const (
	// batchLockWait bounds how long a batch waits for any one row lock:
	// far above a commit's few milliseconds, which is what a batch
	// normally waits for (another batch's, a membership change's), far
	// below sendBatchTimeout. A batch waiting on a row that another
	// transaction holds for long would stall every send of the instance,
	// since only sendFlushers batches are in flight; past this wait its
	// sends are written alone by their callers instead (writeSends).
	batchLockWait = "250ms"
	// aloneLockWait bounds a send written alone: past it, the send is
	// answered 503 with Retry-After (errRowBusy), and its client sends
	// again with the same client_id, so that a row held for long keeps no
	// connection and no slot of aloneSlots.
	aloneLockWait = "5s"
	// commitLockWait lifts the bound before COMMIT when the outbox's
	// trigger notifies at the commit (a Sender without Announce): COMMIT
	// then waits for PostgreSQL's notify queue lock behind other commits'
	// WAL flushes, which a slow disk or a synchronous standby can make
	// longer than batchLockWait; failing there would turn every batch into
	// sends written alone exactly when commits are dear.
	commitLockWait = `SET LOCAL lock_timeout = 0`
)

// sendTx is one batch's transaction: its sends, as the statements'
// array parameters, and what its steps read.
type sendTx struct {
	reqs  []sendReq
	limit *ratelimit.Rate
	rate  sendTakes

	convs, senders             []int64
	types, contents, clientIDs []string
	media, sessions            []*int64
	stamps                     []*string

	takes    map[int64]tokenTake
	inserted []domain.Message
}

func newSendTx(reqs []sendReq, limit *ratelimit.Rate) *sendTx {
	n := len(reqs)
	tx := &sendTx{reqs: reqs, limit: limit, rate: takesFor(reqs, limit), takes: map[int64]tokenTake{},
		convs: make([]int64, n), senders: make([]int64, n), media: make([]*int64, n), sessions: make([]*int64, n), stamps: make([]*string, n),
		types: make([]string, n), contents: make([]string, n), clientIDs: make([]string, n)}
	for i, r := range reqs {
		tx.convs[i], tx.senders[i] = r.convID, r.sender
		tx.types[i], tx.contents[i], tx.clientIDs[i], tx.media[i] = r.msg.Type, r.msg.Content, r.msg.ClientID, r.msg.MediaID
		tx.sessions[i], tx.stamps[i] = r.session, r.stamp
	}
	return tx
}

// txMode is how a transaction of sends runs: how long it waits for any
// one row lock (past it, it fails with a lock timeout), and whether its
// COMMIT waits for a round trip of its own.
type txMode struct {
	lockWait string
	// commitApart sends COMMIT only once every other step answered. A
	// send written alone runs on its request's context: a request that
	// ends while the server still waits for a lock must leave nothing
	// behind, and COMMIT already queued behind that wait would run once
	// the lock came. A batch runs on a context of its own
	// (sendBatchTimeout, far above batchLockWait) and queues COMMIT with
	// the rest: one round trip.
	commitApart bool
}

var (
	batchTx = txMode{lockWait: batchLockWait}
	aloneTx = txMode{lockWait: aloneLockWait, commitApart: true}
)

// flushSends runs one batch's transaction.
func (s *Sender) flushSends(ctx context.Context, reqs []sendReq, mode txMode) (*sendTx, error) {
	tx := newSendTx(reqs, s.limit)
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("send batch: %w", err)
	}
	// A connection left inside a transaction (after an error) is closed
	// when released, not reused: its transaction is rolled back.
	defer conn.Release()
	steps, commit := tx.steps(mode.lockWait, s.announce != nil), commitSteps(s.announce != nil)
	if !mode.commitApart {
		steps, commit = append(steps, commit...), nil
	}
	for _, round := range [][]step{steps, commit} {
		if round == nil {
			continue
		}
		if err := runSteps(ctx, conn, round); err != nil {
			return nil, fmt.Errorf("write batch of %d sends: %w", len(reqs), err)
		}
	}
	if s.announce != nil && len(tx.inserted) > 0 {
		s.announce()
	}
	return tx, nil
}

// steps are the transaction from begin to the inserted rows;
// announceAfter: the Sender announces its events after the commit.
func (tx *sendTx) steps(lockWait string, announceAfter bool) []step {
	announce := ""
	if announceAfter {
		announce = eventlog.AnnounceAfterCommit
	}
	steps := []step{
		{name: "begin", sql: `BEGIN`},
		{name: "settings", sql: txSettingsSQL, args: []any{lockWait, announce}},
		{name: "lock", sql: lockSQL, args: []any{store.Distinct(tx.senders), store.Distinct(tx.convs)}},
	}
	if tx.limit != nil {
		steps = append(steps, step{name: "take tokens", sql: ratelimit.TakeTokensSQL,
			args: []any{tx.rate.keys, tx.rate.counts, tx.limit.Burst, tx.limit.PerSecond}, rows: tx.rate.readTakes(tx.takes)})
	}
	return append(steps, step{name: "insert rows", sql: insertRowsSQL, rows: tx.readInserted,
		args: []any{tx.convs, tx.senders, tx.types, tx.contents, tx.clientIDs, tx.media, tx.rate.rowKeys, tx.sessions, tx.stamps}})
}

// commitSteps end the transaction; without announceAfter, the lock wait
// is lifted first (commitLockWait).
func commitSteps(announceAfter bool) []step {
	var steps []step
	if !announceAfter {
		steps = append(steps, step{name: "lift lock wait", sql: commitLockWait})
	}
	return append(steps, step{name: "commit", sql: `COMMIT`, done: func(tag pgconn.CommandTag) error {
		if tag.String() != "COMMIT" {
			return errors.New("transaction rolled back")
		}
		return nil
	}})
}

func (tx *sendTx) readInserted(rows pgx.Rows) (err error) {
	tx.inserted, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Message, error) { return store.ScanMessage(r) })
	return err
}

// step is one statement of a round trip and how its result is read: its
// rows (a query), or its command tag (done, optional).
type step struct {
	name string
	sql  string
	args []any
	rows func(pgx.Rows) error
	done func(pgconn.CommandTag) error
}

// runSteps sends steps in one round trip and reads each one's result,
// step by step, in the order they were queued.
func runSteps(ctx context.Context, conn *pgxpool.Conn, steps []step) error {
	b := &pgx.Batch{}
	for _, st := range steps {
		b.Queue(st.sql, st.args...)
	}
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	for _, st := range steps {
		if err := st.result(br); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return br.Close()
}

// result reads the step's result from br, whose next result it is.
func (st step) result(br pgx.BatchResults) error {
	if st.rows == nil {
		tag, err := br.Exec()
		if err != nil || st.done == nil {
			return err
		}
		return st.done(tag)
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := st.rows(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// outcomes matches the rows the transaction inserted to its sends. Each
// row answers the first send with its sender, client id and
// conversation; a repeat of it inside the batch finds it in whyNotSent. A
// send past the tokens its sender was granted (batchRateSQL) is rate
// limited.
func (tx *sendTx) outcomes() []sendOutcome {
	type key struct {
		sender   int64
		clientID string
	}
	rows := make(map[key]domain.Message, len(tx.inserted))
	for _, m := range tx.inserted {
		rows[key{m.SenderID, *m.ClientID}] = m
	}
	out := make([]sendOutcome, len(tx.reqs))
	nth := make(map[int64]int, len(tx.takes))
	for i, r := range tx.reqs {
		nth[r.sender]++
		if t, ok := tx.takes[r.sender]; ok && nth[r.sender] > t.granted {
			out[i] = sendOutcome{err: errSendRate(t.wait)}
			continue
		}
		k := key{r.sender, r.msg.ClientID}
		m, ok := rows[k]
		// A row is the answer only of a send to its conversation: a send
		// refused by its checks whose client id a later send of the batch
		// used elsewhere is told so by whyNotSent (409).
		if ok = ok && m.ConversationID == r.convID; ok {
			delete(rows, k)
		}
		out[i] = sendOutcome{m: m, ok: ok}
	}
	return out
}
