package backup

import (
	"context"
	"strings"
	"testing"
)

// TestParseCopyBlocks: pg_restore's SQL is read as one row per line inside
// each COPY block, quoted identifiers unquoted, empty tables counted as 0,
// and a block cut before its end marker refused.
func TestParseCopyBlocks(t *testing.T) {
	sql := "SET statement_timeout = 0;\n" +
		"COPY public.users (id, email) FROM stdin;\n1\ta@x\n2\tb\\nwith newline\n\\.\n\n" +
		"COPY public.sessions (id) FROM stdin;\n\\.\n" +
		"COPY \"Odd Schema\".\"we\"\"ird\" (id) FROM stdin;\n7\n\\.\n"
	got, err := parseCopyBlocks(strings.NewReader(sql))
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{"public.users": 2, "public.sessions": 0, `Odd Schema.we"ird`: 1}
	if diff := Compare(want, got); diff != "" {
		t.Fatalf("counts differ:\n%s", diff)
	}
	if _, err := parseCopyBlocks(strings.NewReader("COPY public.users (id) FROM stdin;\n1\n")); err == nil {
		t.Fatal("a block without its end marker was accepted")
	}
}

func TestCompare(t *testing.T) {
	diff := Compare(Counts{"a": 1, "b": 2}, Counts{"a": 1, "b": 3, "c": 0})
	for _, want := range []string{"b: 3 rows, want 2 (+1)", "c: unexpected table"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	if Compare(Counts{"a": 1}, Counts{"a": 1}) != "" {
		t.Error("equal counts differ")
	}
}

// TestToolEnvironment: pg_dump and pg_restore get the connection and
// nothing of ours: not the vault keys, not DATABASE_URL.
func TestToolEnvironment(t *testing.T) {
	t.Setenv("PIXELPALS_VAULT_KEYS", "1:VAULTKEYMATERIAL")
	t.Setenv("DATABASE_URL", "postgres://app:DBPASSWORD@db/pixelpals")
	tool := Tool{BinDir: "/usr/bin", Conn: Conn{Host: "db", Port: "5432", User: "app", Password: "pw", Database: "pixelpals"}}
	env := strings.Join(tool.command(context.Background(), "pg_dump").Env, "\n")
	for _, s := range []string{"VAULTKEYMATERIAL", "PIXELPALS_VAULT_KEYS", "DBPASSWORD", "DATABASE_URL"} {
		if strings.Contains(env, s) {
			t.Errorf("pg_dump's environment holds %s:\n%s", s, env)
		}
	}
}
