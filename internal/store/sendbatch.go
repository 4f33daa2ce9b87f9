package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// Group commit of message sends (docs/chat.md, "Group commit").
//
// A durable commit costs a WAL flush and every statement its fixed costs,
// both far dearer than inserting a row. Concurrent sends therefore share
// one transaction: a send that finds no batch in flight (fewer than
// sendFlushers) runs at once, in its own goroutine, as a batch of one;
// sends arriving meanwhile queue, and the next batch takes them all (up to
// maxSendBatch). See group.go.
//
// One transaction per batch, in two round trips and one commit:
//
//  1. BEGIN; share-lock the batch's senders' users rows (lock order: users
//     first, see rule.go) and then lock its conversations, each in id
//     order, as every membership change and freeze also locks them, so
//     none of them can interleave with the batch; the senders' tokens of
//     the send budget (LimitSends, takeTokensSQL: one per send, in the
//     shared rate_buckets table, so the budget holds across instances and
//     a rolled-back batch takes none); one INSERT ... SELECT of every row
//     that passes its own checks (batchRateSQL: a token was granted,
//     sendCheckSQL: membership, not frozen, the media rule), idempotent on
//     (sender_id, client_id); the audiences of the batch's conversations,
//     for the live events;
//  2. the message.created events of every inserted row (messageEventsFor,
//     the same as sentMessageEvents writes), and COMMIT.
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
// its send alone (sendAlone), in its own goroutine and out of the group,
// at most a quarter of the pool at once (aloneSlots) and waiting at most
// aloneLockWait for a lock (then 503, errRowBusy). While a send
// is written alone, the next sends to its conversation or from its sender
// are written alone too (aloneSends), so a held row does not make batch
// after batch wait for it.
//
// History order: every INSERT statement runs after the locks of its
// conversations were granted and keeps them until commit, so created_at
// (sendTimeSQL) is never below what a committed message of the
// conversation has, and two rows of one conversation in one batch get
// created_at and ids in batch order (the statement sorts them before it
// numbers and inserts them).
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
	// batchLockWait bounds how long a batch waits for any one row lock:
	// far above a commit's few milliseconds, which is what a batch
	// normally waits for (another batch's, a membership change's), far
	// below sendBatchTimeout. A batch waiting on a row that another
	// transaction holds for long would stall every send of the instance,
	// since only sendFlushers batches are in flight; past this wait its
	// sends are written alone by their callers instead (writeSends).
	batchLockWait = `SET LOCAL lock_timeout = '250ms'`
	// aloneLockWait bounds a send written alone: past it, the send is
	// answered 503 with Retry-After (errRowBusy), and its client sends
	// again with the same client_id, so that a row held for long keeps no
	// connection and no slot of aloneSlots.
	aloneLockWait = `SET LOCAL lock_timeout = '5s'`
	// commitLockWait lifts the bound for round trip 2: every row lock was
	// taken in round trip 1, and COMMIT waits for PostgreSQL's notify
	// queue lock behind other commits' WAL flushes (the events' NOTIFY),
	// which a slow disk or a synchronous standby can make longer than
	// batchLockWait; failing there would turn every batch into sends
	// written alone exactly when commits are dear.
	commitLockWait = `SET LOCAL lock_timeout = 0`
)

// sendMediaRule is the media rule of a send (sendMediaSQL) for the given
// sender, message type and upload expressions: a text message carries
// none, an image or audio message one the sender uploaded, of its kind.
func sendMediaRule(sender, typ, media string) string {
	return `CASE WHEN ` + media + ` IS NULL THEN ` + typ + ` = 'text'
		ELSE coalesce((SELECT true FROM media md JOIN media_blobs b ON b.sha256 = md.sha256
		               WHERE md.id = ` + media + ` AND md.uploader_id = ` + sender + ` AND b.kind = ` + typ + `), false) END`
}

const (
	batchLockSendersSQL = `SELECT 1 FROM users WHERE id = ANY($1) ORDER BY id FOR KEY SHARE`
	batchLockConvsSQL   = `SELECT 1 FROM conversations WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`
	// sendCheckSQL is every check a batch row r must pass. Each is a
	// scalar subquery (NULL when nothing matches, which rejects the row),
	// which PostgreSQL runs per row as an index probe; an EXISTS could be
	// pulled up into a join planned for unnest's guessed 100 rows.
	sendCheckSQL = `
		(SELECT true FROM conversation_members cm WHERE cm.conversation_id = r.conversation_id AND cm.user_id = r.sender_id)
		AND (SELECT c.frozen_at IS NULL FROM conversations c WHERE c.id = r.conversation_id)`
	// sendTimeSQL is nextMessageTimeSQL for the k-th (from 1) row of a
	// conversation in one batch: the statement's clock, never below the
	// conversation's newest message, plus k-1 microseconds, so rows of
	// one conversation in one batch grow in batch order whatever the clock
	// does between them.
	sendTimeSQL = `GREATEST(t.now,
		(SELECT max(x.created_at) FROM messages x WHERE x.conversation_id = ok.conversation_id))
		+ (ok.k - 1) * interval '1 microsecond'`
)

// batchRateSQL is the send budget of a batch row r: the nth send of its
// sender in the batch goes out only if the batch's token take
// (takeTokensSQL, earlier in the same transaction, which keeps the
// bucket's row locked) granted at least n tokens. A row without a key is
// not limited.
const batchRateSQL = `
		(r.rate_key IS NULL OR r.nth <= (SELECT b.granted FROM rate_buckets b WHERE b.key = r.rate_key))`

var batchInsertSQL = `
		WITH r AS (
			SELECT u.*, row_number() OVER (PARTITION BY u.sender_id ORDER BY u.ord) AS nth
			FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bytea[])
				WITH ORDINALITY AS u(conversation_id, sender_id, type, content, client_id, media_id, rate_key, ord)),
		ok AS MATERIALIZED (
			SELECT r.*, row_number() OVER (PARTITION BY r.conversation_id ORDER BY r.ord) AS k
			FROM r WHERE ` + batchRateSQL + ` AND ` + sendCheckSQL + ` AND ` + batchMediaSQL + `
			ORDER BY r.ord),
		t AS MATERIALIZED (SELECT clock_timestamp()::timestamp AS now)
		INSERT INTO messages AS m (conversation_id, sender_id, type, content, client_id, created_at, media_id, media_url)
		SELECT ok.conversation_id, ok.sender_id, ok.type, NULLIF(ok.content, ''), ok.client_id, ` + sendTimeSQL + `,
		       ok.media_id, '/api/v1/media/' || ok.media_id
		FROM ok CROSS JOIN t
		ORDER BY ok.ord
		ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
		RETURNING ` + messageColumns

var batchMediaSQL = sendMediaRule("r.sender_id", "r.type", "r.media_id")

// sendReq is one send.
type sendReq struct {
	sender int64
	convID int64
	nm     NewMessage
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

type sendCall = call[sendReq, sendOutcome]

// sends is db's group of sends, made on first use.
func (db *DB) sends() *group[sendReq, sendOutcome] {
	db.sendOnce.Do(func() {
		db.sendGroup = &group[sendReq, sendOutcome]{max: maxSendBatch, flushers: sendFlushers, run: db.writeSends,
			fail: func(err error) sendOutcome { return sendOutcome{err: err} }}
	})
	return db.sendGroup
}

// sendState is DB's part for group commit.
type sendState struct {
	sendOnce  sync.Once
	sendGroup *group[sendReq, sendOutcome]
	alone     aloneSends
	aloneOnce sync.Once
	aloneSem  chan struct{} // aloneSlots

	sendLimit atomic.Pointer[RateLimit] // LimitSends; nil: sends are not limited

	sessionOnce  sync.Once
	touching     atomic.Bool // a last_seen_at touch runs (sessions.go)
	sessionGroup *group[sessionReq, sessionOutcome]
}

// writeSends commits one batch of sends and answers each of them.
func (db *DB) writeSends(batch []*sendCall) {
	ctx, cancel := context.WithTimeout(context.Background(), sendBatchTimeout)
	defer cancel()
	reqs := make([]sendReq, len(batch))
	for i, c := range batch {
		reqs[i] = c.req
	}
	var inserted []domain.Message
	var takes map[int64]tokenTake
	err := retryConflicts(func() (err error) {
		inserted, takes, err = db.flushSends(ctx, reqs, batchLockWait)
		return err
	})
	if err != nil && ctx.Err() == nil && (len(batch) > 1 || pgCode(err) == codeLockNotAvailable) {
		// A lock held elsewhere past batchLockWait (one conversation in
		// a long membership change, an account being deleted), a row that
		// failed the statement although rows are checked so that none
		// can, a lasting conflict: the batch must not fail or stall its
		// neighbours, so each caller writes its send alone (sendAlone),
		// out of the group.
		for _, c := range batch {
			c.answer(sendOutcome{alone: true})
		}
		return
	}
	if err != nil {
		for _, c := range batch {
			c.answer(sendOutcome{err: err})
		}
		return
	}
	for i, out := range outcomes(reqs, inserted, takes) {
		batch[i].answer(out)
	}
}

// sendAlone writes one send in a transaction of its own, in its caller's
// goroutine, outside the group: for a send its batch could not write, or
// one to a row such sends wait for (aloneSends). It occupies no batch's
// place meanwhile, and one of aloneSlots: sends waiting on a held row
// must not take every connection of the pool, which the rest of the
// instance needs too. It waits for that slot as long as its caller's ctx
// allows, and for a lock at most aloneLockWait (then errRowBusy).
func (db *DB) sendAlone(ctx context.Context, r sendReq) sendOutcome {
	slots := db.aloneSlots()
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return sendOutcome{err: ctx.Err()}
	}
	bounded, cancel := context.WithTimeout(ctx, sendBatchTimeout)
	defer cancel()
	var inserted []domain.Message
	var takes map[int64]tokenTake
	err := retryConflicts(func() (err error) {
		inserted, takes, err = db.flushSends(bounded, []sendReq{r}, aloneLockWait)
		return err
	})
	// Past its own bound while its request still waits (no connection
	// came free in time), it is as busy as a held row.
	if pgCode(err) == codeLockNotAvailable || err != nil && bounded.Err() != nil && ctx.Err() == nil {
		return sendOutcome{err: fmt.Errorf("%w: %w", errRowBusy, err)}
	}
	if err != nil {
		return sendOutcome{err: err}
	}
	return outcomes([]sendReq{r}, inserted, takes)[0]
}

// errRowBusy answers a send written alone whose conversation or account
// row stayed held past aloneLockWait (a long membership change, an
// account being deleted): nothing was written, and sending again with
// the same client_id is safe.
var errRowBusy = &domain.Error{Code: domain.CodeUnavailable, RetryAfter: 5 * time.Second,
	Message: "this conversation is busy; send your message again in a moment"}

// aloneSlots is the semaphore of sendAlone: a quarter of the pool, at
// least one.
func (db *DB) aloneSlots() chan struct{} {
	db.aloneOnce.Do(func() {
		db.aloneSem = make(chan struct{}, max(1, int(db.Pool.Config().MaxConns)/4))
	})
	return db.aloneSem
}

// sendGivenBack writes alone a send its batch could not write, counted in
// aloneSends meanwhile.
func (db *DB) sendGivenBack(ctx context.Context, r sendReq) sendOutcome {
	db.alone.add(r, 1)
	defer db.alone.add(r, -1)
	return db.sendAlone(ctx, r)
}

// aloneSends counts the sends that a batch could not write and that are
// being written alone, per conversation and per sender. A new send whose
// conversation or sender has one is written alone too, without joining a
// batch: the row they wait for may still be held, and each batch it
// joined would wait batchLockWait for it and then go alone, holding up
// every other send of that batch. Such a send is not counted itself, or
// a busy conversation's sends would keep each other out of the group for
// good; the count ends with the sends its batch gave back.
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

// outcomes matches the rows a transaction inserted to its sends. Each row
// answers the first send with its sender, client id and conversation; a
// repeat of it inside the batch finds it in whyNotSent. A send past the
// tokens its sender was granted (takes, batchRateSQL) is rate limited.
func outcomes(reqs []sendReq, inserted []domain.Message, takes map[int64]tokenTake) []sendOutcome {
	type key struct {
		sender   int64
		clientID string
	}
	rows := make(map[key]domain.Message, len(inserted))
	for _, m := range inserted {
		rows[key{m.SenderID, *m.ClientID}] = m
	}
	out := make([]sendOutcome, len(reqs))
	nth := make(map[int64]int, len(takes))
	for i, r := range reqs {
		nth[r.sender]++
		if t, ok := takes[r.sender]; ok && nth[r.sender] > t.granted {
			out[i] = sendOutcome{err: errSendRate(t.wait)}
			continue
		}
		k := key{r.sender, r.nm.ClientID}
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

// flushSends runs one batch's transaction and returns the rows it
// inserted. A row lock it waits for longer than lockWait (batchLockWait,
// aloneLockWait) fails it (codeLockNotAvailable).
func (db *DB) flushSends(ctx context.Context, batch []sendReq, lockWait string) (inserted []domain.Message, takes map[int64]tokenTake, err error) {
	n := len(batch)
	limit := db.sendLimit.Load()
	rate := takesFor(batch, limit)
	convs, senders := make([]int64, n), make([]int64, n)
	types, contents, clientIDs := make([]string, n), make([]string, n), make([]string, n)
	media := make([]*int64, n)
	for i, r := range batch {
		convs[i], senders[i] = r.convID, r.sender
		types[i], contents[i], clientIDs[i], media[i] = r.nm.Type, r.nm.Content, r.nm.ClientID, r.nm.MediaID
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("send batch: %w", err)
	}
	// A connection left inside a transaction (after an error) is closed
	// when released, not reused: its transaction is rolled back.
	defer conn.Release()

	// Round trip 1: begin, lock, take the senders' tokens, insert, read
	// the audiences.
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(forceGenericSQL)
	b.Queue(lockWait)
	b.Queue(batchLockSendersSQL, distinct(senders))
	b.Queue(batchLockConvsSQL, distinct(convs))
	if limit != nil {
		b.Queue(takeTokensSQL, rate.keys, rate.counts, limit.Burst, limit.PerSecond)
	}
	b.Queue(batchInsertSQL, convs, senders, types, contents, clientIDs, media, rate.rowKeys)
	b.Queue(convAudiencesSQL, distinct(convs))
	br := conn.SendBatch(ctx, b)
	audiences, err := func() (map[int64][]viewer, error) {
		defer br.Close()
		for range 5 {
			if _, err := br.Exec(); err != nil {
				return nil, err
			}
		}
		if limit != nil {
			rows, err := br.Query()
			if err != nil {
				return nil, err
			}
			if takes, err = rate.readTakes(rows); err != nil {
				return nil, err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return nil, err
		}
		if inserted, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Message, error) { return scanMessage(r) }); err != nil {
			return nil, err
		}
		rows, err = br.Query()
		if err != nil {
			return nil, err
		}
		return collectAudiences(rows)
	}()
	if err != nil {
		return nil, nil, fmt.Errorf("insert batch of %d sends: %w", n, err)
	}

	// Round trip 2: the live events, and commit.
	evs, err := messageEventsFor(eventlog.MessageCreated, audiences, inserted)
	if err != nil {
		return nil, nil, err
	}
	events, err := eventlog.Encode(evs)
	if err != nil {
		return nil, nil, err
	}
	b = &pgx.Batch{}
	b.Queue(commitLockWait)
	if !events.Empty() {
		b.Queue(eventlog.AppendSQL, events.Args()...)
	}
	b.Queue(`COMMIT`)
	br = conn.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, fmt.Errorf("commit batch of %d sends: %w", n, err)
	}
	if !events.Empty() {
		if _, err := br.Exec(); err != nil {
			return nil, nil, fmt.Errorf("write events of a batch of %d sends: %w", n, err)
		}
	}
	tag, err := br.Exec()
	if err == nil && tag.String() != "COMMIT" {
		err = errors.New("transaction rolled back")
	}
	if err == nil {
		err = br.Close()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("commit batch of %d sends: %w", n, err)
	}
	return inserted, takes, nil
}
