// Package pgtest gives tests real PostgreSQL databases. Main starts one
// throwaway cluster per test binary (from the machine's server binaries,
// with fsync off) and migrates a template database once; each test then
// gets its own database copied from the template, dropped when it ends.
//
// Set PIXELPALS_TEST_DATABASE_URL to use an existing server instead (its
// user must be allowed to create databases). Nothing here ever skips: a
// machine without PostgreSQL fails the tests, with the install command.
package pgtest

import (
	"context"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"pixelpals/internal/migrations"
	"pixelpals/internal/pgembed"
	"pixelpals/internal/store"
)

var (
	// admin is connected to the maintenance database; it creates and drops
	// the per-test databases.
	admin *pgxpool.Pool
	// urlFor builds the connection string of a database on the server.
	urlFor   func(dbname string) string
	template string
	seq      atomic.Int64
)

// Main runs the package's tests against a fresh server. Call it from
// TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	stop, err := startServer(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer stop()
	if err := makeTemplate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	return m.Run()
}

func startServer(ctx context.Context) (stop func(), err error) {
	if url := os.Getenv("PIXELPALS_TEST_DATABASE_URL"); url != "" {
		if _, err := pgx.ParseConfig(url); err != nil {
			return nil, fmt.Errorf("PIXELPALS_TEST_DATABASE_URL: %w", err)
		}
		urlFor = func(dbname string) string { return withDatabase(url, dbname) }
		admin, err = pgxpool.New(ctx, url)
		if err != nil {
			return nil, err
		}
		return admin.Close, nil
	}

	dir, err := os.MkdirTemp("", "pixelpals-pg-")
	if err != nil {
		return nil, err
	}
	cluster, err := pgembed.New(dir, pgembed.Options{BinDir: os.Getenv("PIXELPALS_PG_BINDIR")})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cluster.Start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop = func() {
		if admin != nil {
			admin.Close()
		}
		if err := cluster.Stop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
		os.RemoveAll(dir)
	}
	urlFor = cluster.ConnString
	admin, err = pgxpool.New(ctx, cluster.ConnString("postgres"))
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// withDatabase points a connection string, URL or key=value form, at
// another database on the same server.
func withDatabase(conn, dbname string) string {
	if u, err := neturl.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + dbname
		return u.String()
	}
	return conn + " dbname=" + dbname // a later key overrides an earlier one
}

// makeTemplate creates and migrates the database every test copies.
func makeTemplate(ctx context.Context) error {
	template = fmt.Sprintf("pixelpals_template_%d", os.Getpid())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	db, err := store.Open(ctx, urlFor(template))
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := migrations.New(db.Pool, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	return nil
}

// URL creates a migrated database for t and returns its connection string.
func URL(t testing.TB) string {
	t.Helper()
	return create(t, "TEMPLATE "+template)
}

// EmptyURL creates an empty database (no migrations) for t.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return create(t, "")
}

func create(t testing.TB, clause string) string {
	t.Helper()
	if admin == nil {
		t.Fatal("pgtest: no server; call pgtest.Main from TestMain")
	}
	name := fmt.Sprintf("pixelpals_test_%d_%d", os.Getpid(), seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" "+clause); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return urlFor(name)
}

// DB opens a pool on a fresh migrated database for t.
func DB(t testing.TB) *store.DB {
	t.Helper()
	return Open(t, URL(t))
}

// Open opens a pool on url, closed when t ends.
func Open(t testing.TB, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", url, err)
	}
	t.Cleanup(db.Close)
	return db
}

// Cluster creates a private cluster for t alone (not yet started), for
// tests that stop and restart their server. It is stopped and removed when
// t ends. Unlike t.TempDir, its parent directory is reachable by the
// postgres user the cluster runs as when the tests run as root.
func Cluster(t testing.TB) *pgembed.Cluster {
	t.Helper()
	parent, err := os.MkdirTemp("", "pixelpals-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(parent); err != nil {
			t.Errorf("pgtest: remove cluster: %v", err)
		}
	})
	if err := pgembed.PrepareParent(parent); err != nil {
		t.Fatal(err)
	}
	c, err := pgembed.New(filepath.Join(parent, "pg"), pgembed.Options{BinDir: os.Getenv("PIXELPALS_PG_BINDIR")})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after RemoveAll, so it runs before it.
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("pgtest: stop cluster: %v", err)
		}
	})
	return c
}
