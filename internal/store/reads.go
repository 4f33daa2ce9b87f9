package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// forceGenericSQL makes a transaction's statements run on generic plans.
// The batch statements take arrays, and for each new array PostgreSQL
// would otherwise plan them anew (a custom plan for one element always
// looks cheaper than the generic one for a guessed hundred): planning cost
// several times what running them does. Their generic plans probe the
// same indexes (each row's lookups are scalar or LATERAL ... LIMIT
// subqueries, which the planner cannot turn into joins over whole
// tables). SET LOCAL, not a session setting: it ends with the transaction,
// which also holds behind PgBouncer's transaction pooling.
const forceGenericSQL = `SET LOCAL plan_cache_mode = force_generic_plan`

// read is one query of genericReads and what takes its rows.
type read struct {
	sql  string
	args []any
	each func(pgx.Rows) error
}

// genericReads runs reads, in order, under forceGenericSQL, in one round
// trip and one REPEATABLE READ transaction: they all see one snapshot, so
// what one of them reads agrees with what the next one does (the outbox's
// frontier, for one). A read-only REPEATABLE READ transaction never fails
// to serialize.
func (db *DB) genericReads(ctx context.Context, reads ...read) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Released inside a transaction (after an error), the connection is
	// closed, not reused.
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(forceGenericSQL)
	for _, r := range reads {
		b.Queue(r.sql, r.args...)
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
		if err := readRows(br, r.each); err != nil {
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
