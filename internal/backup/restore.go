package backup

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotEmpty is the refusal to restore over data.
type ErrNotEmpty struct{ Tables Counts }

func (e ErrNotEmpty) Error() string {
	return fmt.Sprintf("the target database is not empty: it holds %d table(s) (%s); restore into an empty database, "+
		"or pass --force to drop everything in its public schema first", len(e.Tables), strings.Join(e.Tables.Tables(), ", "))
}

// Contents counts the rows of every user table of the database.
func Contents(ctx context.Context, pool *pgxpool.Pool) (Counts, error) {
	return countRows(ctx, pool)
}

// DropPublic drops the public schema with everything in it and creates it
// again as a new database has it (PostgreSQL 15: owned by
// pg_database_owner, usable by everyone).
func DropPublic(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, `DROP SCHEMA public CASCADE`); err != nil {
		return fmt.Errorf("drop schema public: %w", err)
	}
	if _, err := pool.Exec(ctx, `CREATE SCHEMA public AUTHORIZATION pg_database_owner`); err != nil {
		return fmt.Errorf("create schema public: %w", err)
	}
	if _, err := pool.Exec(ctx, `GRANT USAGE ON SCHEMA public TO PUBLIC`); err != nil {
		return fmt.Errorf("grant usage on schema public: %w", err)
	}
	return nil
}

// Restore loads an inspected archive into the (empty) database in one
// transaction, so that a failure leaves it as empty as it was, and returns
// the rows each table holds afterwards. Owners and privileges are not
// restored: the target's connecting user owns what it restores.
func (t Tool) Restore(ctx context.Context, pool *pgxpool.Pool, file string) (Counts, error) {
	if _, err := t.run(ctx, t.Conn.env(), "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
		"--single-transaction", "--no-password", "--dbname="+t.Conn.Database, file); err != nil {
		return nil, fmt.Errorf("pg_restore (nothing was restored): %w", err)
	}
	return countRows(ctx, pool)
}
