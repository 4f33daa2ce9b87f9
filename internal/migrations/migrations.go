// Package migrations holds the numbered SQL migrations, embedded in the
// binary, and applies them with goose under a lock row in the database, so
// several instances starting against one database apply each migration once.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sql/*.sql
var files embed.FS

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
}

// New prepares a migrator over the pool's database. Close releases it.
func New(pool *pgxpool.Pool, logger *slog.Logger) (*Migrator, error) {
	sqlFiles, err := fs.Sub(files, "sql")
	if err != nil {
		return nil, fmt.Errorf("embedded migrations: %w", err)
	}
	// The lock is a row in goose_lock with a lease the holder renews, not a
	// session advisory lock: through PgBouncer in transaction pooling mode
	// the lock and the unlock of a session lock may run on different server
	// connections, so two instances could both "hold" it and the unlock
	// could fail (docs/scaling.md). goose retries taking it every second,
	// for up to five minutes, while another instance migrates; the lease of
	// an instance that died mid-run lapses after 30 seconds.
	locker, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(time.Second, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	opts := []goose.ProviderOption{goose.WithLocker(locker)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sqlFiles, opts...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migration provider: %w", err)
	}
	return &Migrator{db: db, provider: provider}, nil
}

// Close releases the migrator's connection handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration and returns how many ran.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	res, err := m.provider.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate up: %w", err)
	}
	return len(res), nil
}

// DownTo rolls back every migration above version (0 rolls back all).
func (m *Migrator) DownTo(ctx context.Context, version int64) (int, error) {
	res, err := m.provider.DownTo(ctx, version)
	if err != nil {
		return len(res), fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return len(res), nil
}

// Down rolls back the newest applied migration.
func (m *Migrator) Down(ctx context.Context) error {
	if _, err := m.provider.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Status describes one migration and whether it is applied.
type Status struct {
	Version int64
	Name    string
	Applied bool
}

// Status lists every embedded migration with its state.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	list, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Status, 0, len(list))
	for _, s := range list {
		out = append(out, Status{
			Version: s.Source.Version,
			Name:    s.Source.Path,
			Applied: s.State == goose.StateApplied,
		})
	}
	return out, nil
}
