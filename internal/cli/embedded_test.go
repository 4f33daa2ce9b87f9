package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/cli"
	"pixelpals/internal/pgtest"
)

// embeddedDataDir is a fresh data directory the postgres user can reach
// when the tests run as root (t.TempDir's parent is closed to it).
func embeddedDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cli-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serveProcess is `pixelpals serve` as a separate process.
type serveProcess struct {
	cmd  *exec.Cmd
	logs *apitest.Buffer
	addr string
}

// startServeProcess runs this test binary as `pixelpals serve` with env
// (and nothing of DATABASE_URL) and waits until it listens.
func startServeProcess(t *testing.T, env map[string]string) *serveProcess {
	t.Helper()
	args, _ := json.Marshal([]string{"serve", "--addr", "127.0.0.1:0"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "PIXELPALS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, subprocessArgs+"="+string(args))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &serveProcess{cmd: cmd, logs: &apitest.Buffer{}}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "pixelpals listening" {
				found <- rec.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case p.addr = <-found:
	case <-time.After(90 * time.Second):
		t.Fatalf("serve did not come up:\n%s", p.logs)
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("serve exited: %v\n%s", err, p.logs)
	}
}

func runWithStdin(env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
	})
	return code, out.String(), errOut.String()
}

func clusterRunning(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, "postgres", "postmaster.pid"))
	return err == nil
}

// TestCommandsBesideServe is issue 14.1 and 14.2 on the embedded default:
// a command on an empty data directory says it created a new, empty
// cluster, and stops the cluster it started; commands run while `serve`
// (another process) uses the cluster — alone and two at once — leave it
// running, and the admin one of them creates logs in through that server.
func TestCommandsBesideServe(t *testing.T) {
	dataDir := embeddedDataDir(t)
	env := map[string]string{"PIXELPALS_DATA_DIR": dataDir}

	code, out, errOut := runWithStdin(env, "", "migrate", "status")
	if code != 0 {
		t.Fatalf("migrate status on an empty data dir: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "pixelpals: data directory "+dataDir+" held no database: created a NEW, EMPTY one there") {
		t.Fatalf("a new cluster was not announced on stderr:\n%s", errOut)
	}
	if clusterRunning(dataDir) {
		t.Fatal("the command left running the cluster it started")
	}

	// Two commands started together on the stopped cluster: one starts
	// it, the other uses it, and the last to leave stops it.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, e string
			codes[i], o, e = runWithStdin(env, "", "migrate", "status")
			outs[i] = o + e
		}()
	}
	wg.Wait()
	for i := range codes {
		if codes[i] != 0 || !strings.Contains(outs[i], "00001") {
			t.Fatalf("migrate status %d of two started together: %d\n%s", i, codes[i], outs[i])
		}
	}
	if clusterRunning(dataDir) {
		t.Fatal("two commands started together left the cluster running")
	}

	srv := startServeProcess(t, env)
	base := "http://" + srv.addr
	ready(t, srv.addr)

	code, out, errOut = runWithStdin(env, "admin-password\n", "admin", "create", "--email", "ops@example.com")
	if code != 0 {
		t.Fatalf("admin create beside serve: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "pixelpals: using the embedded database in "+dataDir+" (already running; left running)") {
		t.Fatalf("the data directory was not named on stderr:\n%s", errOut)
	}
	ready(t, srv.addr)
	admin := (&client{t: t, base: base}).login("ops@example.com", "admin-password")
	admin.call("GET", "/admin/users", nil, 200, nil)

	// Two commands at once, beside serve.
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, e string
			codes[i], o, e = runWithStdin(env, "", "migrate", "status")
			outs[i] = o + e
		}()
	}
	wg.Wait()
	for i := range codes {
		if codes[i] != 0 || !strings.Contains(outs[i], "applied") {
			t.Fatalf("concurrent migrate status %d: %d\n%s", i, codes[i], outs[i])
		}
	}
	ready(t, srv.addr)
	admin.call("GET", "/admin/users", nil, 200, nil)

	// db report beside serve: pg_stat_statements is loaded and has seen
	// the service's statements (the migrations' DDL is the slowest; which
	// table's CREATE comes first varies with the machine).
	code, out, errOut = runWithStdin(env, "", "db", "report")
	if code != 0 {
		t.Fatalf("db report: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"== database pixelpals", "cache hit ratio:", "== tables", "public.messages", "last autovacuum",
		"== indexes never scanned", "== slowest statements", "mean ms", "CREATE TABLE "} {
		if !strings.Contains(out, want) {
			t.Errorf("db report lacks %q:\n%s", want, out)
		}
	}

	// A backup over the embedded cluster's socket, beside serve.
	archive := filepath.Join(t.TempDir(), "embedded.dump")
	if code, out, errOut := runWithStdin(env, "", "backup", "--out", archive); code != 0 || !strings.Contains(out, "backup OK") ||
		!strings.Contains(out, filepath.Join(dataDir, "vault.keys")) {
		t.Fatalf("backup of the embedded default: %d\n%s\n%s", code, out, errOut)
	}
	ready(t, srv.addr)

	// serve runs the retention purge at start and counts it.
	waitForMetric(t, base, `pixelpals_retention_runs_total{result="ok"} 1`)

	// serve, the cluster's last user, stops it.
	srv.stop(t)
	if clusterRunning(dataDir) {
		t.Fatalf("the cluster still runs after its last user exited:\n%s", srv.logs)
	}
}

// TestPurgeCommand runs the retention purge once against a database
// holding a message deleted 40 days ago.
func TestPurgeCommand(t *testing.T) {
	url := pgtest.URL(t)
	db := pgtest.Open(t, url)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ('k@example.com', '!', 'CHILD') RETURNING id),
		     c AS (INSERT INTO conversations (created_by) SELECT id FROM u RETURNING id, created_by)
		INSERT INTO messages (conversation_id, sender_id, type, content, deleted_at)
		SELECT id, created_by, 'text', 'gone soon', CURRENT_TIMESTAMP - interval '40 days' FROM c`); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": url}
	code, out, errOut := run(env, "purge", "--retention-days", "30")
	if code != 0 || !strings.Contains(out, "deleted_message_content   1") || !strings.Contains(out, "retention 30 days") {
		t.Fatalf("purge: %d\n%s\n%s", code, out, errOut)
	}
	var left int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE content IS NOT NULL`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d message(s) still hold content", left)
	}
	if code, _, errOut := run(env, "purge", "--retention-days", "0"); code == 0 || !strings.Contains(errOut, "retention days") {
		t.Fatalf("retention 0 accepted: %d %s", code, errOut)
	}
}

// waitForMetric polls /metrics until it holds line.
func waitForMetric(t *testing.T, base, line string) {
	t.Helper()
	var body []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), line+"\n") {
			return
		}
	}
	t.Fatalf("/metrics never held %s:\n%s", line, body)
}

// TestDBReportWithoutStatements: on a server without pg_stat_statements
// the report says how to get it.
func TestDBReportWithoutStatements(t *testing.T) {
	code, out, errOut := run(map[string]string{"DATABASE_URL": pgtest.URL(t)}, "db", "report")
	if code != 0 || !strings.Contains(out, "== tables") || !strings.Contains(out, "pg_stat_statements is not loaded") {
		t.Fatalf("db report: %d\n%s\n%s", code, out, errOut)
	}
}

// TestCommandsStartTogetherOnFreshDataDir: two commands started at once on
// a data directory that holds nothing yet both succeed: one creates the
// cluster, and creating its database and extension races harmlessly.
func TestCommandsStartTogetherOnFreshDataDir(t *testing.T) {
	for round := 0; round < 2; round++ {
		env := map[string]string{"PIXELPALS_DATA_DIR": embeddedDataDir(t)}
		type result struct {
			code        int
			out, errOut string
		}
		results := make(chan result, 2)
		for range 2 {
			go func() {
				code, out, errOut := run(env, "migrate", "status")
				results <- result{code, out, errOut}
			}()
		}
		for range 2 {
			if r := <-results; r.code != 0 {
				t.Fatalf("round %d: migrate status beside another on a fresh data dir: %d\n%s\n%s", round, r.code, r.out, r.errOut)
			}
		}
		if clusterRunning(env["PIXELPALS_DATA_DIR"]) {
			t.Fatalf("round %d: the cluster still runs after both commands exited", round)
		}
	}
}
