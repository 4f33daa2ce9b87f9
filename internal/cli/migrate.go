package cli

import (
	"context"
	"fmt"
	"strconv"

	"pixelpals/internal/config"
	"pixelpals/internal/migrations"
)

// runMigrate: migrate up | down [VERSION] | status.
func runMigrate(ctx context.Context, env Env, args []string) error {
	var to int64 = -1
	cfg, rest, err := loadConfig(env, "migrate", "pixelpals migrate [flags] up | down [VERSION] | status",
		`verbs:
  up              apply every pending migration
  down [VERSION]  roll back the newest migration, or every one above VERSION (down 0 removes all)
  status          list the migrations, applied or pending`,
		args, (*config.Config).BindDatabase)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fmt.Errorf("%w: pixelpals migrate up | down [VERSION] | status", errUsage)
	}
	verb := rest[0]
	if len(rest) > 2 || (len(rest) == 2 && verb != "down") {
		return fmt.Errorf("%w: pixelpals migrate up | down [VERSION] | status", errUsage)
	}
	if verb == "down" && len(rest) == 2 {
		if to, err = strconv.ParseInt(rest[1], 10, 64); err != nil || to < 0 {
			return fmt.Errorf("%w: down VERSION must be a number ≥ 0", errUsage)
		}
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openDatabase(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	m, err := migrations.New(db.Pool, logger)
	if err != nil {
		return err
	}
	defer m.Close()

	switch verb {
	case "up":
		n, err := m.Up(ctx)
		fmt.Fprintf(env.Stdout, "applied %d migration(s)\n", n)
		return err
	case "down":
		if to >= 0 {
			n, err := m.DownTo(ctx, to)
			fmt.Fprintf(env.Stdout, "rolled back %d migration(s)\n", n)
			return err
		}
		if err := m.Down(ctx); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "rolled back 1 migration")
		return nil
	case "status":
		list, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range list {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(env.Stdout, "%05d  %-8s %s\n", s.Version, state, s.Name)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown migrate verb %q (want up, down or status)", errUsage, verb)
}
