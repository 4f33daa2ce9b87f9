package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"pixelpals/internal/config"
	"pixelpals/internal/migrations"
)

const migrateUsage = "pixelpals migrate [flags] up | down [VERSION] | status"

const migrateAbout = `verbs:
  up              apply every pending migration
  down [VERSION]  roll back the newest migration, or every one above VERSION (down 0 removes all)
  status          list the migrations, applied or pending`

// runMigrate: migrate up | down [VERSION] | status.
func runMigrate(ctx context.Context, env Env, args []string) error {
	cfg, rest, err := loadConfig(env, "migrate", migrateUsage, migrateAbout, args, (*config.Config).BindDatabase)
	if err != nil {
		return err
	}
	verb, to, err := migrateVerb(rest)
	if err != nil {
		return err
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
	return runMigrateVerb(ctx, env.Stdout, m, verb, to)
}

// migrateVerb reads the words after the flags: the verb, and for down the
// version to roll back to (-1 when absent: only the newest migration). An
// unknown verb is not refused here but after the database is open, as before.
func migrateVerb(rest []string) (verb string, to int64, err error) {
	if len(rest) == 0 {
		return "", 0, fmt.Errorf("%w: pixelpals migrate up | down [VERSION] | status", errUsage)
	}
	verb = rest[0]
	if len(rest) > 2 || (len(rest) == 2 && verb != "down") {
		return "", 0, fmt.Errorf("%w: pixelpals migrate up | down [VERSION] | status", errUsage)
	}
	to = -1
	if verb == "down" && len(rest) == 2 {
		if to, err = strconv.ParseInt(rest[1], 10, 64); err != nil || to < 0 {
			return "", 0, fmt.Errorf("%w: down VERSION must be a number ≥ 0", errUsage)
		}
	}
	return verb, to, nil
}

// runMigrateVerb applies the verb and says what it did.
func runMigrateVerb(ctx context.Context, out io.Writer, m *migrations.Migrator, verb string, to int64) error {
	switch verb {
	case "up":
		n, err := m.Up(ctx)
		fmt.Fprintf(out, "applied %d migration(s)\n", n)
		return err
	case "down":
		return migrateDown(ctx, out, m, to)
	case "status":
		return migrateStatus(ctx, out, m)
	}
	return fmt.Errorf("%w: unknown migrate verb %q (want up, down or status)", errUsage, verb)
}

// migrateDown rolls back every migration above version to, or only the
// newest one when to is -1.
func migrateDown(ctx context.Context, out io.Writer, m *migrations.Migrator, to int64) error {
	if to >= 0 {
		n, err := m.DownTo(ctx, to)
		fmt.Fprintf(out, "rolled back %d migration(s)\n", n)
		return err
	}
	if err := m.Down(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "rolled back 1 migration")
	return nil
}

// migrateStatus lists every migration, applied or pending.
func migrateStatus(ctx context.Context, out io.Writer, m *migrations.Migrator) error {
	list, err := m.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range list {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(out, "%05d  %-8s %s\n", s.Version, state, s.Name)
	}
	return nil
}
