package backup

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotEmpty is the refusal to restore over data.
type ErrNotEmpty struct{ Tables Counts }

func (e ErrNotEmpty) Error() string {
	return fmt.Sprintf("the target database is not empty: it holds %d table(s) (%s); restore into an empty database, "+
		"or pass --force to replace everything in its public schema", len(e.Tables), strings.Join(e.Tables.Tables(), ", "))
}

// ErrOutsidePublic is the refusal of --force when tables live outside
// schema public: --force replaces public only, and restoring next to
// other tables would mix two databases. Nothing was changed.
type ErrOutsidePublic struct{ Tables Counts }

func (e ErrOutsidePublic) Error() string {
	return fmt.Sprintf("restore refused, nothing was dropped: --force replaces schema public only, but the target also holds "+
		"%d table(s) outside it (%s); drop or move them yourself, or restore into an empty database",
		len(e.Tables), strings.Join(e.Tables.Tables(), ", "))
}

// ErrInUse is the refusal to restore while others use the database.
type ErrInUse struct{ Sessions []string }

func (e ErrInUse) Error() string {
	return fmt.Sprintf("restore refused, the database is untouched: %d other session(s) are connected to it (%s); "+
		"stop `pixelpals serve` and every other client of this database first", len(e.Sessions), strings.Join(e.Sessions, "; "))
}

// Contents counts the rows of every user table of the database.
func Contents(ctx context.Context, pool *pgxpool.Pool) (Counts, error) {
	return countAll(ctx, pool)
}

// countAll counts as countRows does, without the server's (or the embedded
// cluster's 60 s) statement_timeout: counting a large table takes longer.
func countAll(ctx context.Context, pool *pgxpool.Pool) (Counts, error) {
	var counts Counts
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return fmt.Errorf("lift the statement timeout for counting: %w", err)
		}
		var err error
		counts, err = countRows(ctx, tx)
		return err
	})
	return counts, err
}

// SplitPublic separates the tables of schema public from the others.
func SplitPublic(c Counts) (public, other Counts) {
	public, other = Counts{}, Counts{}
	for name, n := range c {
		if strings.HasPrefix(name, "public.") {
			public[name] = n
		} else {
			other[name] = n
		}
	}
	return public, other
}

// OtherSessions lists the client sessions connected to the pool's database
// that are not the pool's own: a restore under a running server would
// race its writes and fail on its locks.
func OtherSessions(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	own := []uint32{}
	for _, c := range pool.AcquireAllIdle(ctx) {
		own = append(own, c.Conn().PgConn().PID())
		c.Release()
	}
	rows, err := pool.Query(ctx, `
		SELECT format('pid %s %s@%s (%s)', pid, usename, coalesce(client_addr::text, 'local'), coalesce(nullif(application_name, ''), 'no name'))
		FROM pg_stat_activity
		WHERE datname = current_database() AND backend_type = 'client backend'
		  AND pid <> pg_backend_pid() AND pid <> ALL($1)
		ORDER BY pid`, own)
	if err != nil {
		return nil, fmt.Errorf("look for other sessions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// SetAside renames schema public out of the way and creates a new, empty
// one as a new database has it (PostgreSQL 15: owned by
// pg_database_owner, usable by everyone), in one transaction. It returns
// the schema the old contents now live in: PutBack or DropAside it.
func SetAside(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	aside := fmt.Sprintf("public_replaced_%d", time.Now().Unix())
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `ALTER SCHEMA public RENAME TO `+pgx.Identifier{aside}.Sanitize()+`;
			CREATE SCHEMA public AUTHORIZATION pg_database_owner;
			GRANT USAGE ON SCHEMA public TO PUBLIC`)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("set schema public aside (nothing was changed): %w", err)
	}
	return aside, nil
}

// PutBack drops the (failed) new schema public and renames the set-aside
// one back: the database is as it was before SetAside.
func PutBack(ctx context.Context, pool *pgxpool.Pool, aside string) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DROP SCHEMA public CASCADE; ALTER SCHEMA `+pgx.Identifier{aside}.Sanitize()+` RENAME TO public`)
		return err
	})
	if err != nil {
		return fmt.Errorf("put the previous schema public back: it is still in schema %s, rename it by hand: %w", aside, err)
	}
	return nil
}

// DropAside drops the set-aside schema once the restore is verified.
func DropAside(ctx context.Context, pool *pgxpool.Pool, aside string) error {
	if _, err := pool.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{aside}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("drop the replaced data (schema %s; the restore itself is complete and verified): %w", aside, err)
	}
	return nil
}

// Restore loads an inspected archive into the (empty) database in one
// transaction, so that a failure leaves it as empty as it was, and returns
// the rows each table holds afterwards, but for those of schema aside
// (SetAside's, or ""). Owners
// and privileges are not restored: the target's connecting user owns what
// it restores.
//
// The pg_stat_statements extension is left out: only a superuser may
// create it, it holds no data of ours, and it belongs in the maintenance
// database (older advice put it in the application's, so archives may
// hold it).
func (t Tool) Restore(ctx context.Context, pool *pgxpool.Pool, file, aside string) (Counts, error) {
	list, err := t.run(ctx, nil, "pg_restore", "--list", file)
	if err != nil {
		return nil, fmt.Errorf("pg_restore --list (nothing was restored): %w", err)
	}
	listFile, err := os.CreateTemp("", "pixelpals-restore-list-")
	if err != nil {
		return nil, fmt.Errorf("write the restore list: %w", err)
	}
	defer os.Remove(listFile.Name())
	_, err = listFile.WriteString(withoutStatStatements(string(list)))
	if cerr := listFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write the restore list: %w", err)
	}
	if _, err := t.run(ctx, t.Conn.env(), "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
		"--single-transaction", "--no-password", "--use-list="+listFile.Name(), "--dbname="+t.Conn.Database, file); err != nil {
		// Inspect reads the data and the list, but the definitions are
		// plain text to it: a damaged one is only found here. One
		// transaction, so nothing of the archive stays.
		return nil, fmt.Errorf("restore refused, the database is untouched: archive %s is damaged or does not fit this server: "+
			"pg_restore (nothing was restored): %w", file, err)
	}
	got, err := countAll(ctx, pool)
	if err != nil {
		return nil, err
	}
	for name := range got {
		if aside != "" && strings.HasPrefix(name, aside+".") {
			delete(got, name)
		}
	}
	return got, nil
}

// withoutStatStatements drops the pg_stat_statements extension and its
// comment from a `pg_restore --list` table of contents, e.g.
//
//	2; 3079 16385 EXTENSION - pg_stat_statements
//	3358; 0 0 COMMENT - EXTENSION pg_stat_statements
func withoutStatStatements(list string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(list, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && !strings.HasPrefix(f[0], ";") && f[len(f)-1] == "pg_stat_statements" &&
			(strings.Contains(line, " EXTENSION - ") || strings.Contains(line, " COMMENT - EXTENSION ")) {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}
