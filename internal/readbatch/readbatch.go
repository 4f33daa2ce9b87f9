// Package readbatch runs several reads in one round trip, in one
// REPEATABLE READ snapshot, on generic plans: the session lookup on every
// request and the live hub's reads of the event outbox.
package readbatch

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ForceGenericSQL makes a transaction's statements run on generic plans.
// The batch statements take arrays, and for each new array PostgreSQL
// would otherwise plan them anew (a custom plan for one element always
// looks cheaper than the generic one for a guessed hundred): planning cost
// several times what running them does. Their generic plans probe the
// same indexes (each row's lookups are scalar or LATERAL ... LIMIT
// subqueries, which the planner cannot turn into joins over whole
// tables). SET LOCAL, not a session setting: it ends with the transaction,
// which also holds behind PgBouncer's transaction pooling.
const ForceGenericSQL = `SET LOCAL plan_cache_mode = force_generic_plan`

// Read is one query of Run and what takes its rows.
type Read struct {
	SQL  string
	Args []any
	Each func(pgx.Rows) error
}

// Run runs reads, in order, under ForceGenericSQL, in one round
// trip and one REPEATABLE READ transaction: they all see one snapshot, so
// what one of them reads agrees with what the next one does (the outbox's
// frontier, for one). A read-only REPEATABLE READ transaction never fails
// to serialize.
func Run(ctx context.Context, pool *pgxpool.Pool, reads ...Read) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Released inside a transaction (after an error), the connection is
	// closed, not reused.
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(ForceGenericSQL)
	for _, r := range reads {
		b.Queue(r.SQL, r.Args...)
	}
	b.Queue(`COMMIT`)
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	for _, r := range reads {
		if err := readRows(br, r.Each); err != nil {
			return err
		}
	}
	if _, err := br.Exec(); err != nil {
		return err
	}
	return br.Close()
}

// readRows hands the rows of a batch's next query to each.
func readRows(br pgx.BatchResults, each func(pgx.Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	rows.Close()
	return rows.Err()
}
