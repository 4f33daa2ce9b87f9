package eventlog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Announcing new events (docs/live.md, "Waking the readers"). The
// outbox's trigger NOTIFYs Channel at the commit of every transaction
// that wrote events. PostgreSQL sends a transaction's notifications under
// a lock it holds for the whole database from before the commit's WAL
// flush to after it, so transactions that notify commit one at a time.
// A busy writer (the send batches) therefore announces after its commit
// instead: it runs AnnounceAfterCommitSQL in its transaction, which keeps
// the trigger silent, and once COMMIT returned wakes its own instance's
// reader directly and the others with Announce. A wake only makes a
// reader look sooner (a lost one delays by a poll, never loses an event):
// what a reader delivers, and in what order, is the outbox's.

// AnnounceAfterCommitSQL, run in a transaction before its events are
// written, keeps the outbox's trigger from notifying at its commit
// (migration 00027): its writer announces them itself once it committed.
const AnnounceAfterCommitSQL = `SET LOCAL pixelpals.announce = '` + AnnounceAfterCommit + `'`

// AnnounceAfterCommit is the value of pixelpals.announce that keeps the
// trigger silent, for a writer that sets it with set_config.
const AnnounceAfterCommit = "after_commit"

// Announce notifies Channel with payload (the announcing instance's
// name, so that its own listener can tell its wakes from the others'), in
// a transaction of its own. That transaction commits without waiting for
// its WAL flush: a notification needs no durability, and waiting would
// hold the database's notify lock across the flush, which is what
// announcing after commit avoids.
func Announce(ctx context.Context, pool *pgxpool.Pool, payload string) error {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit = off`)
	b.Queue(`SELECT pg_notify($1, $2)`, Channel, payload)
	b.Queue(`COMMIT`)
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("announce events: %w", err)
	}
	return nil
}
