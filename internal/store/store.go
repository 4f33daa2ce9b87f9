// Package store is Pixel Pals' PostgreSQL data layer: the connection pool,
// the one transaction helper, and the SQL for every read and write, with
// authorization checked next to the data it guards.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"pixelpals/internal/background"
	"pixelpals/internal/domain"
)

// DB is the application's handle on PostgreSQL.
type DB struct {
	Pool *pgxpool.Pool
	sessionState
	// logger is told what fails in work no request waits for, which
	// has no caller to return an error to.
	logger     *slog.Logger
	background background.Work
}

// Open connects a pool to the database at url. Sessions run in UTC because
// the seed's columns are TIMESTAMP WITHOUT TIME ZONE: CURRENT_TIMESTAMP then
// stores UTC wall time, and the API reports it as RFC 3339 UTC.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenWith(ctx, url, Options{})
}

// DefaultMaxConns is the pool's default size (PIXELPALS_DB_MAX_CONNS,
// --db-max-conns). pgx's own default, max(4, cores), made concurrent
// senders wait for a connection while PostgreSQL idled between WAL
// flushes; the durable send benchmark (docs/benchmarks.md) is what this rests on.
const DefaultMaxConns = 16

// Options tune a pool.
type Options struct {
	// MaxConns bounds the pool (0: DefaultMaxConns).
	MaxConns int
	// Logger is told what fails in background work, such as the
	// last_seen_at touch (nil: slog.Default()).
	Logger *slog.Logger
	// Tracer, when set, is told of every statement and batch the pool
	// runs (pgx.QueryTracer, and pgx.BatchTracer if it is one too): the
	// send benchmark's breakdown by stage (bench/stages_test.go).
	Tracer pgx.QueryTracer
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", redactConfigError(err))
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["application_name"] = "pixelpals"
	if !strings.Contains(url, "pool_max_conns") { // a URL's own setting stands
		cfg.MaxConns = DefaultMaxConns
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	if o.Tracer != nil {
		cfg.ConnConfig.Tracer = o.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &DB{Pool: pool, logger: logger}, nil
}

// redactConfigError drops the connection string (which may hold a password)
// from pgx's parse errors.
func redactConfigError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// closeWait bounds how long Close waits for background work still
// running (a last_seen_at touch is one UPDATE by primary key: far less)
// before it cancels it.
const closeWait = 2 * time.Second

// Close waits for background work still running (at most closeWait,
// then cancels it), and closes the pool.
func (db *DB) Close() {
	db.background.Close(closeWait)
	db.Pool.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
		// A dead connection must not go back to the pool.
		conn.Conn().Close(ctx)
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// txOptions says how transact opens its transaction. The zero value is
// what most changes use: READ COMMITTED, read-write, tried once.
type txOptions struct {
	// snapshot reads in one REPEATABLE READ, READ ONLY transaction, so
	// every statement sees the same committed state (an export, a
	// dashboard, the audit walk). Being read-only it never meets a
	// serialization failure.
	snapshot bool
	// retry runs the transaction again when it fails on a deadlock or a
	// serialization failure (RetryConflicts). fn then runs again from the
	// start: it must set, not add to, what it hands out of the closure.
	retry bool
}

// The options the store uses, by name.
var (
	txRetry    = txOptions{retry: true}
	txSnapshot = txOptions{snapshot: true}
)

// transact is the store's one way to open a transaction: it runs fn in
// one, committed when fn returns nil, rolled back when it returns an
// error or panics (the panic then continues), as o says.
func (db *DB) transact(ctx context.Context, o txOptions, fn func(tx pgx.Tx) error) error {
	var opts pgx.TxOptions
	if o.snapshot {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	once := func() error { return pgx.BeginTxFunc(ctx, db.Pool, opts, fn) }
	if o.retry {
		return RetryConflicts(once)
	}
	return once()
}

// Transact runs fn in one READ COMMITTED transaction (transact with no
// options).
func (db *DB) Transact(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return db.transact(ctx, txOptions{}, fn)
}

// savepoint runs fn in a savepoint of tx, released when fn returns nil and
// rolled back to when it fails, so one failed statement does not abort
// tx. It returns fn's error (or the savepoint's own).
func savepoint(ctx context.Context, tx pgx.Tx, fn func(sp pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, tx, fn)
}

// SQLSTATE codes we act on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeLockNotAvailable     = "55P03"
)

// RetryConflicts runs fn, again up to twice more when it fails on a
// deadlock or serialization failure. Changes take their locks in one order
// (users' rows first; see rule.go), so conflicts are rare, but a change
// racing an account deletion can still meet one. A conflict that persists
// is "unavailable", so the client tries again later; the cause stays
// wrapped for the log.
func RetryConflicts(fn func() error) error {
	var err error
	for range 3 {
		err = fn()
		if c := pgCode(err); c != codeSerializationFailure && c != codeDeadlockDetected {
			return err
		}
	}
	return fmt.Errorf("%w: %w", &domain.Error{Code: domain.CodeUnavailable, Message: "the service is busy; try again"}, err)
}

// UniqueViolation reports whether err is a violation of a UNIQUE
// constraint or index, for the packages beside the store that name the
// constraint to their callers.
func UniqueViolation(err error) bool {
	return pgCode(err) == codeUniqueViolation
}

// pgCode returns the SQLSTATE of err, or "" when it is not a server error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
