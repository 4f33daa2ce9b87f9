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
	var stats *pgxpool.Pool
	if cfg.Embedded() {
		// The embedded cluster keeps pg_stat_statements in its maintenance
		// database (see ensureDatabase).
		pc := db.Pool.Config()
		pc.ConnConfig.Database = "postgres"
		if stats, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
			return err
		}
		defer stats.Close()
	}
	return dbreport.Write(ctx, env.Stdout, db.Pool, stats)
}
