// Package pgembed runs a private PostgreSQL cluster from the server binaries
// installed on the machine. It backs the embedded default of `pixelpals
// serve` (no DATABASE_URL) and the throwaway clusters of the test suite.
//
// The cluster listens only on a unix socket inside its own directory, so it
// takes no TCP port and only its owner (and root) can reach it; that is why
// local connections use trust authentication. initdb refuses to run as root,
// so when we are root every PostgreSQL process runs as the `postgres` user.
package pgembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries can be found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found: install them with `apt-get install postgresql` " +
	"(or run scripts/setup), set PIXELPALS_PG_BINDIR, or set DATABASE_URL to use an existing server")

// Options tune a cluster.
type Options struct {
	// BinDir holds initdb, pg_ctl and postgres (PIXELPALS_PG_BINDIR);
	// empty means FindBinDir.
	BinDir string
	// Durable=false turns off fsync and friends: right for throwaway test
	// clusters, wrong for anything that holds real data.
	Durable bool
}

// Cluster is one PostgreSQL data directory managed by this process.
type Cluster struct {
	dir    string // PGDATA; also holds the unix socket
	binDir string
	opts   Options
	cred   *syscall.Credential // set when running as root
}

// New prepares a cluster in dir (created if missing). It does not start it.
func New(dir string, opts Options) (*Cluster, error) {
	binDir := opts.BinDir
	if binDir == "" {
		var err error
		if binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	} else if !hasServerBinaries(binDir) {
		return nil, fmt.Errorf("%s: %w", binDir, ErrNoBinaries)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster directory %q: %w", dir, err)
	}
	// The socket path must fit in sockaddr_un (107 bytes) with its file name.
	if len(abs) > 90 {
		return nil, fmt.Errorf("cluster directory %q is too long for a unix socket path; choose a shorter data directory", abs)
	}
	c := &Cluster{dir: abs, binDir: binDir, opts: opts}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresCredential(); err != nil {
			return nil, err
		}
		if err := c.reachable(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// reachable checks that the postgres user can traverse every existing
// directory above the cluster's: initdb's own "Permission denied" does not
// say which one, or what to do.
func (c *Cluster) reachable() error {
	for dir := filepath.Dir(c.dir); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err == nil {
			st, ok := fi.Sys().(*syscall.Stat_t)
			ownedByPostgres := ok && st.Uid == c.cred.Uid
			groupOfPostgres := ok && st.Gid == c.cred.Gid && fi.Mode().Perm()&0o010 != 0
			if fi.Mode().Perm()&0o001 == 0 && !ownedByPostgres && !groupOfPostgres {
				return fmt.Errorf("the postgres user, which runs the embedded cluster when pixelpals runs as root, "+
					"cannot reach %s: %s is closed to other users; choose a data directory elsewhere "+
					"(PIXELPALS_DATA_DIR, e.g. /var/lib/pixelpals) or run chmod o+x %s", c.dir, dir, dir)
			}
		}
		if dir == "/" {
			return nil
		}
	}
}

// FindBinDir locates the PostgreSQL server binaries: `pg_config --bindir`,
// then the newest /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool { return pgMajor(versioned[i]) > pgMajor(versioned[j]) })
	candidates = append(candidates, versioned...)
	for _, d := range candidates {
		if hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the `postgres` user to own the embedded cluster (apt-get install postgresql creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Dir is the cluster's data directory, which also holds its socket.
func (c *Cluster) Dir() string { return c.dir }

// ConnString is a libpq/pgx connection string for database dbname.
func (c *Cluster) ConnString(dbname string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", c.dir, dbname)
}

// Initialized reports whether initdb has already run in the directory.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.dir, "PG_VERSION"))
	return err == nil
}

// Start creates the cluster on first use and starts it, waiting until it
// accepts connections. A server already running from this directory (left
// behind by a crash) is adopted.
func (c *Cluster) Start(ctx context.Context) error {
	if !c.Initialized() {
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	if c.Running(ctx) {
		return nil
	}
	if c.opts.Durable {
		if err := c.writeSettings(); err != nil {
			return err
		}
	}
	args := []string{"start", "-w", "-t", "60", "-D", c.dir, "-l", filepath.Join(c.dir, "server.log"),
		"-o", c.serverFlags()}
	if _, err := c.run(ctx, "pg_ctl", args...); err != nil {
		return fmt.Errorf("start PostgreSQL in %s (see server.log there): %w", c.dir, err)
	}
	return nil
}

// serverFlags keeps the cluster off TCP and, for throwaway clusters, trades
// durability for speed.
func (c *Cluster) serverFlags() string {
	flags := fmt.Sprintf("-c listen_addresses='' -k %s", c.dir)
	if !c.opts.Durable {
		flags += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	return flags
}

func (c *Cluster) initdb(ctx context.Context) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("create cluster directory: %w", err)
	}
	if err := c.own(c.dir); err != nil {
		return err
	}
	args := []string{"-D", c.dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if !c.opts.Durable {
		args = append(args, "--no-sync")
	}
	if _, err := c.run(ctx, "initdb", args...); err != nil {
		return fmt.Errorf("initdb in %s: %w", c.dir, err)
	}
	return nil
}

// own hands dir to the postgres user when we are root.
func (c *Cluster) own(dir string) error {
	if c.cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("hand %s to the postgres user: %w", dir, err)
	}
	return nil
}

// Running reports whether a server is running from this directory.
func (c *Cluster) Running(ctx context.Context) bool {
	_, err := c.run(ctx, "pg_ctl", "status", "-D", c.dir)
	return err == nil
}

// Stop shuts the server down, rolling back open transactions ("fast" mode),
// and waits for it to exit.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Running(ctx) {
		return nil
	}
	if _, err := c.run(ctx, "pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", c.dir); err != nil {
		return fmt.Errorf("stop PostgreSQL in %s: %w", c.dir, err)
	}
	return nil
}

// run executes one of the cluster's binaries, as the postgres user when we
// are root, and returns its output; a failure carries the output's tail.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	// Our working directory may be unreadable to the postgres user.
	cmd.Dir = "/"
	cmd.Env = ToolEnv()
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %w: %s", name, err, Tail(out.String(), 600))
	}
	return out.Bytes(), nil
}

// ToolEnv is the whole environment PostgreSQL's programs get: the
// postmaster keeps the environment it starts with, and a superuser can
// read it back (pg_read_binary_file('/proc/<pid>/environ')), so our own
// secrets (PIXELPALS_VAULT_KEYS, DATABASE_URL) must never be in it. It
// holds PATH, LC_ALL=C and, when set, TZ and HOME (libpq looks for
// ~/.postgresql certificates there).
func ToolEnv() []string {
	env := []string{"LC_ALL=C", "PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"TZ", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Tail is the last n bytes of s, trimmed, for an error message.
func Tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// PrepareParent makes sure the postgres user can reach a cluster directory
// created below parent: when we are root, parent is created traversable
// (0711) but not listable by others.
func PrepareParent(parent string) error {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	if os.Geteuid() != 0 {
		return nil
	}
	if err := os.Chmod(parent, 0o711); err != nil {
		return fmt.Errorf("make %s traversable for the postgres user: %w", parent, err)
	}
	return nil
}
