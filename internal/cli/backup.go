package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"pixelpals/internal/backup"
	"pixelpals/internal/config"
	"pixelpals/internal/pgembed"
	"pixelpals/internal/store"
)

const backupAbout = `Runs pg_dump (custom format) with the server's own binaries, in one snapshot, and verifies the
archive before keeping it: pg_restore --list must list every table and the archive's rows per table
must equal the database's in that snapshot. The vault keys are NOT in the backup: keep them apart.`

const restoreAbout = `Restores an archive written by pixelpals backup into an empty database (the embedded one or
DATABASE_URL) in one transaction, then compares every table's rows with the archive's and exits
non-zero on any difference. Refused while other sessions use the database: stop serve first. A
non-empty database is refused unless --force, which sets its schema public aside, restores, and drops
the old one only once the restore is verified (or puts it back); tables outside public are refused
even with --force. The vault keys are NOT in the backup: the restored service needs the
same keys as the one backed up.`

// runBackup: backup --out FILE.
func runBackup(ctx context.Context, env Env, args []string) error {
	var out string
	cfg, _, err := loadConfig(env, "backup", "pixelpals backup --out FILE [flags]", backupAbout, args,
		func(cfg *config.Config, fs *flag.FlagSet) {
			cfg.BindDatabase(fs)
			fs.StringVar(&out, "out", "", "the archive to write (required)")
		})
	if err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openDatabase(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	tool, err := backupTool(ctx, cfg, db)
	if err != nil {
		return err
	}
	counts, err := tool.Dump(ctx, db.Pool, out)
	if err != nil {
		return fmt.Errorf("backup refused, no archive written: %w", err)
	}
	printCounts(env.Stdout, counts)
	size := int64(0)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(env.Stdout, "backup OK: %s (%d bytes), %d tables, %d rows, verified with pg_restore --list and per-table row counts\n",
		out, size, len(counts), counts.Total())
	vaultNote(env.Stdout, cfg)
	return nil
}

// runRestore: restore --in FILE [--force].
func runRestore(ctx context.Context, env Env, args []string) error {
	cfg, in, force, err := restoreArgs(env, args)
	if err != nil {
		return err
	}
	logger := newLogger(env.Stderr, cfg.LogLevel)
	db, closeDB, err := openDatabase(ctx, cfg, logger, env.Stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	tool, err := backupTool(ctx, cfg, db)
	if err != nil {
		return err
	}
	// Read the whole archive before touching the database.
	arch, err := tool.Inspect(ctx, in)
	if err != nil {
		return fmt.Errorf("restore refused, the database is untouched: %w", err)
	}
	aside, err := clearForRestore(ctx, env.Stdout, db, force)
	if err != nil {
		return err
	}
	job := restoreJob{out: env.Stdout, db: db, tool: tool, in: in, aside: aside}
	return job.restoreAndVerify(ctx, cfg, arch.Counts)
}

// restoreArgs reads restore's flags: the archive, which must exist, and --force.
func restoreArgs(env Env, args []string) (cfg config.Config, in string, force bool, err error) {
	cfg, _, err = loadConfig(env, "restore", "pixelpals restore --in FILE [--force] [flags]", restoreAbout, args,
		func(cfg *config.Config, fs *flag.FlagSet) {
			cfg.BindDatabase(fs)
			fs.StringVar(&in, "in", "", "the archive to restore (required)")
			fs.BoolVar(&force, "force", false, "restore over a non-empty database: replace its schema public (dropped once the restore is verified)")
		})
	if err != nil {
		return cfg, "", false, err
	}
	if in == "" {
		return cfg, "", false, fmt.Errorf("%w: --in FILE is required", errUsage)
	}
	if _, err := os.Stat(in); err != nil {
		return cfg, "", false, fmt.Errorf("archive: %w", err)
	}
	return cfg, in, force, nil
}

// clearForRestore refuses a database that others use, or that holds data
// without --force. With --force it sets schema public aside and returns the
// name it now has; an empty database returns "".
func clearForRestore(ctx context.Context, out io.Writer, db *store.DB, force bool) (aside string, err error) {
	// A restore beside a running server would race its writes, and the
	// server would go on with caches of the data replaced under it.
	if others, err := backup.OtherSessions(ctx, db.Pool); err != nil {
		return "", err
	} else if len(others) > 0 {
		return "", backup.ErrInUse{Sessions: others}
	}
	present, err := backup.Contents(ctx, db.Pool)
	if err != nil || len(present) == 0 {
		return "", err
	}
	if !force {
		return "", backup.ErrNotEmpty{Tables: present}
	}
	public, other := backup.SplitPublic(present)
	if len(other) > 0 {
		return "", backup.ErrOutsidePublic{Tables: other}
	}
	if aside, err = backup.SetAside(ctx, db.Pool); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "--force: replacing schema public: %d table(s), %d row(s), set aside as schema %s until the restore is verified:\n",
		len(public), public.Total(), aside)
	printCounts(out, public)
	return aside, nil
}

// restoreJob is one restore of an archive into a cleared database; aside
// names the old schema public that --force set aside, "" when there was none.
type restoreJob struct {
	out   io.Writer
	db    *store.DB
	tool  backup.Tool
	in    string
	aside string
}

// restoreAndVerify restores the archive, checks every table's rows against
// want (the archive's), and only then drops the set-aside schema: on any
// failure the old contents are put back.
func (j restoreJob) restoreAndVerify(ctx context.Context, cfg config.Config, want backup.Counts) error {
	got, err := j.tool.Restore(ctx, j.db.Pool, j.in, j.aside)
	if err != nil {
		return j.putBack(ctx, err)
	}
	vaultNote(j.out, cfg)
	if diff := backup.Compare(want, got); diff != "" {
		fmt.Fprintf(j.out, "restore FAILED the row-count check against the archive:\n%s", diff)
		return j.putBack(ctx, errors.New("restored rows differ from the archive's (see above)"))
	}
	if j.aside != "" {
		if err := backup.DropAside(ctx, j.db.Pool, j.aside); err != nil {
			return err
		}
	}
	printCounts(j.out, got)
	fmt.Fprintf(j.out, "restore OK: %d tables, %d rows, every table's rows equal the archive's\n", len(got), got.Total())
	return nil
}

// putBack undoes SetAside after a failed restore.
func (j restoreJob) putBack(ctx context.Context, cause error) error {
	if j.aside == "" {
		return cause
	}
	if err := backup.PutBack(context.WithoutCancel(ctx), j.db.Pool, j.aside); err != nil {
		return fmt.Errorf("%w; and %w", cause, err)
	}
	return fmt.Errorf("%w; the previous contents of schema public were put back unchanged", cause)
}

// backupTool points pg_dump and pg_restore at the open database, with the
// binaries of the server's own major version.
func backupTool(ctx context.Context, cfg config.Config, db *store.DB) (backup.Tool, error) {
	connString := cfg.DatabaseURL
	if cfg.Embedded() {
		connString = db.Pool.Config().ConnString()
	}
	conn, err := backup.ConnFrom(connString)
	if err != nil {
		return backup.Tool{}, err
	}
	if err := conn.UseServerOf(ctx, db.Pool); err != nil {
		return backup.Tool{}, err
	}
	fallback := cfg.PGBinDir
	if fallback == "" {
		fallback, _ = pgembed.FindBinDir()
	}
	bin := fallback
	if !cfg.Embedded() || bin == "" {
		if bin, err = backup.BinDirFor(ctx, db.Pool, fallback); err != nil {
			return backup.Tool{}, err
		}
	}
	return backup.Tool{BinDir: bin, Conn: conn}, nil
}

func printCounts(w io.Writer, c backup.Counts) {
	for _, name := range c.Tables() {
		fmt.Fprintf(w, "  %-36s %10d rows\n", name, c[name])
	}
}

// vaultNote says where the keys are, since the backup does not hold them.
func vaultNote(w io.Writer, cfg config.Config) {
	where := "PIXELPALS_VAULT_KEYS / PIXELPALS_VAULT_KEYS_FILE"
	if cfg.Embedded() && cfg.VaultKeys == "" && cfg.VaultKeysFile == "" {
		dir, _ := filepath.Abs(cfg.DataDir)
		where = filepath.Join(dir, vaultKeyFile)
	}
	fmt.Fprintf(w, "NOTE: the vault keys are NOT in the backup (they are never in the database). Kept game passwords\n"+
		"can only be opened with the same keys (%s): keep a copy of them safe and stored apart from the backups.\n", where)
}
