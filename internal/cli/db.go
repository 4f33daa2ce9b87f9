package cli

import (
	"context"
	"flag"

	"github.com/jackc/pgx/v5/pgxpool"

	"pixelpals/internal/config"
	"pixelpals/internal/dbreport"
)

// runDB: db report.
func runDB(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "db", []subcommand{
		{"report", "table and index sizes, dead tuples, (auto)vacuum and analyze, unused indexes, cache hits, slowest statements", runDBReport},
	}, args)
}

func runDBReport(ctx context.Context, env Env, args []string) error {
	cfg, _, err := loadConfig(env, "db report", "pixelpals db report [flags]",
		"Prints what an operator checks on the database; docs/operations.md says how to read it.",
		args, func(cfg *config.Config, fs *flag.FlagSet) { cfg.BindDatabase(fs) })
	if err != nil {
		return err
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openDatabase(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	// pg_stat_statements belongs in the server's maintenance database
	// (the embedded cluster creates it there; docs/operations.md tells
	// operators of other servers to): the report reads it through a
	// connection to that database, as the same user. The pool connects
	// only when the report needs it.
	pc := db.Pool.Config()
	pc.ConnConfig.Database = "postgres"
	pc.MinConns = 0
	stats, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer stats.Close()
	return dbreport.Write(ctx, env.Stdout, db.Pool, stats)
}
