package store_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/respond"
	"pixelpals/internal/store"
)

// TestDatabaseUnavailable tells a database that cannot be reached or goes
// away (retry later) from errors that are bugs or refusals.
func TestDatabaseUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir() // no server listens here
	gone, err := store.Open(ctx, "host="+dir+" port=5432 user=postgres dbname=x sslmode=disable connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	if err := gone.Ping(ctx); !respond.DatabaseUnavailable(err) {
		t.Errorf("no server: %v is not unavailable", err)
	}

	db := pgtest.DB(t)
	// A server that terminates the session under a query (as a shutdown
	// does: 57P01).
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	pid := conn.Conn().PgConn().PID()
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SELECT 1")
	if err == nil || !respond.DatabaseUnavailable(err) {
		t.Errorf("terminated session: %v is not unavailable", err)
	}

	for _, sql := range []string{"SELECT 1/0", "SELECT * FROM no_such_table", "INSERT INTO users (id) VALUES (1)"} {
		_, err := db.Pool.Exec(ctx, sql)
		if err == nil || respond.DatabaseUnavailable(err) {
			t.Errorf("%s: %v counted as unavailable", sql, err)
		}
	}
	for _, err := range []error{context.Canceled, errors.New("bug"), os.ErrNotExist} {
		if respond.DatabaseUnavailable(err) {
			t.Errorf("%v counted as unavailable", err)
		}
	}
}
