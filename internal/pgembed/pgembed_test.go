package pgembed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/pgembed"
	"pixelpals/internal/pgtest"
)

func exec(t *testing.T, c *pgembed.Cluster, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, c *pgembed.Cluster) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateStopRestartKeepsData is the embedded default's life cycle: the
// first start creates the cluster, a stop shuts it down, and the next start
// reuses it with the data intact.
func TestCreateStopRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Cluster(t)
	if c.Initialized() {
		t.Fatal("new directory already initialized")
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "CREATE TABLE kept (v int)")
	exec(t, c, "INSERT INTO kept VALUES (1), (2)")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Running(ctx) {
		t.Fatal("still running after Stop")
	}
	if _, err := pgx.Connect(ctx, c.ConnString("postgres")); err == nil {
		t.Fatal("connected to a stopped cluster")
	}

	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c); n != 2 {
		t.Fatalf("after restart: %d rows, want 2", n)
	}
	// Starting an already running cluster adopts it.
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNoTCPPort checks the cluster listens only on its unix socket.
func TestNoTCPPort(t *testing.T) {
	c := pgtest.Cluster(t)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var addrs string
	if err := conn.QueryRow(context.Background(), "SHOW listen_addresses").Scan(&addrs); err != nil {
		t.Fatal(err)
	}
	if addrs != "" {
		t.Fatalf("listen_addresses = %q, want none", addrs)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), ".s.PGSQL.5432")); err != nil {
		t.Fatalf("socket not in the cluster directory: %v", err)
	}
}

func TestMissingBinariesSayWhatToInstall(t *testing.T) {
	_, err := pgembed.New(t.TempDir(), pgembed.Options{BinDir: t.TempDir()})
	if !errors.Is(err, pgembed.ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, hint := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
}

// TestUnreachableDirectoryIsNamed: as root the cluster runs as the postgres
// user, and a data directory below a directory closed to it fails at once
// with the directory named and the way out, not with initdb's bare
// "Permission denied".
func TestUnreachableDirectoryIsNamed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	closed := t.TempDir() // 0700, owned by root
	_, err := pgembed.New(filepath.Join(closed, "data", "pg"), pgembed.Options{})
	if err == nil || !strings.Contains(err.Error(), closed) || !strings.Contains(err.Error(), "PIXELPALS_DATA_DIR") {
		t.Fatalf("err = %v", err)
	}
}

// TestLeases: the last user stops a cluster pixelpals started, whoever
// started it; nobody stops one that was already running without us.
func TestLeases(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Cluster(t)
	first, err := c.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || !first.Started {
		t.Fatalf("first lease: created=%v started=%v, want both", first.Created, first.Started)
	}
	second, err := c.Acquire(ctx) // e.g. serve started while a command runs
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Started {
		t.Fatalf("second lease: created=%v started=%v, want neither", second.Created, second.Started)
	}
	if stopped, err := first.Release(ctx); err != nil || stopped {
		t.Fatalf("the starter left while another used it: stopped=%v err=%v", stopped, err)
	}
	if !c.Running(ctx) {
		t.Fatal("stopped while still in use")
	}
	if stopped, err := second.Release(ctx); err != nil || !stopped {
		t.Fatalf("the last user left: stopped=%v err=%v, want stopped", stopped, err)
	}
	if c.Running(ctx) {
		t.Fatal("still running after its last user left")
	}

	// A server started outside any lease (by hand) is adopted, never stopped.
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := c.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stopped, err := l.Release(ctx); err != nil || stopped {
		t.Fatalf("released an operator's server: stopped=%v err=%v", stopped, err)
	}
	if !c.Running(ctx) {
		t.Fatal("an operator's server was stopped")
	}
}

// TestServerEnvironmentHoldsNoSecrets: the postmaster keeps the
// environment it was started with, and a superuser reads it back through
// SQL; the vault keys and DATABASE_URL of the pixelpals process that
// started it must not be there.
func TestServerEnvironmentHoldsNoSecrets(t *testing.T) {
	const secret = "1:VAULTKEYMATERIAL"
	t.Setenv("PIXELPALS_VAULT_KEYS", secret)
	t.Setenv("DATABASE_URL", "postgres://app:DBPASSWORD@db/pixelpals")
	ctx := context.Background()
	c := pgtest.Cluster(t)
	l, err := c.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var env string
	if err := conn.QueryRow(ctx, `SELECT encode(pg_read_binary_file('/proc/' ||
		split_part(pg_read_file('postmaster.pid'), E'\n', 1) || '/environ'), 'escape')`).Scan(&env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(env, "LC_ALL=C") {
		t.Fatalf("read the wrong environment: %q", env)
	}
	for _, s := range []string{"VAULTKEYMATERIAL", "PIXELPALS_VAULT_KEYS", "DBPASSWORD", "DATABASE_URL"} {
		if strings.Contains(env, s) {
			t.Errorf("the postmaster's environment holds %s: %q", s, env)
		}
	}
}

// TestCancelledAcquireLeavesNoServer: a command interrupted while it
// starts the cluster leaves no unrecorded postmaster behind: the start
// completes and the lease's release stops it, or nothing runs.
func TestCancelledAcquireLeavesNoServer(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Cluster(t)
	l, err := c.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	l, err = c.Acquire(cctx)
	cancel()
	if err == nil {
		if stopped, err := l.Release(ctx); err != nil || !stopped {
			t.Fatalf("release after a cancelled start: stopped=%v err=%v", stopped, err)
		}
	}
	if c.Running(ctx) {
		t.Fatalf("a postmaster runs after the interrupted start (acquire err: %v)", err)
	}
}
