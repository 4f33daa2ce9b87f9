package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"pixelpals/internal/cli"
	"pixelpals/internal/domain"
	"pixelpals/internal/keeper"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// subprocessArgs, when set, makes the test binary run as the pixelpals
// command with these JSON-encoded arguments, so that a test can kill it.
const subprocessArgs = "PIXELPALS_CLI_TEST_ARGS"

func runAsCommand(argsJSON string) {
	var args []string
	if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// As cmd/pixelpals does: SIGTERM ends the command cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Main(ctx, args, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}

func keyLine(t *testing.T, version uint32) string {
	t.Helper()
	line, err := vault.GenerateKeyLine(version)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// run runs one command in this process and returns its exit status and
// what it wrote to stdout and stderr.
func run(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
	})
	return code, out.String(), errOut.String()
}

// TestServeRefusesBadKeys: outside the embedded default, serve refuses to
// start without a valid key ring, with one clear line that never repeats
// the key text.
func TestServeRefusesBadKeys(t *testing.T) {
	url := pgtest.URL(t)
	good := keyLine(t, 1)
	_, goodSecret, _ := strings.Cut(good, ":")
	short := "1:" + base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	zero := "1:" + base64.StdEncoding.EncodeToString(make([]byte, 32))
	dir := t.TempDir()
	looseFile := filepath.Join(dir, "loose.keys")
	os.WriteFile(looseFile, []byte(good+"\n"), 0o644)
	os.Chmod(looseFile, 0o644)
	emptyFile := filepath.Join(dir, "empty.keys")
	os.WriteFile(emptyFile, []byte("# nothing yet\n"), 0o600)

	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing", map[string]string{}, "no vault keys"},
		{"empty", map[string]string{"PIXELPALS_VAULT_KEYS": " , "}, "empty"},
		{"short", map[string]string{"PIXELPALS_VAULT_KEYS": short}, "must decode to 32 bytes, got 16"},
		{"all zeros", map[string]string{"PIXELPALS_VAULT_KEYS": zero}, "all zeros"},
		{"not base64", map[string]string{"PIXELPALS_VAULT_KEYS": "1:" + goodSecret[:20] + "!!!"}, "not valid standard base64"},
		{"no version", map[string]string{"PIXELPALS_VAULT_KEYS": goodSecret}, "malformed"},
		{"version zero", map[string]string{"PIXELPALS_VAULT_KEYS": "0:" + goodSecret}, "positive integer"},
		{"duplicated version", map[string]string{"PIXELPALS_VAULT_KEYS": good + "," + strings.Replace(keyLine(t, 2), "2:", "1:", 1)}, "duplicate key version 1"},
		{"duplicated key", map[string]string{"PIXELPALS_VAULT_KEYS": good + ",2:" + goodSecret}, "identical key bytes"},
		{"both env and file", map[string]string{"PIXELPALS_VAULT_KEYS": good, "PIXELPALS_VAULT_KEYS_FILE": emptyFile}, "not both"},
		{"missing file", map[string]string{"PIXELPALS_VAULT_KEYS_FILE": filepath.Join(dir, "nope")}, "no such file"},
		{"empty file", map[string]string{"PIXELPALS_VAULT_KEYS_FILE": emptyFile}, "empty"},
		{"file readable by others", map[string]string{"PIXELPALS_VAULT_KEYS_FILE": looseFile}, "chmod 600"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["DATABASE_URL"] = url
			code, stdout, stderr := run(tc.env, "serve", "--addr", "127.0.0.1:0")
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "pixelpals serve: ") || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("stderr %q, want one line saying %q", stderr, tc.want)
			}
			if strings.Contains(stdout+stderr, goodSecret[:16]) || strings.Contains(stdout+stderr, "AAAAAAAAAAAA") {
				t.Fatalf("key text in the output: %s", stderr)
			}
		})
	}
}

func TestKeysGenerate(t *testing.T) {
	code, out, _ := run(nil, "keys", "generate")
	if code != 0 || !strings.HasPrefix(out, "1:") {
		t.Fatalf("keys generate: %d %q", code, out)
	}
	code, out2, _ := run(nil, "keys", "generate", "--version", "7")
	if code != 0 || !strings.HasPrefix(out2, "7:") {
		t.Fatalf("keys generate --version 7: %d %q", code, out2)
	}
	r, err := vault.ParseRing(out + out2)
	if err != nil || r.Newest() != 7 {
		t.Fatalf("generated lines do not make a ring: %v %v", r, err)
	}
	for _, args := range [][]string{{"keys", "generate", "--version", "0"}, {"keys", "generate", "--version", "4294967296"}, {"keys"}, {"keys", "frob"}} {
		if code, _, _ := run(nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// rotationFixture is a database with an admin and n game logins of one
// child, sealed under key version 1.
type rotationFixture struct {
	url       string
	db        *store.DB
	env       map[string]string // PIXELPALS_VAULT_KEYS holds versions 1 and 2
	newOnly   *vault.Ring       // version 2 alone
	child     *domain.Actor
	ids       []int64
	passwords map[int64]string
}

func newRotationFixture(t *testing.T, n int) *rotationFixture {
	t.Helper()
	ctx := context.Background()
	f := &rotationFixture{url: pgtest.URL(t), passwords: map[int64]string{}}
	f.db = pgtest.Open(t, f.url)
	v1, v2 := keyLine(t, 1), keyLine(t, 2)
	f.env = map[string]string{"DATABASE_URL": f.url, "PIXELPALS_VAULT_KEYS": v1 + "," + v2}
	old, err := vault.ParseRing(v1)
	if err != nil {
		t.Fatal(err)
	}
	if f.newOnly, err = vault.ParseRing(v2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.CreateAdmin(ctx, nil, "ops@example.com", "!", "Ops"); err != nil {
		t.Fatal(err)
	}
	u, _, err := f.db.SignUpParent(ctx, "mum@example.com", "!", "Mum")
	if err != nil {
		t.Fatal(err)
	}
	parent := &domain.Actor{UserID: u.ID, Role: domain.RoleParent, Active: true}
	c, err := f.db.CreateChild(ctx, parent, "kiddo", "!", "Kiddo")
	if err != nil {
		t.Fatal(err)
	}
	f.child = &domain.Actor{UserID: c.User.ID, Role: domain.RoleChild, Active: true}
	k := keeper.New(f.db, old)
	for i := range n {
		pw := fmt.Sprintf("game-password-%03d", i)
		g, err := k.Create(ctx, parent, c.User.ID, keeper.NewGameCredential{GameName: "Game", Username: fmt.Sprintf("u%03d", i), Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, g.ID)
		f.passwords[g.ID] = pw
	}
	return f
}

// onVersion counts rows whose ciphertext names key version v.
func (f *rotationFixture) onVersion(t *testing.T, v uint32) int {
	t.Helper()
	var n int
	err := f.db.Pool.QueryRow(context.Background(), `
		SELECT count(*) FROM game_credentials WHERE substring(password_ciphertext FROM 1 FOR 4) = $1`,
		[]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// allOpenWithNewKeyOnly reveals every row with a ring holding only the new key.
func (f *rotationFixture) allOpenWithNewKeyOnly(t *testing.T, except ...int64) {
	t.Helper()
	k := keeper.New(f.db, f.newOnly)
	for id, want := range f.passwords {
		if len(except) > 0 && except[0] == id {
			continue
		}
		got, err := k.Reveal(context.Background(), f.child, id)
		if err != nil || got != want {
			t.Fatalf("row %d with only the new key: %q, %v", id, got, err)
		}
	}
}

func TestKeysRotate(t *testing.T) {
	f := newRotationFixture(t, 7)
	ctx := context.Background()

	code, out, stderr := run(f.env, "keys", "rotate", "--actor", "mum@example.com")
	if code != 1 || !strings.Contains(stderr, "not an active admin") || f.onVersion(t, 2) != 0 {
		t.Fatalf("rotation by a parent: %d %s %s", code, out, stderr)
	}
	if code, _, _ := run(f.env, "keys", "rotate"); code != 2 {
		t.Fatalf("rotation without --actor: exit %d", code)
	}

	// One row that cannot be opened: reported by id, left alone, exit 1.
	bad := f.ids[3]
	if _, err := f.db.Pool.Exec(ctx, `UPDATE game_credentials SET game_name = 'Moved' WHERE id = $1`, bad); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run(f.env, "keys", "rotate", "--actor", "OPS@example.com", "--batch", "2")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"key version 2: 6 rotated, 0 already current, 1 failed, 1 remaining",
		fmt.Sprintf("failed: game credential %d: vault: decryption failed (key version 1)", bad),
		"progress: 2 rotated, 0 failed",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "1 row(s) could not be opened") {
		t.Fatalf("stderr: %s", stderr)
	}
	f.allOpenWithNewKeyOnly(t, bad)

	// Repaired, the rerun finishes: exit 0, nothing left.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE game_credentials SET game_name = 'Game' WHERE id = $1`, bad); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run(f.env, "keys", "rotate", "--actor", "ops@example.com")
	if code != 0 || !strings.Contains(out, "key version 2: 1 rotated, 6 already current, 0 failed, 0 remaining") {
		t.Fatalf("rerun: %d\n%s\n%s", code, out, stderr)
	}
	f.allOpenWithNewKeyOnly(t)

	_, secret, _ := strings.Cut(f.env["PIXELPALS_VAULT_KEYS"], ":")
	if strings.Contains(out+stderr, secret[:16]) {
		t.Fatal("a key was printed")
	}
}

// TestKeysRotateKilled kills a real `pixelpals keys rotate` process in the
// middle of a batch, then reruns it: nothing is lost, every row ends on the
// new key, and none needs the old one.
func TestKeysRotateKilled(t *testing.T) {
	f := newRotationFixture(t, 40)
	ctx := context.Background()

	// Hold row 21 so that the fifth batch (rows 21-25) blocks on it: the
	// process is then certainly mid-run, with four batches committed and a
	// fifth open, when it is killed.
	hold, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `SELECT 1 FROM game_credentials WHERE id = $1 FOR UPDATE`, f.ids[20]); err != nil {
		t.Fatal(err)
	}

	args, _ := json.Marshal([]string{"keys", "rotate", "--actor", "ops@example.com", "--batch", "5"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), subprocessArgs+"="+string(args),
		"DATABASE_URL="+f.url, "PIXELPALS_VAULT_KEYS="+f.env["PIXELPALS_VAULT_KEYS"])
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	progress := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			progress <- sc.Text()
		}
		close(progress)
	}()
	waitForBlockedRotation(t, f.db, progress, &stderr)

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	hold.Rollback(ctx)

	if v1, v2 := f.onVersion(t, 1), f.onVersion(t, 2); v1 != 20 || v2 != 20 {
		t.Fatalf("after the kill: %d rows on v1, %d on v2; want 20 and 20", v1, v2)
	}
	code, out, errOut := run(f.env, "keys", "rotate", "--actor", "ops@example.com", "--batch", "5")
	if code != 0 || !strings.Contains(out, "key version 2: 20 rotated, 20 already current, 0 failed, 0 remaining") {
		t.Fatalf("rerun: %d\n%s\n%s", code, out, errOut)
	}
	if f.onVersion(t, 2) != 40 {
		t.Fatal("not every row is on the new key")
	}
	f.allOpenWithNewKeyOnly(t)
}

// waitForBlockedRotation waits until the rotation has reported a batch and
// its connection is waiting for a row lock.
func waitForBlockedRotation(t *testing.T, db *store.DB, progress <-chan string, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	batches := 0
	for time.Now().Before(deadline) {
		select {
		case line, ok := <-progress:
			if !ok {
				t.Fatalf("rotation exited early after %d batches: %s", batches, stderr.String())
			}
			if strings.HasPrefix(line, "progress:") {
				batches++
			}
			continue
		case <-time.After(20 * time.Millisecond):
		}
		var waiting int
		err := db.Pool.QueryRow(context.Background(), `
			SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'pixelpals' AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 && batches == 4 {
			return
		}
	}
	t.Fatalf("rotation did not block on the held row (%d batches seen): %s", batches, stderr.String())
}

// TestServeRefreshesLeakPrints: leak-guard fingerprints kept before
// migration 00014 are written again by serve at start, before it listens,
// with no rotation run: a reversed password is then found, with the
// fingerprint under the newest key.
func TestServeRefreshesLeakPrints(t *testing.T) {
	f := newRotationFixture(t, 3)
	ctx := context.Background()
	if _, err := f.db.Pool.Exec(ctx, `UPDATE leak_fingerprints SET norm_version = 1, fp_rev = NULL`); err != nil {
		t.Fatal(err)
	}
	in := serve(t, f.env)
	in.addr(t)
	var n int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM leak_fingerprints WHERE norm_version = 2 AND key_version = 2`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d fingerprints refreshed under the newest key, want 3 (%v)\n%s", n, err, in.logs)
	}
	k := keeper.New(f.db, f.newOnly)
	for id, pw := range f.passwords {
		r := []rune(pw)
		slices.Reverse(r)
		if hit, err := k.CheckLeak(ctx, f.child, string(r)); err != nil || hit == nil || hit.CredentialID != id {
			t.Fatalf("login %d reversed: %+v, %v", id, hit, err)
		}
	}
	if !strings.Contains(in.logs.String(), `"msg":"leak guard fingerprints refreshed","refreshed":3`) {
		t.Fatalf("no log of the refresh:\n%s", in.logs)
	}
}
