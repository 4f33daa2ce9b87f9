package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
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
		if codes[i] != 0 || !strings.Contains(outs[i], "applied") {
			t.Fatalf("concurrent migrate status %d: %d\n%s", i, codes[i], outs[i])
		}
	}
	ready(t, srv.addr)
	admin.call("GET", "/admin/users", nil, 200, nil)

	// serve, the cluster's last user, stops it.
	srv.stop(t)
	if clusterRunning(dataDir) {
		t.Fatalf("the cluster still runs after its last user exited:\n%s", srv.logs)
	}
}
