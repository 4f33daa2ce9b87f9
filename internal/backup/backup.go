// Package backup writes and restores verified pg_dump archives (custom
// format) of the Pixel Pals database with the server's own pg_dump and
// pg_restore (SPEC §10).
//
// Row counts. An archive's own data is its row count: pg_dump writes each
// table as one COPY block of one line per row, and `pg_restore --data-only
// --file=-` reads those blocks back, so the counts stored in the archive
// are the rows it holds, with nothing extra to keep in step. Backup makes
// them meaningful by counting every table live, in the very snapshot
// pg_dump dumps (a REPEATABLE READ transaction exports its snapshot and
// pg_dump runs with --snapshot while it stays open), and refusing the
// archive unless each table's count there equals its count in the archive
// and `pg_restore --list` lists every table. A counts table written before
// the dump could not be in the dump's snapshot: a snapshot never shows the
// writes of the transaction that exports it, and any other transaction
// commits after the snapshot or races with the writers. Restore then
// compares each restored table's rows with the archive's count.
package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/pgembed"
)

// Tool runs pg_dump and pg_restore from one directory against one server.
type Tool struct {
	// BinDir holds pg_dump and pg_restore.
	BinDir string
	// Conn is the database's libpq settings; see ConnFrom.
	Conn Conn
}

// Counts are rows per table, by "schema.table".
type Counts map[string]int64

// Total is the sum of the counts.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Tables are the counts' tables, sorted.
func (c Counts) Tables() []string {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// querier is what listing and counting need: a pool, a connection or a
// transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// userTables lists the ordinary tables outside the system schemas that do
// not belong to an extension: what pg_dump writes data for.
func userTables(ctx context.Context, q querier) ([][2]string, error) {
	rows, err := q.Query(ctx, `
		SELECT n.nspname, c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r'
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d
		                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var t [2]string
		err := r.Scan(&t[0], &t[1])
		return t, err
	})
}

// countRows counts every user table (ONLY: an inheritance child is counted
// as itself, as pg_dump dumps it).
func countRows(ctx context.Context, q querier) (Counts, error) {
	tables, err := userTables(ctx, q)
	if err != nil {
		return nil, err
	}
	counts := Counts{}
	for _, t := range tables {
		var n int64
		if err := q.QueryRow(ctx, "SELECT count(*) FROM ONLY "+pgx.Identifier{t[0], t[1]}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s.%s: %w", t[0], t[1], err)
		}
		counts[t[0]+"."+t[1]] = n
	}
	return counts, nil
}

// Archive is what an archive holds, read back from it.
type Archive struct {
	// Counts are the rows of every table with data in the archive.
	Counts Counts
}

// Inspect reads an archive through pg_restore: its table of contents must
// list, and its data must decompress and parse, or the archive is refused.
func (t Tool) Inspect(ctx context.Context, file string) (Archive, error) {
	list, err := t.run(ctx, nil, "pg_restore", "--list", file)
	if err != nil {
		return Archive{}, fmt.Errorf("%s is not a readable pg_dump custom-format archive: %w", file, err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(list), "\n") {
		f := strings.Fields(line)
		if len(f) >= 7 && f[3] == "TABLE" && f[4] == "DATA" {
			listed[f[5]+"."+f[6]] = true
		}
	}
	counts, err := t.archiveCounts(ctx, file)
	if err != nil {
		return Archive{}, fmt.Errorf("archive %s is damaged: %w", file, err)
	}
	for name := range listed {
		if _, ok := counts[name]; !ok {
			return Archive{}, fmt.Errorf("archive %s is damaged: its list names table %s but holds no data for it", file, name)
		}
	}
	for name := range counts {
		if !listed[name] {
			return Archive{}, fmt.Errorf("archive %s is damaged: it holds data for %s, which its list does not name", file, name)
		}
	}
	return Archive{Counts: counts}, nil
}

// archiveCounts counts the rows of every COPY block of the archive's data.
func (t Tool) archiveCounts(ctx context.Context, file string) (Counts, error) {
	cmd := t.command(ctx, "pg_restore", "--data-only", "--file=-", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pg_restore: %w", err)
	}
	counts, parseErr := parseCopyBlocks(out)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("pg_restore: %w: %s", err, tail(stderr.String()))
	}
	if parseErr != nil {
		return nil, parseErr
	}
	return counts, nil
}

// parseCopyBlocks reads pg_restore's SQL output: each "COPY schema.table
// (...) FROM stdin;" is followed by one line per row and a line "\.". In
// COPY's text format a newline inside a value is written as \n, so lines
// are rows.
func parseCopyBlocks(r io.Reader) (Counts, error) {
	counts := Counts{}
	br := bufio.NewReaderSize(r, 1<<16)
	var table string
	inCopy := false
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimSuffix(line, "\n")
			switch {
			case inCopy && line == `\.`:
				inCopy = false
			case inCopy:
				counts[table]++
			case strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, " FROM stdin;"):
				name, ok := copyTable(line)
				if !ok {
					return nil, fmt.Errorf("unexpected COPY line %.80q", line)
				}
				table, inCopy = name, true
				counts[table] += 0
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if inCopy {
		return nil, fmt.Errorf("the data of %s ends before its end marker", table)
	}
	return counts, nil
}

// copyTable reads "schema.table" from `COPY schema.table (cols) FROM
// stdin;`, unquoting quoted identifiers.
func copyTable(line string) (string, bool) {
	s := strings.TrimPrefix(line, "COPY ")
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted && ch == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case ch == '"':
			quoted = !quoted
		case !quoted && ch == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		case !quoted && ch == ' ':
			parts = append(parts, cur.String())
			if len(parts) != 2 {
				return "", false
			}
			return parts[0] + "." + parts[1], true
		default:
			cur.WriteByte(ch)
		}
	}
	return "", false
}

// Dump writes a verified archive of the database to file (through a
// temporary file beside it, renamed only once verified) and returns the
// live counts it was checked against.
func (t Tool) Dump(ctx context.Context, db querierBeginner, file string) (Counts, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin the backup's snapshot: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Counting a large table may take longer than a server's
	// statement_timeout, and the transaction sits idle while pg_dump runs.
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0"); err != nil {
		return nil, fmt.Errorf("lift timeouts for the backup: %w", err)
	}
	var snapshot string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return nil, fmt.Errorf("export the backup's snapshot: %w", err)
	}
	live, err := countRows(ctx, tx)
	if err != nil {
		return nil, err
	}

	// CreateTemp makes the file 0600 and pg_dump writes into it keeping
	// that mode: an archive holds password hashes and sealed game logins.
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("create the archive: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := t.run(ctx, t.Conn.env(), "pg_dump", "--format=custom", "--snapshot="+snapshot,
		"--no-password", "--file="+tmp.Name(), "--dbname="+t.Conn.Database); err != nil {
		return nil, fmt.Errorf("pg_dump: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("end the backup's snapshot: %w", err)
	}

	arch, err := t.Inspect(ctx, tmp.Name())
	if err != nil {
		return nil, err
	}
	if diff := Compare(live, arch.Counts); diff != "" {
		return nil, fmt.Errorf("the archive does not hold what the database held in its snapshot:\n%s", diff)
	}
	if err := syncFile(tmp.Name()); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return nil, fmt.Errorf("move the verified archive into place: %w", err)
	}
	return live, nil
}

// querierBeginner is a pool or a connection.
type querierBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Compare lists, one line per table, where got differs from want; empty
// when they agree.
func Compare(want, got Counts) string {
	var b strings.Builder
	names := map[string]bool{}
	for k := range want {
		names[k] = true
	}
	for k := range got {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			fmt.Fprintf(&b, "  %s: missing (want %d rows)\n", k, w)
		case !inWant:
			fmt.Fprintf(&b, "  %s: unexpected table (%d rows)\n", k, g)
		case w != g:
			fmt.Fprintf(&b, "  %s: %d rows, want %d (%+d)\n", k, g, w, g-w)
		}
	}
	return b.String()
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync the archive: %w", err)
	}
	return nil
}

func (t Tool) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(t.BinDir, name), args...)
	// Only what libpq needs: the connection comes as PG* variables (run).
	cmd.Env = pgembed.ToolEnv()
	return cmd
}

// run runs a tool with extra environment; a failure carries its stderr.
func (t Tool) run(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	cmd := t.command(ctx, name, args...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, err, tail(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func tail(s string) string { return pgembed.Tail(s, 800) }
