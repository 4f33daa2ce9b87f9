package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/cli"
	"pixelpals/internal/pgtest"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(subprocessArgs); args != "" {
		runAsCommand(args) // a test started this binary as pixelpals
	}
	pgtest.Main(m)
}

// instance is one `pixelpals serve` running in this process.
type instance struct {
	cancel context.CancelFunc
	done   chan int
	logs   *apitest.Buffer
}

func serve(t *testing.T, env map[string]string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{cancel: cancel, done: make(chan int, 1), logs: &apitest.Buffer{}}
	go func() {
		in.done <- cli.Main(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, cli.Env{
			Stdin: strings.NewReader(""), Stdout: in.logs, Stderr: in.logs,
			Getenv: func(k string) string { return env[k] },
		})
	}()
	t.Cleanup(func() { in.stop(t) })
	return in
}

// addr waits for the instance's "listening" log line.
func (in *instance) addr(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(in.logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "pixelpals listening" {
				return rec.Addr
			}
		}
		select {
		case code := <-in.done:
			in.done <- code
			t.Fatalf("serve exited with %d:\n%s", code, in.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not come up:\n%s", in.logs)
	return ""
}

func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.cancel()
	if code := <-in.done; code != 0 {
		t.Errorf("serve exited with %d:\n%s", code, in.logs)
	}
	in.done <- 0
}

func ready(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
}

// TestTwoInstancesStartTogether starts two servers against one empty
// database at once: both come up and the schema is applied once.
func TestTwoInstancesStartTogether(t *testing.T) {
	url := pgtest.EmptyURL(t)
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keyLine(t, 1)}
	a, b := serve(t, env), serve(t, env)
	ready(t, a.addr(t))
	ready(t, b.addr(t))

	db := pgtest.Open(t, url)
	var applied, distinct int
	if err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied == 0 || applied != distinct {
		t.Fatalf("%d migrations recorded, %d distinct", applied, distinct)
	}
}

// TestEmbeddedDefault runs serve with no DATABASE_URL: it creates a cluster
// in the data directory, stops it on exit, and the next start reuses it.
func TestEmbeddedDefault(t *testing.T) {
	dir, err := os.MkdirTemp("", "cli-embedded-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	env := map[string]string{"PIXELPALS_DATA_DIR": dir}

	first := serve(t, env)
	ready(t, first.addr(t))
	first.stop(t)
	if !strings.Contains(first.logs.String(), `"new":true`) {
		t.Fatalf("first start did not create a cluster:\n%s", first.logs)
	}
	if _, err := os.Stat(dir + "/postgres/postmaster.pid"); !os.IsNotExist(err) {
		t.Fatalf("cluster still running after serve exited (postmaster.pid: %v)", err)
	}

	second := serve(t, env)
	addr := second.addr(t)
	ready(t, addr)
	// The API is wired in: a parent can sign up on the embedded database.
	resp, err := http.Post("http://"+addr+"/api/v1/auth/signup", "application/json",
		strings.NewReader(`{"email":"e2e@example.com","password":"long-enough","display_name":"E2E"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("signup on the embedded default: %d", resp.StatusCode)
	}
	if !strings.Contains(second.logs.String(), `"new":false`) {
		t.Fatalf("second start did not reuse the cluster:\n%s", second.logs)
	}
	if !strings.Contains(second.logs.String(), `"msg":"migrations applied","count":0`) {
		t.Fatalf("second start applied migrations again:\n%s", second.logs)
	}
	second.stop(t)

	// The embedded default generated its vault key on the first start,
	// private to its owner, and the second start reused it.
	keyFile := filepath.Join(dir, "vault.keys")
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("vault.keys has mode %04o, want 0600", info.Mode().Perm())
	}
	for _, in := range []*instance{first, second} {
		if !strings.Contains(in.logs.String(), `"msg":"vault keys loaded","source":"`+keyFile+`","ring":{"versions":[1],"newest":1}`) {
			t.Fatalf("key file not loaded:\n%s", in.logs)
		}
	}
	key, _ := os.ReadFile(keyFile)
	for _, line := range strings.Split(string(key), "\n") {
		if _, secret, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") && strings.Contains(first.logs.String()+second.logs.String(), secret) {
			t.Fatal("the key was logged")
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	env := cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if code := cli.Main(context.Background(), []string{"version"}, env); code != 0 || !strings.HasPrefix(out.String(), "pixelpals ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := cli.Main(context.Background(), []string{"frobnicate"}, env); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

// TestAdminCreate bootstraps an admin with the password on standard input,
// never on the command line.
func TestAdminCreate(t *testing.T) {
	url := pgtest.URL(t)
	run := func(stdin string, args ...string) (int, string) {
		var out bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"admin", "create"}, args...), cli.Env{
			Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out,
			Getenv: func(k string) string { return map[string]string{"DATABASE_URL": url}[k] },
		})
		return code, out.String()
	}
	if code, out := run("a-strong-password\n", "--email", "Root@Example.com"); code != 0 || !strings.Contains(out, "created admin root@example.com") {
		t.Fatalf("admin create: %d %s", code, out)
	}
	if strings.Contains(func() string { _, o := run("a-strong-password\n", "--email", "root@example.com"); return o }(), "a-strong-password") {
		t.Fatal("the password was echoed")
	}
	if code, _ := run("short\n", "--email", "other@example.com"); code == 0 {
		t.Fatal("a short password was accepted")
	}
	if code, _ := run("a-strong-password\n", "--email", "not-an-email"); code != 2 {
		t.Fatalf("bad email: exit %d", code)
	}
	db := pgtest.Open(t, url)
	var role string
	var approved bool
	if err := db.Pool.QueryRow(context.Background(), `SELECT role, approved_by_admin FROM users WHERE email = 'root@example.com'`).Scan(&role, &approved); err != nil {
		t.Fatal(err)
	}
	if role != "ADMIN" || !approved {
		t.Fatalf("created %s approved=%v", role, approved)
	}
}

// TestAdminCreateNeedsVisibleName: --name is checked as every display name
// is (issue 19): invisible or disguising text is a usage error naming
// --name that creates nobody; a real name in any script is kept (NFC).
func TestAdminCreateNeedsVisibleName(t *testing.T) {
	url := pgtest.URL(t)
	run := func(email, name string) (int, string) {
		var out bytes.Buffer
		code := cli.Main(context.Background(), []string{"admin", "create", "--email", email, "--name", name}, cli.Env{
			Stdin: strings.NewReader("a-strong-password\n"), Stdout: &out, Stderr: &out,
			Getenv: func(k string) string { return map[string]string{"DATABASE_URL": url}[k] },
		})
		return code, out.String()
	}
	for i, name := range []string{"\u200b\u200b", "\ufeff", "\u3164", "Ops\U000E0041", "abc\u202edef", "Bo\u0007b", "   "} {
		if code, out := run(fmt.Sprintf("bad%d@example.com", i), name); code != 2 || !strings.Contains(out, "--name") {
			t.Errorf("--name %+q: exit %d, %s; want 2 naming --name", name, code, out)
		}
	}
	if code, out := run("ops@example.com", "  Zoe\u0301 👩\u200d💻 "); code != 0 {
		t.Fatalf("a real name: exit %d, %s", code, out)
	}
	db := pgtest.Open(t, url)
	var admins int
	var name string
	if err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*), max(display_name) FROM users JOIN profiles ON profiles.user_id = users.id WHERE role = 'ADMIN'`).Scan(&admins, &name); err != nil {
		t.Fatal(err)
	}
	if admins != 1 || name != "Zo\u00e9 👩\u200d💻" {
		t.Fatalf("%d admins, named %+q; want only the one with a real name", admins, name)
	}
}
