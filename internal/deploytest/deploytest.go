// Package deploytest runs Pixel Pals the way an operator deploys it, for
// tests and benchmarks: the real `pixelpals` binary built from
// ./cmd/pixelpals as subprocesses, durable PostgreSQL clusters with
// streaming standbys, the real PgBouncer and the real haproxy from the
// machine's packages. Everything listens on 127.0.0.1 (ports chosen free)
// or on unix sockets in private directories, and is stopped when the test
// ends.
//
// Nothing here skips: a missing pgbouncer or haproxy fails the test with
// the command that installs it (scripts/setup --tests does).
package deploytest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	"pixelpals/internal/vault"
)

// Main builds nothing up front; it runs the tests and then removes the
// binary Binary built, if any. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// Binary returns the path of the `pixelpals` binary, built from
// ./cmd/pixelpals once per test binary.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pixelpals-bin-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "pixelpals")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", buildBin, "pixelpals/cmd/pixelpals").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/pixelpals: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// need fails the test when a program is missing, saying how to install it.
func need(t testing.TB, program, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if p := filepath.Join(dir, program); isExecutable(p) {
				return p
			}
		}
		t.Fatalf("%s is not installed: run scripts/setup --tests, or as root: apt-get install -y %s", program, pkg)
	}
	return path
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

// listening is a waitFor condition: true once something accepts TCP at
// addr (up is then set), or once p exited (up stays false).
func listening(p *Process, addr string, up *bool) func() bool {
	return func() bool {
		if p.Exited() {
			return true
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			*up = true
		}
		return *up
	}
}

// Process is a subprocess stopped when its test ends.
type Process struct {
	Name   string
	Output *apitest.Buffer
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // valid once exited is closed
}

// start runs cmd with its output collected, stopping it (SIGTERM, then
// SIGKILL after 30 seconds) when t ends.
func start(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{Name: name, Output: &apitest.Buffer{}, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Output, p.Output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.Stop(t) })
	return p
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Stop ends the process gracefully (SIGTERM), killing it if it does not
// exit within 30 seconds. It fails t if the process could not be ended.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if p.Exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("%s did not stop on SIGTERM within 30s; killed", p.Name)
	}
}

// Hang stops the process (SIGSTOP) until Resume, as a wedged process
// looks from outside: its listening socket still accepts connections
// (the kernel completes them), but nothing answers. t's cleanup resumes
// it, so that Stop can end it gracefully.
func (p *Process) Hang(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stop %s: %v", p.Name, err)
	}
	t.Cleanup(func() { p.Resume(t) })
}

// Resume continues a process Hang stopped.
func (p *Process) Resume(t testing.TB) {
	t.Helper()
	if p.Exited() {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("continue %s: %v", p.Name, err)
	}
}

// ExitErr is the process's exit error, once it has exited.
func (p *Process) ExitErr() error {
	<-p.exited
	return p.err
}

// asPostgres makes cmd run as the postgres user when we are root, as the
// clusters do (PostgreSQL and PgBouncer refuse to run as root).
func asPostgres(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if cred := postgresCred(t); cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Dir = "/" // our working directory may be closed to the postgres user
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Callers that hand it to another program retry when it was taken since.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls ok every 50ms until it returns true or timeout passes, and
// fails t with what describes the state otherwise.
func waitFor(t testing.TB, timeout time.Duration, what string, ok func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s\n%s", timeout, what, describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// KeyLine makes a fresh key ring line for PIXELPALS_VAULT_KEYS.
func KeyLine(t testing.TB) string {
	t.Helper()
	line, err := vault.GenerateKeyLine(1)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// Server is one `pixelpals serve` subprocess.
type Server struct {
	*Process
	// Addr is the host:port it listens on.
	Addr string
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr }

// serveEnv is the environment of a pixelpals subprocess: ours without any
// Pixel Pals setting, plus env.
func serveEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PIXELPALS_") || k == "DATABASE_URL" {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// Serve starts `pixelpals serve` on a free port with env (DATABASE_URL,
// PIXELPALS_VAULT_KEYS, ...; PIXELPALS_DATA_DIR defaults to a temporary
// directory) and waits until it listens.
func Serve(t testing.TB, env map[string]string) *Server {
	t.Helper()
	s := StartServe(t, env)
	s.WaitListening(t)
	return s
}

// StartServe starts `pixelpals serve` without waiting for it.
func StartServe(t testing.TB, env map[string]string) *Server {
	t.Helper()
	e := map[string]string{"PIXELPALS_DATA_DIR": t.TempDir()}
	for k, v := range env {
		e[k] = v
	}
	cmd := exec.Command(Binary(t), "serve", "--addr", "127.0.0.1:0")
	cmd.Env = serveEnv(e)
	return &Server{Process: start(t, "pixelpals serve", cmd)}
}

// WaitListening waits (up to two minutes, for a loaded machine) for the
// server's "pixelpals listening" log line and records its address.
func (s *Server) WaitListening(t testing.TB) {
	t.Helper()
	waitFor(t, 2*time.Minute, "pixelpals serve to listen", func() bool {
		if s.Exited() {
			t.Fatalf("pixelpals serve exited (%v):\n%s", s.err, s.Output)
		}
		sc := bufio.NewScanner(strings.NewReader(s.Output.String()))
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "pixelpals listening" {
				s.Addr = rec.Addr
				return true
			}
		}
		return false
	}, s.Output.String)
}

// Ready reports whether the server's /readyz answers 200 (its database
// answers).
func (s *Server) Ready() bool {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(s.URL() + "/readyz")
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// CreateAdmin runs `pixelpals admin create` against databaseURL, with the
// password on standard input as an operator would.
func CreateAdmin(t testing.TB, databaseURL, email, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), "admin", "create", "--email", email)
	cmd.Env = serveEnv(map[string]string{"DATABASE_URL": databaseURL, "PIXELPALS_DATA_DIR": t.TempDir()})
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pixelpals admin create: %v\n%s", err, out)
	}
}
