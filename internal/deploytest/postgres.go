package deploytest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/pgembed"
)

// Postgres is a private PostgreSQL cluster (pgembed) in its own directory,
// reached over the unix socket in that directory.
type Postgres struct {
	*pgembed.Cluster
	Name string
}

// postgresCred is the postgres user's identity when we are root, else nil.
func postgresCred(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root needs the postgres user (apt-get install -y postgresql creates it): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// privateDir makes a directory for t alone that the postgres user (when we
// are root) can reach and own things in, removed when t ends.
func privateDir(t testing.TB, prefix string) string {
	t.Helper()
	parent, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := pgembed.PrepareParent(parent); err != nil {
		t.Fatal(err)
	}
	return parent
}

// ownedDir creates dir (mode 0700) owned by the postgres user when we are
// root.
func ownedDir(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if cred := postgresCred(t); cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
}

func binDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("PIXELPALS_PG_BINDIR"); d != "" {
		return d
	}
	d, err := pgembed.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// runPG runs one of PostgreSQL's programs as the cluster's owner and
// returns its output, failing t when it fails.
func runPG(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(t), name), args...)
	asPostgres(t, cmd)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// NewPostgres initializes and starts a cluster for t, stopped when t ends.
// A durable cluster keeps fsync and synchronous_commit on, as production
// does; the others trade that for speed.
func NewPostgres(t testing.TB, name string, durable bool) *Postgres {
	t.Helper()
	dir := filepath.Join(privateDir(t, "pixelpals-deploy-"), name)
	return startCluster(t, name, dir, durable)
}

func startCluster(t testing.TB, name, dir string, durable bool) *Postgres {
	t.Helper()
	c, err := pgembed.New(dir, pgembed.Options{Durable: durable, BinDir: os.Getenv("PIXELPALS_PG_BINDIR")})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the directory's removal, so it runs before it.
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("%v\nserver.log:\n%s", err, log)
	}
	return &Postgres{Cluster: c, Name: name}
}

// URL is the connection string of database dbname on the cluster.
func (p *Postgres) URL(dbname string) string { return p.ConnString(dbname) }

// connect opens one connection to dbname.
func (p *Postgres) connect(t testing.TB, dbname string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL(dbname))
	if err != nil {
		t.Fatalf("connect to %s/%s: %v", p.Name, dbname, err)
	}
	return conn
}

// Exec runs sql on dbname.
func (p *Postgres) Exec(t testing.TB, dbname, sql string, args ...any) {
	t.Helper()
	conn := p.connect(t, dbname)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %s: %v", p.Name, sql, err)
	}
}

// QueryRow runs a one-row query on dbname and scans it into dest.
func (p *Postgres) QueryRow(t testing.TB, dbname, sql string, args []any, dest ...any) {
	t.Helper()
	conn := p.connect(t, dbname)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := conn.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %s: %v", p.Name, sql, err)
	}
}

// Standby makes a streaming hot standby of p as an operator would —
// `pg_basebackup -R` (which writes primary_conninfo and standby.signal) —
// and starts it. The standby announces itself to the primary as
// applicationName (through cluster_name), the name synchronous_standby_names
// refers to.
func (p *Postgres) Standby(t testing.TB, name, applicationName string) *Postgres {
	t.Helper()
	dir := filepath.Join(privateDir(t, "pixelpals-deploy-"), name)
	ownedDir(t, dir)
	runPG(t, "pg_basebackup", "-D", dir, "-R", "-X", "stream", "-c", "fast", "-h", p.Dir(), "-p", "5432", "-U", "postgres")
	// pgembed keeps the socket and the log in the data directory, so the
	// copy holds the primary's socket lock file and log: not ours.
	for _, name := range []string{".s.PGSQL.5432.lock", "server.log"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "cluster_name = '%s'\n", applicationName)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return startCluster(t, name, dir, true)
}

// Crash stops the server the hard way (`pg_ctl stop -m immediate`: no
// checkpoint, no goodbye to clients or standbys), as a power cut would
// leave it, short of losing the disk.
func (p *Postgres) Crash(t testing.TB) {
	t.Helper()
	runPG(t, "pg_ctl", "stop", "-w", "-t", "60", "-m", "immediate", "-D", p.Dir())
}

// Promote turns a standby into a primary and waits until it accepts writes.
func (p *Postgres) Promote(t testing.TB) {
	t.Helper()
	var ok bool
	p.QueryRow(t, "postgres", "SELECT pg_promote(true, 120)", nil, &ok)
	if !ok {
		t.Fatalf("%s: pg_promote did not finish", p.Name)
	}
}

// WaitSyncStandby waits until the primary streams to a standby named
// applicationName with the given sync_state ("sync" or "async").
func (p *Postgres) WaitSyncStandby(t testing.TB, applicationName, state string) {
	t.Helper()
	conn := p.connect(t, "postgres")
	defer conn.Close(context.Background())
	var got string
	waitFor(t, 2*time.Minute, fmt.Sprintf("standby %s streaming as %s", applicationName, state), func() bool {
		got = ""
		err := conn.QueryRow(context.Background(),
			`SELECT coalesce(max(sync_state), '') FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
			applicationName).Scan(&got)
		return err == nil && got == state
	}, func() string { return "sync_state=" + got })
}

// WaitReplayed waits until a standby has replayed all the WAL it has
// received and flushed, which is what a promotion would replay first.
func (p *Postgres) WaitReplayed(t testing.TB) {
	t.Helper()
	conn := p.connect(t, "postgres")
	defer conn.Close(context.Background())
	var replayed bool
	waitFor(t, 2*time.Minute, p.Name+" to replay the WAL it received", func() bool {
		err := conn.QueryRow(context.Background(),
			`SELECT pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn()`).Scan(&replayed)
		return err == nil && replayed
	}, func() string { return "not yet" })
}
