// Package dbreport prints what an operator checks on the database
// (SPEC §10, `pixelpals db report`): sizes, live and dead tuples, the last
// (auto)vacuum and analyze per table, indexes never scanned, cache hit
// ratios, and the slowest statements when pg_stat_statements is loaded.
package dbreport

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Write prints the report of the database db is connected to. stats, when
// not nil, is a pool on the same server's maintenance database (postgres),
// where the pg_stat_statements extension belongs (the embedded cluster
// creates it there, keeping it out of the application's schema and
// backups); its view covers every database of the server.
func Write(ctx context.Context, w io.Writer, db, stats *pgxpool.Pool) error {
	for _, section := range []func(context.Context, io.Writer, *pgxpool.Pool) error{overview, tables, indexes, unusedIndexes} {
		if err := section(ctx, w, db); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return statements(ctx, w, db, stats)
}

func overview(ctx context.Context, w io.Writer, db *pgxpool.Pool) error {
	var name, size string
	var dbHit, heapHit, idxHit *float64
	var reset *time.Time
	err := db.QueryRow(ctx, `
		SELECT d.datname, pg_size_pretty(pg_database_size(d.datname)),
		       round(100.0 * s.blks_hit / nullif(s.blks_hit + s.blks_read, 0), 2)::float8,
		       (SELECT round(100.0 * sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 2)::float8 FROM pg_statio_user_tables),
		       (SELECT round(100.0 * sum(idx_blks_hit) / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0), 2)::float8 FROM pg_statio_user_tables),
		       s.stats_reset
		FROM pg_database d JOIN pg_stat_database s ON s.datid = d.oid
		WHERE d.datname = current_database()`).Scan(&name, &size, &dbHit, &heapHit, &idxHit, &reset)
	if err != nil {
		return fmt.Errorf("database overview: %w", err)
	}
	fmt.Fprintf(w, "== database %s: %s\n", name, size)
	fmt.Fprintf(w, "cache hit ratio: %s of all block reads (tables %s, indexes %s); below 99%% on a busy service means shared_buffers or RAM is short\n",
		pct(dbHit), pct(heapHit), pct(idxHit))
	since := "the database's creation"
	if reset != nil {
		since = reset.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "statistics since %s\n", since)
	return nil
}

func tables(ctx context.Context, w io.Writer, db *pgxpool.Pool) error {
	rows, err := db.Query(ctx, `
		SELECT s.schemaname || '.' || s.relname,
		       pg_size_pretty(pg_total_relation_size(s.relid)), pg_size_pretty(pg_relation_size(s.relid)),
		       pg_size_pretty(pg_indexes_size(s.relid)),
		       s.n_live_tup, s.n_dead_tup,
		       s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze
		FROM pg_stat_user_tables s
		ORDER BY pg_total_relation_size(s.relid) DESC, 1`)
	if err != nil {
		return fmt.Errorf("table statistics: %w", err)
	}
	fmt.Fprintln(w, "== tables (largest first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\ttotal\theap\tindexes\tlive\tdead\tdead%\tlast vacuum\tlast autovacuum\tlast analyze\tlast autoanalyze")
	var name, total, heap, idx string
	var live, dead int64
	var vac, autovac, an, autoan *time.Time
	_, err = pgx.ForEachRow(rows, []any{&name, &total, &heap, &idx, &live, &dead, &vac, &autovac, &an, &autoan}, func() error {
		deadPct := "-"
		if live+dead > 0 {
			deadPct = fmt.Sprintf("%.1f", 100*float64(dead)/float64(live+dead))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", name, total, heap, idx, live, dead, deadPct,
			when(vac), when(autovac), when(an), when(autoan))
		return nil
	})
	if err != nil {
		return fmt.Errorf("table statistics: %w", err)
	}
	return tw.Flush()
}

func indexes(ctx context.Context, w io.Writer, db *pgxpool.Pool) error {
	rows, err := db.Query(ctx, `
		SELECT s.schemaname || '.' || s.relname, s.indexrelname, pg_size_pretty(pg_relation_size(s.indexrelid)), s.idx_scan
		FROM pg_stat_user_indexes s
		ORDER BY pg_relation_size(s.indexrelid) DESC, 1, 2`)
	if err != nil {
		return fmt.Errorf("index statistics: %w", err)
	}
	fmt.Fprintln(w, "== indexes (largest first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\tindex\tsize\tscans")
	var table, index, size string
	var scans int64
	_, err = pgx.ForEachRow(rows, []any{&table, &index, &size, &scans}, func() error {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", table, index, size, scans)
		return nil
	})
	if err != nil {
		return fmt.Errorf("index statistics: %w", err)
	}
	return tw.Flush()
}

// unusedIndexes lists indexes never scanned since the statistics were
// reset, leaving out those that enforce a primary key or UNIQUE
// constraint: they are used by every insert even when never scanned.
func unusedIndexes(ctx context.Context, w io.Writer, db *pgxpool.Pool) error {
	rows, err := db.Query(ctx, `
		SELECT s.schemaname || '.' || s.relname, s.indexrelname, pg_size_pretty(pg_relation_size(s.indexrelid))
		FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
		WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
		ORDER BY pg_relation_size(s.indexrelid) DESC, 1, 2`)
	if err != nil {
		return fmt.Errorf("unused indexes: %w", err)
	}
	fmt.Fprintln(w, "== indexes never scanned (not unique; each costs every write; judge after a representative period)")
	var table, index, size string
	n := 0
	_, err = pgx.ForEachRow(rows, []any{&table, &index, &size}, func() error {
		n++
		fmt.Fprintf(w, "  %s on %s (%s)\n", index, table, size)
		return nil
	})
	if err != nil {
		return fmt.Errorf("unused indexes: %w", err)
	}
	if n == 0 {
		fmt.Fprintln(w, "  none")
	}
	return nil
}

// statements prints the slowest statements of this database, or says why
// pg_stat_statements cannot tell.
func statements(ctx context.Context, w io.Writer, db, stats *pgxpool.Pool) error {
	fmt.Fprintln(w, "== slowest statements (pg_stat_statements, by mean time)")
	dbOID, src, err := statementsSource(ctx, w, db, stats)
	if err != nil || src == nil {
		return err
	}
	return slowestStatements(ctx, w, src, dbOID)
}

// statementsSource returns this database's oid and the pool to read
// pg_stat_statements from: the application's database if the extension was
// created there, else the server's postgres database (stats). When it cannot
// be read, it says why on w and returns a nil pool.
func statementsSource(ctx context.Context, w io.Writer, db, stats *pgxpool.Pool) (dbOID uint32, src *pgxpool.Pool, err error) {
	var preload string
	if err := db.QueryRow(ctx, `SELECT current_setting('shared_preload_libraries')`).Scan(&preload); err != nil {
		return 0, nil, fmt.Errorf("read shared_preload_libraries: %w", err)
	}
	if !strings.Contains(preload, "pg_stat_statements") {
		fmt.Fprintln(w, "  pg_stat_statements is not loaded: add it to shared_preload_libraries and restart (the embedded cluster loads it)")
		return 0, nil, nil
	}
	if err := db.QueryRow(ctx, `SELECT oid FROM pg_database WHERE datname = current_database()`).Scan(&dbOID); err != nil {
		return 0, nil, fmt.Errorf("find the database: %w", err)
	}
	var here bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')`).Scan(&here); err != nil {
		return 0, nil, fmt.Errorf("look for pg_stat_statements: %w", err)
	}
	if here {
		return dbOID, db, nil
	}
	return dbOID, statementsInPostgres(ctx, w, stats), nil
}

// statementsInPostgres returns stats, the server's postgres database, if
// pg_stat_statements was created there; else it says why on w and returns nil.
func statementsInPostgres(ctx context.Context, w io.Writer, stats *pgxpool.Pool) *pgxpool.Pool {
	const advice = "run CREATE EXTENSION pg_stat_statements as a superuser in the server's postgres database (not in the application's: see docs/operations.md)"
	if stats == nil {
		fmt.Fprintln(w, "  pg_stat_statements is loaded but not created: "+advice)
		return nil
	}
	var there bool
	if err := stats.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')`).Scan(&there); err != nil {
		fmt.Fprintf(w, "  cannot read the postgres database, where pg_stat_statements belongs (%v): "+
			"let this user connect to it, or %s\n", err, advice)
		return nil
	}
	if !there {
		fmt.Fprintln(w, "  pg_stat_statements is loaded but not created: "+advice)
		return nil
	}
	return stats
}

// slowestStatements prints the ten statements of database dbOID with the
// highest mean time, each cut to 120 characters.
func slowestStatements(ctx context.Context, w io.Writer, src *pgxpool.Pool, dbOID uint32) error {
	rows, err := src.Query(ctx, `
		SELECT calls, mean_exec_time, total_exec_time, rows, regexp_replace(query, '\s+', ' ', 'g')
		FROM pg_stat_statements
		WHERE dbid = $1
		ORDER BY mean_exec_time DESC
		LIMIT 10`, dbOID)
	if err != nil {
		return fmt.Errorf("read pg_stat_statements: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "calls\tmean ms\ttotal ms\trows\tstatement")
	var calls, nrows int64
	var mean, total float64
	var query string
	n := 0
	_, err = pgx.ForEachRow(rows, []any{&calls, &mean, &total, &nrows, &query}, func() error {
		n++
		if r := []rune(query); len(r) > 120 {
			query = string(r[:117]) + "..."
		}
		fmt.Fprintf(tw, "%d\t%.2f\t%.1f\t%d\t%s\n", calls, mean, total, nrows, query)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read pg_stat_statements: %w", err)
	}
	if n == 0 {
		fmt.Fprintln(tw, "-\t-\t-\t-\tnone recorded yet")
	}
	return tw.Flush()
}

func pct(v *float64) string {
	if v == nil {
		return "n/a (no reads yet)"
	}
	return fmt.Sprintf("%.2f%%", *v)
}

func when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04")
}
