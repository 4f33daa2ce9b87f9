package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgconn"

	"pixelpals/internal/config"
	"pixelpals/internal/migrations"
	"pixelpals/internal/pgembed"
	"pixelpals/internal/store"
)

// embeddedDatabase is the database name inside the embedded cluster.
const embeddedDatabase = "pixelpals"

// openDatabase connects to DATABASE_URL or, without one, uses the embedded
// cluster under the data directory, starting it when it is not running.
// The returned close function closes the pool and gives up this process's
// use of the cluster, which stops it only when no other pixelpals process
// still uses it and pixelpals started it (pgembed.Lease): a command run
// next to `serve` never takes its database away.
//
// notice, when not nil (every command but serve, which logs it), is told
// in plain words which data directory is used and whether its cluster had
// to be created, so that a mistyped data directory is not silent.
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger, notice io.Writer) (*store.DB, func(), error) {
	if !cfg.Embedded() {
		db, err := store.OpenWith(ctx, cfg.DatabaseURL, store.Options{MaxConns: cfg.DBMaxConns, Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		return db, db.Close, nil
	}

	cluster, err := embeddedCluster(cfg)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("starting embedded PostgreSQL", "dir", cluster.Dir(), "new", !cluster.Initialized())
	lease, err := cluster.Acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	if notice != nil {
		dataDir, _ := filepath.Abs(cfg.DataDir)
		switch {
		case lease.Created:
			fmt.Fprintf(notice, "pixelpals: data directory %s held no database: created a NEW, EMPTY one there "+
				"(if you meant an existing one, set PIXELPALS_DATA_DIR or --data-dir)\n", dataDir)
		case lease.Started:
			fmt.Fprintf(notice, "pixelpals: using the embedded database in %s (started it; it stops when the last pixelpals using it exits)\n", dataDir)
		default:
			fmt.Fprintf(notice, "pixelpals: using the embedded database in %s (already running; left running)\n", dataDir)
		}
	}
	release := func() {
		stopped, err := lease.Release(ctx)
		if err != nil {
			logger.Error("leave embedded PostgreSQL", "dir", cluster.Dir(), "err", err)
			return
		}
		logger.Info("left embedded PostgreSQL", "dir", cluster.Dir(), "stopped", stopped)
	}
	if err := ensureDatabase(ctx, cluster, embeddedDatabase); err != nil {
		release()
		return nil, nil, err
	}
	db, err := store.OpenWith(ctx, cluster.ConnString(embeddedDatabase), store.Options{MaxConns: cfg.DBMaxConns, Logger: logger})
	if err != nil {
		release()
		return nil, nil, err
	}
	return db, func() { db.Close(); release() }, nil
}

// embeddedCluster is the embedded default's cluster, not yet started.
func embeddedCluster(cfg config.Config) (*pgembed.Cluster, error) {
	if err := pgembed.PrepareParent(cfg.DataDir); err != nil {
		return nil, err
	}
	return pgembed.New(filepath.Join(cfg.DataDir, "postgres"), pgembed.Options{Durable: true, BinDir: cfg.PGBinDir})
}

// ensureDatabase creates the application database on first start.
// Commands started together on a fresh data directory race here: the
// loser's CREATE fails on the catalogs' unique index (23505) or as a
// duplicate (42710 extension, 42P04 database), and what it wanted exists
// then, so those count as success.
func ensureDatabase(ctx context.Context, cluster *pgembed.Cluster, name string) error {
	admin, err := store.Open(ctx, cluster.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	// pg_stat_statements (loaded by the embedded cluster's settings) lives
	// in the maintenance database, out of the application's schema and
	// backups; its view covers every database (pixelpals db report).
	if _, err := admin.Pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil && !createRaced(err) {
		return fmt.Errorf("create extension pg_stat_statements: %w", err)
	}
	var exists bool
	if err := admin.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := admin.Pool.Exec(ctx, "CREATE DATABASE "+name); err != nil && !createRaced(err) {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// createRaced reports whether a CREATE failed because another session
// created the same object at the same time.
func createRaced(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "23505", "42710", "42P04":
		return true
	}
	return false
}

// openMigrated opens the database as openDatabase does and applies any
// pending migrations, as every command that uses the schema needs.
func openMigrated(ctx context.Context, cfg config.Config, logger *slog.Logger, notice io.Writer) (*store.DB, func(), error) {
	db, closeDB, err := openDatabase(ctx, cfg, logger, notice)
	if err != nil {
		return nil, nil, err
	}
	if err := migrateUp(ctx, db, logger); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}

// migrateUp applies pending migrations under goose's lock row (goose_lock).
func migrateUp(ctx context.Context, db *store.DB, logger *slog.Logger) error {
	m, err := migrations.New(db.Pool, logger)
	if err != nil {
		return err
	}
	defer m.Close()
	n, err := m.Up(ctx)
	if err != nil {
		return err
	}
	logger.Info("migrations applied", "count", n)
	return nil
}
