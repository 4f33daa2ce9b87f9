package cli

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"pixelpals/internal/config"
	"pixelpals/internal/migrations"
	"pixelpals/internal/pgembed"
	"pixelpals/internal/store"
)

// embeddedDatabase is the database name inside the embedded cluster.
const embeddedDatabase = "pixelpals"

// openDatabase connects to DATABASE_URL or, without one, starts the embedded
// cluster under the data directory. The returned close function closes the
// pool and stops a cluster this call started.
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger) (*store.DB, func(), error) {
	if !cfg.Embedded() {
		db, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, err
		}
		return db, db.Close, nil
	}

	if err := pgembed.PrepareParent(cfg.DataDir); err != nil {
		return nil, nil, err
	}
	cluster, err := pgembed.New(filepath.Join(cfg.DataDir, "postgres"), pgembed.Options{Durable: true, BinDir: cfg.PGBinDir})
	if err != nil {
		return nil, nil, err
	}
	logger.Info("starting embedded PostgreSQL", "dir", cluster.Dir(), "new", !cluster.Initialized())
	if err := cluster.Start(ctx); err != nil {
		return nil, nil, err
	}
	stop := func() {
		logger.Info("stopping embedded PostgreSQL", "dir", cluster.Dir())
		if err := cluster.Stop(context.WithoutCancel(ctx)); err != nil {
			logger.Error("stop embedded PostgreSQL", "err", err)
		}
	}
	if err := ensureDatabase(ctx, cluster, embeddedDatabase); err != nil {
		stop()
		return nil, nil, err
	}
	db, err := store.Open(ctx, cluster.ConnString(embeddedDatabase))
	if err != nil {
		stop()
		return nil, nil, err
	}
	return db, func() { db.Close(); stop() }, nil
}

// ensureDatabase creates the application database on first start.
func ensureDatabase(ctx context.Context, cluster *pgembed.Cluster, name string) error {
	admin, err := store.Open(ctx, cluster.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	var exists bool
	if err := admin.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := admin.Pool.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// openMigrated opens the database as openDatabase does and applies any
// pending migrations, as every command that uses the schema needs.
func openMigrated(ctx context.Context, cfg config.Config, logger *slog.Logger) (*store.DB, func(), error) {
	db, closeDB, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := migrateUp(ctx, db, logger); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}

// migrateUp applies pending migrations under the advisory lock.
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
