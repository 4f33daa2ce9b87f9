package deploytest

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncer is a running pgbouncer in front of one PostgreSQL server.
type PgBouncer struct {
	*Process
	Port     int
	database string
	poolSize int
}

// PoolSize is the number of server connections PgBouncer keeps per
// database and user. It is kept below the application's own pool size so
// that every server connection is shared by several client connections,
// as under real load: a statement prepared on one would be missing on the
// next.
const PoolSize = 2

// StartPgBouncer runs PgBouncer in transaction pooling mode in front of the
// database that serverURL names, on a free port of 127.0.0.1, with PoolSize
// server connections.
func StartPgBouncer(t testing.TB, serverURL string) *PgBouncer {
	t.Helper()
	return StartPgBouncerPool(t, serverURL, PoolSize)
}

// StartPgBouncerPool is StartPgBouncer with poolSize server connections.
func StartPgBouncerPool(t testing.TB, serverURL string, poolSize int) *PgBouncer {
	t.Helper()
	bin := need(t, "pgbouncer", "pgbouncer")
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		t.Fatalf("parse server url: %v", err)
	}
	// PgBouncer connects as one server user (auth_type=any trusts its own
	// clients: it listens on loopback for this test only).
	target := fmt.Sprintf("host=%s port=%d user=%s dbname=%s", cfg.Host, cfg.Port, cfg.User, cfg.Database)
	if cfg.Password != "" {
		target += " password=" + cfg.Password
	}
	dir := filepath.Join(privateDir(t, "pixelpals-pgbouncer-"), "pgbouncer")
	ownedDir(t, dir)
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		ini := filepath.Join(dir, "pgbouncer.ini")
		conf := fmt.Sprintf(`[databases]
%s = %s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits
`, cfg.Database, target, port, poolSize)
		if err := os.WriteFile(ini, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, ini)
		asPostgres(t, cmd)
		b := &PgBouncer{Process: start(t, "pgbouncer", cmd), Port: port, database: cfg.Database, poolSize: poolSize}
		up := false
		waitFor(t, time.Minute, "pgbouncer to listen", listening(b.Process, "127.0.0.1:"+strconv.Itoa(port), &up), b.Output.String)
		if up {
			b.checkTransactionPooling(t)
			return b
		}
		if attempt == 3 || !strings.Contains(b.Output.String(), "in use") {
			t.Fatalf("pgbouncer exited (%v):\n%s", b.ExitErr(), b.Output)
		}
	}
}

// URL is a pgx connection URL through PgBouncer with the given query exec
// mode ("" leaves pgx's default, cache_statement, which prepares and
// caches named statements — not possible in transaction pooling).
func (b *PgBouncer) URL(mode string) string {
	u := &neturl.URL{Scheme: "postgres", User: neturl.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(b.Port),
		Path: "/" + b.database}
	q := neturl.Values{"sslmode": {"disable"}}
	if mode != "" {
		q.Set("default_query_exec_mode", mode)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// checkTransactionPooling makes sure we really talk to PgBouncer in
// transaction mode: more client connections than PoolSize all get answers
// (in session mode the extra one would wait for a free server connection),
// from at most PoolSize server backends.
func (b *PgBouncer) checkTransactionPooling(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conns := make([]*pgx.Conn, b.poolSize+1)
	for i := range conns {
		c, err := pgx.Connect(ctx, b.URL("simple_protocol"))
		if err != nil {
			t.Fatalf("connect through pgbouncer: %v\n%s", err, b.Output)
		}
		defer c.Close(context.Background())
		conns[i] = c
	}
	// More client connections than server connections, each running one
	// transaction at a time: the backends they see are at most PoolSize.
	pids := map[uint32]bool{}
	for range 3 {
		for _, c := range conns {
			var pid uint32
			if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			pids[pid] = true
		}
	}
	if len(pids) > b.poolSize {
		t.Fatalf("%d client connections used %d server connections: PgBouncer is not pooling (pool size %d)", len(conns), len(pids), b.poolSize)
	}
}
