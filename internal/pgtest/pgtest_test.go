package pgtest

import "testing"

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@db.example:5433/main?sslmode=disable": "postgres://u:p@db.example:5433/other?sslmode=disable",
		"postgresql://u@/main?host=/tmp/sock":                 "postgresql://u@/other?host=/tmp/sock",
		"host=/tmp/sock user=postgres dbname=main":            "host=/tmp/sock user=postgres dbname=main dbname=other",
	} {
		if got := withDatabase(in, "other"); got != want {
			t.Errorf("withDatabase(%q) = %q, want %q", in, got, want)
		}
	}
}
