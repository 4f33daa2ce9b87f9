package migrations_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"pixelpals/internal/migrations"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var seedTables = []string{"users", "profiles", "game_credentials", "conversations",
	"conversation_members", "messages", "audit_logs"}

// seedSQL returns the SQL blocks of the seed document that build the schema.
func seedSQL(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("testdata/seed.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		if strings.Contains(m[1], "CREATE ") {
			out = append(out, m[1])
		}
	}
	if len(out) != 8 { // seven tables and the index block
		t.Fatalf("found %d SQL blocks in the seed document, want 8", len(out))
	}
	return out
}

func migrate(t *testing.T, db *store.DB) *migrations.Migrator {
	t.Helper()
	m, err := migrations.New(db.Pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}

type column struct {
	Type     string
	Nullable string
	Default  string
}

type schema struct {
	columns     map[string]column // "table.column"
	constraints map[string]bool   // "table: definition"
	indexes     map[string][]string
}

func snapshot(t *testing.T, db *store.DB) schema {
	t.Helper()
	ctx := context.Background()
	s := schema{columns: map[string]column{}, constraints: map[string]bool{}, indexes: map[string][]string{}}

	rows, err := db.Pool.Query(ctx, `
		SELECT table_name, column_name,
		       format_type(a.atttypid, a.atttypmod), is_nullable, coalesce(column_default, '')
		FROM information_schema.columns c
		JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_name))::regclass AND a.attname = c.column_name
		WHERE table_schema = 'public' AND table_name = ANY($1)`, seedTables)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tbl, col string
		var c column
		if err := rows.Scan(&tbl, &col, &c.Type, &c.Nullable, &c.Default); err != nil {
			t.Fatal(err)
		}
		s.columns[tbl+"."+col] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	rows, err = db.Pool.Query(ctx, `
		SELECT conrelid::regclass::text, pg_get_constraintdef(oid)
		FROM pg_constraint
		WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text = ANY($1)`, seedTables)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tbl, def string
		if err := rows.Scan(&tbl, &def); err != nil {
			t.Fatal(err)
		}
		s.constraints[tbl+": "+def] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Index key columns in order, per index, as "table(col, col)".
	rows, err = db.Pool.Query(ctx, `
		SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text,
		       array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
		             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[]
		FROM pg_index i
		WHERE i.indrelid::regclass::text = ANY($1)`, seedTables)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, tbl string
		var cols []string
		if err := rows.Scan(&name, &tbl, &cols); err != nil {
			t.Fatal(err)
		}
		s.indexes[name] = append([]string{tbl}, cols...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaMatchesSeed loads the seed document's own SQL into one database
// and our migrations into another, and requires every seed column (type,
// nullability, default), every constraint (CHECK, UNIQUE, PRIMARY KEY,
// foreign keys with their ON DELETE rules) and the lookups of every seed
// index to be there in ours.
func TestSchemaMatchesSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seedDB := pgtest.Open(t, pgtest.EmptyURL(t))
	for _, block := range seedSQL(t) {
		if _, err := seedDB.Pool.Exec(ctx, block); err != nil {
			t.Fatalf("load seed SQL: %v\n%s", err, block)
		}
	}
	ours := snapshot(t, pgtest.DB(t))
	seed := snapshot(t, seedDB)

	if len(seed.columns) != 49 {
		t.Fatalf("seed has %d columns, want 49: is the extraction right?", len(seed.columns))
	}
	for name, want := range seed.columns {
		got, ok := ours.columns[name]
		if !ok {
			t.Errorf("column %s: missing", name)
			continue
		}
		if got != want {
			t.Errorf("column %s = %+v, seed has %+v", name, got, want)
		}
	}
	for name, c := range ours.columns {
		if _, inSeed := seed.columns[name]; !inSeed && c.Nullable != "YES" && c.Default == "" {
			t.Errorf("added column %s is NOT NULL without a default: additions must not break seed-shaped writes", name)
		}
	}
	for def := range seed.constraints {
		if !ours.constraints[def] {
			t.Errorf("constraint %q: missing or different", def)
		}
	}
	for name, cols := range seed.indexes {
		if !servedBy(cols, ours.indexes) {
			t.Errorf("seed index %s on %v: no index of ours serves its lookups", name, cols)
		}
	}
}

// servedBy reports whether some index has want's table and want's columns as
// its leading columns.
func servedBy(want []string, have map[string][]string) bool {
	for _, cols := range have {
		if len(cols) >= len(want) && slices.Equal(cols[:len(want)], want) {
			return true
		}
	}
	return false
}

func TestHistoryIndexExists(t *testing.T) {
	t.Parallel()
	var def string
	err := pgtest.DB(t).Pool.QueryRow(context.Background(),
		`SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_messages_history'`).Scan(&def)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "(conversation_id, created_at DESC, id DESC)") {
		t.Fatalf("history index is %s", def)
	}
}

func TestDownToZeroAndUpAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.Open(t, pgtest.EmptyURL(t))
	m := migrate(t, db)
	n, err := m.Up(ctx)
	if err != nil || n == 0 {
		t.Fatalf("up: %d, %v", n, err)
	}
	before := snapshot(t, db)

	down, err := m.DownTo(ctx, 0)
	if err != nil || down != n {
		t.Fatalf("down to 0: rolled back %d of %d, %v", down, n, err)
	}
	var tables int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', 'goose_lock')`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables left after migrating down to 0", tables)
	}

	if again, err := m.Up(ctx); err != nil || again != n {
		t.Fatalf("up again: %d of %d, %v", again, n, err)
	}
	after := snapshot(t, db)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatal("schema after down/up differs from the first up")
	}
}

// TestConcurrentMigrators starts several migrators on one empty database at
// once, as several instances starting together would: all succeed and each
// migration is applied exactly once.
func TestConcurrentMigrators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.EmptyURL(t)
	const instances = 4
	var wg sync.WaitGroup
	applied := make([]int, instances)
	errs := make([]error, instances)
	for i := range instances {
		db := pgtest.Open(t, url)
		m := migrate(t, db)
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = m.Up(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range instances {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	db := pgtest.Open(t, url)
	var versions, distinct int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	if versions != distinct || total != versions {
		t.Fatalf("applied %d migrations in all, %d recorded, %d distinct: want each once", total, versions, distinct)
	}
}
