package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// world is what buildWorld made through the API.
type world struct {
	admin, parentA, childA, childB *client
	conv, cred                     int64
}

// buildWorld makes, through the API of the server at base: an admin (with
// the CLI), two approved families, an approved contact, a conversation
// with messages (one deleted by a parent), a report, a kept game login;
// the approvals and the deletion leave audit rows.
func buildWorld(t *testing.T, base string, env map[string]string) world {
	t.Helper()
	if code, out, errOut := runWithStdin(env, "admin-password\n", "admin", "create", "--email", "admin@example.com"); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, out, errOut)
	}
	anon := &client{t: t, base: base}
	w := world{admin: anon.login("admin@example.com", "admin-password")}
	family := func(n int) (parent, child *client, childID int64) {
		email := fmt.Sprintf("parent%d@example.com", n)
		var signup struct{ User idOnly }
		anon.call("POST", "/auth/signup", map[string]string{"email": email, "password": "parent-password", "display_name": "Parent"}, 201, &signup)
		w.admin.call("POST", fmt.Sprintf("/admin/users/%d/approve", signup.User.ID), nil, 200, nil)
		parent = anon.login(email, "parent-password")
		var kid struct{ User idOnly }
		parent.call("POST", "/children", map[string]string{"login": fmt.Sprintf("kid%d", n), "password": "kidpass", "display_name": "Kid"}, 201, &kid)
		return parent, anon.login(fmt.Sprintf("kid%d", n), "kidpass"), kid.User.ID
	}
	var aID, bID int64
	var pb *client
	w.parentA, w.childA, aID = family(1)
	pb, w.childB, bID = family(2)
	var fc struct {
		FriendCode string `json:"friend_code"`
	}
	w.childB.call("GET", "/me/friend-code", nil, 200, &fc)
	var link idOnly
	w.childA.call("POST", "/contacts", map[string]string{"friend_code": fc.FriendCode}, 201, &link)
	w.parentA.call("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, 200, nil)
	pb.call("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, 200, nil)
	var conv idOnly
	w.childA.call("POST", "/conversations", map[string]any{"member_ids": []int64{bID}, "is_group": false}, 201, &conv)
	w.conv = conv.ID
	var msg idOnly
	for i := 0; i < 5; i++ {
		w.childA.call("POST", fmt.Sprintf("/conversations/%d/messages", w.conv), map[string]string{"type": "text", "content": fmt.Sprintf("hello %d", i), "client_id": fmt.Sprintf("w%d", i)}, 201, &msg)
	}
	w.childB.call("POST", fmt.Sprintf("/messages/%d/report", msg.ID), map[string]string{"reason": "testing"}, 201, nil)
	w.parentA.call("DELETE", fmt.Sprintf("/messages/%d", msg.ID), nil, 204, nil)
	var cred idOnly
	w.parentA.call("POST", fmt.Sprintf("/children/%d/game-credentials", aID), map[string]string{"game_name": "Blocks", "username": "a_builder", "password": "hunter2!"}, 201, &cred)
	w.cred = cred.ID
	return w
}

// fingerprints are every user table's row count and a digest of all its
// rows, per table.
func fingerprints(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range tables {
		var n int64
		var digest string
		if err := db.Pool.QueryRow(ctx, fmt.Sprintf(
			`SELECT count(*), md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM %q t`, name)).Scan(&n, &digest); err != nil {
			t.Fatalf("fingerprint %s: %v", name, err)
		}
		out[name] = fmt.Sprintf("%d rows, md5 %s", n, digest)
	}
	return out
}

// TestBackupRestore: a world built through the API is backed up and
// restored into a fresh database, where every row of every table is back
// and, served with the same keys, the child reveals the game login. A
// non-empty target is refused unless --force; damaged archives are
// refused before the target is touched.
func TestBackupRestore(t *testing.T) {
	keys := keyLine(t, 1)
	srcURL := pgtest.URL(t)
	srcEnv := map[string]string{"DATABASE_URL": srcURL, "PIXELPALS_VAULT_KEYS": keys}
	src := serve(t, srcEnv)
	w := buildWorld(t, "http://"+src.addr(t), srcEnv)
	archive := filepath.Join(t.TempDir(), "pixelpals.dump")

	code, out, errOut := run(srcEnv, "backup", "--out", archive)
	if code != 0 || !strings.Contains(out, "backup OK: "+archive) || !strings.Contains(out, "the vault keys are NOT in the backup") {
		t.Fatalf("backup: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "public.messages") || !strings.Contains(out, "public.audit_logs") {
		t.Fatalf("backup does not list the tables' rows:\n%s", out)
	}
	// The archive holds password hashes and sealed game passwords: its
	// owner's only.
	if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive mode: %v %v, want 0600", fi.Mode().Perm(), err)
	}
	src.stop(t)

	dstURL := pgtest.EmptyURL(t)
	dstEnv := map[string]string{"DATABASE_URL": dstURL, "PIXELPALS_VAULT_KEYS": keys}
	code, out, errOut = run(dstEnv, "restore", "--in", archive)
	if code != 0 || !strings.Contains(out, "restore OK") || !strings.Contains(out, "the vault keys are NOT in the backup") {
		t.Fatalf("restore: %d\n%s\n%s", code, out, errOut)
	}
	// Restore refuses to run beside other sessions: close ours.
	srcDB, dstDB := pgtest.Open(t, srcURL), pgtest.Open(t, dstURL)
	want, got := fingerprints(t, srcDB), fingerprints(t, dstDB)
	dstDB.Close()
	if len(want) < 10 {
		t.Fatalf("only %d tables in the source: %v", len(want), want)
	}
	for name, fp := range want {
		if got[name] != fp {
			t.Errorf("table %s: restored %q, backed up %q", name, got[name], fp)
		}
	}
	if len(got) != len(want) {
		t.Errorf("restored %d tables, backed up %d", len(got), len(want))
	}

	// The restored service, with the same keys: the child's game login opens.
	dst := serve(t, dstEnv)
	base := "http://" + dst.addr(t)
	child := (&client{t: t, base: base}).login("kid1", "kidpass")
	var revealed struct{ Password string }
	child.call("POST", fmt.Sprintf("/game-credentials/%d/reveal", w.cred), nil, 200, &revealed)
	if revealed.Password != "hunter2!" {
		t.Fatalf("revealed %q after restore", revealed.Password)
	}
	dst.stop(t)

	// Not over data, unless forced; forced says what it drops.
	code, out, errOut = run(dstEnv, "restore", "--in", archive)
	if code == 0 || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, "public.messages") {
		t.Fatalf("restore over data: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(dstEnv, "restore", "--in", archive, "--force")
	if code != 0 || !strings.Contains(out, "--force: replacing schema public") || !strings.Contains(out, "restore OK") {
		t.Fatalf("restore --force: %d\n%s\n%s", code, out, errOut)
	}

	// Damaged archives: flipped bytes in the data, cut short, not an
	// archive at all. Each is refused clearly and the empty target stays empty.
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), raw...)
	for i := len(flipped) * 3 / 4; i < len(flipped)*3/4+64 && i < len(flipped); i++ {
		flipped[i] ^= 0x5a
	}
	// A definition is plain text in the archive, which only the restore
	// itself reads: damage there is refused too.
	badDefinition := append([]byte(nil), raw...)
	at := bytes.Index(badDefinition, []byte("CREATE TRIGGER "))
	if at < 0 {
		t.Fatal("no trigger definition in the archive")
	}
	copy(badDefinition[at+len("CREATE TRIGGER "):], ";;;")
	damaged := map[string][]byte{"flipped": flipped, "truncated": raw[:len(raw)/2], "garbage": []byte("not a dump\n"),
		"bad definition": badDefinition}
	emptyURL := pgtest.EmptyURL(t)
	for name, b := range damaged {
		file := filepath.Join(t.TempDir(), name+".dump")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(map[string]string{"DATABASE_URL": emptyURL}, "restore", "--in", file)
		if code == 0 || !strings.Contains(errOut, "restore refused, the database is untouched") ||
			!(strings.Contains(errOut, "is damaged") || strings.Contains(errOut, "not a readable pg_dump custom-format archive")) {
			t.Errorf("%s archive: %d\n%s\n%s", name, code, out, errOut)
		}
	}
	var tables int
	if err := pgtest.Open(t, emptyURL).Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("a refused restore left %d tables", tables)
	}
}

// TestBackupUnderSendLoad: children keep sending while the backup runs;
// the archive is one snapshot: backup's own check (every table's rows in
// the archive equal the database's in the dump's snapshot) passes, the
// restore's foreign keys hold, and the messages in it are between those
// acknowledged before the backup began and after it ended.
func TestBackupUnderSendLoad(t *testing.T) {
	keys := keyLine(t, 1)
	url := pgtest.URL(t)
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keys}
	srv := serve(t, env)
	w := buildWorld(t, "http://"+srv.addr(t), env)
	db := pgtest.Open(t, url)
	countMessages := func(db *store.DB) int64 {
		var n int64
		if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM messages`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	stop := make(chan struct{})
	var sent atomic.Int64
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for s, sender := range []*client{w.childA, w.childB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status, err := sender.post(fmt.Sprintf("/conversations/%d/messages", w.conv),
					map[string]string{"type": "text", "content": "load", "client_id": fmt.Sprintf("load-%d-%d", s, i)})
				switch {
				case err != nil:
					errs <- err
					return
				case status == 201:
					sent.Add(1)
				case status == 429: // the per-user send rate: wait a little
					time.Sleep(50 * time.Millisecond)
				default:
					errs <- fmt.Errorf("send: status %d", status)
					return
				}
			}
		}()
	}
	for sent.Load() < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	before := countMessages(db)
	archive := filepath.Join(t.TempDir(), "load.dump")
	code, out, errOut := run(env, "backup", "--out", archive)
	after := countMessages(db)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("backup under load: %d\n%s\n%s", code, out, errOut)
	}
	if after <= before {
		t.Fatalf("no message was sent during the backup (%d before, %d after)", before, after)
	}

	dstURL := pgtest.EmptyURL(t)
	code, out, errOut = run(map[string]string{"DATABASE_URL": dstURL}, "restore", "--in", archive)
	if code != 0 || !strings.Contains(out, "restore OK") {
		t.Fatalf("restore: %d\n%s\n%s", code, out, errOut)
	}
	if n := countMessages(pgtest.Open(t, dstURL)); n < before || n > after {
		t.Fatalf("archive holds %d messages; %d were acknowledged before the backup, %d after", n, before, after)
	}
}

// post sends one JSON POST and returns the status, without failing the
// test: for goroutines, which must not call t.Fatal.
func (c *client) post(path string, body any) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", c.base+"/api/v1"+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestRestoreForceRefusals: restore --force replaces schema public only,
// on the server the connection reached, never beside other sessions, and
// a restore that fails puts the previous public back.
func TestRestoreForceRefusals(t *testing.T) {
	ctx := context.Background()
	srcURL := pgtest.URL(t)
	src := pgtest.Open(t, srcURL)
	if _, err := src.Pool.Exec(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('restored@example.com', '!', 'PARENT')`); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "a.dump")
	if code, out, errOut := run(map[string]string{"DATABASE_URL": srcURL}, "backup", "--out", archive); code != 0 {
		t.Fatalf("backup: %d\n%s\n%s", code, out, errOut)
	}
	// An archive whose restore fails half-way on the targets below: its
	// schema "extra" exists there already.
	if _, err := src.Pool.Exec(ctx, `CREATE SCHEMA extra; CREATE TABLE extra.t (n int)`); err != nil {
		t.Fatal(err)
	}
	failing := filepath.Join(t.TempDir(), "failing.dump")
	if code, out, errOut := run(map[string]string{"DATABASE_URL": srcURL}, "backup", "--out", failing); code != 0 {
		t.Fatalf("backup: %d\n%s\n%s", code, out, errOut)
	}
	src.Close()

	// target is a migrated database holding one user of its own, with
	// setup run as well; returns its URL.
	target := func(setup string) string {
		url := pgtest.URL(t)
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Pool.Exec(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('kept@example.com', '!', 'PARENT')`); err != nil {
			t.Fatal(err)
		}
		if setup != "" {
			if _, err := db.Pool.Exec(ctx, setup); err != nil {
				t.Fatal(err)
			}
		}
		return url
	}
	// emails are the users in url's schema public.
	emails := func(url string) string {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var s string
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce(string_agg(email::text, ',' ORDER BY email), '') FROM public.users`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Tables outside public: refused before anything is dropped, naming them.
	url := target(`CREATE SCHEMA reporting; CREATE TABLE reporting.daily (d date)`)
	code, out, errOut := run(map[string]string{"DATABASE_URL": url}, "restore", "--in", archive, "--force")
	if code == 0 || !strings.Contains(errOut, "nothing was dropped") || !strings.Contains(errOut, "reporting.daily") ||
		strings.Contains(errOut, "public.users") || strings.Contains(out, "replacing") {
		t.Fatalf("restore --force beside reporting.daily: %d\n%s\n%s", code, out, errOut)
	}
	if got := emails(url); got != "kept@example.com" {
		t.Fatalf("after the refusal public holds %q", got)
	}

	// Another session on the database (a running serve): refused.
	url = target("")
	other := pgtest.Open(t, url)
	if err := other.Pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(map[string]string{"DATABASE_URL": url}, "restore", "--in", archive, "--force")
	if code == 0 || !strings.Contains(errOut, "other session(s) are connected") || !strings.Contains(errOut, "stop `pixelpals serve`") {
		t.Fatalf("restore --force beside another session: %d\n%s\n%s", code, out, errOut)
	}
	other.Close()
	if got := emails(url); got != "kept@example.com" {
		t.Fatalf("after the refusal public holds %q", got)
	}

	// A restore that fails after public was set aside puts it back.
	url = target(`CREATE SCHEMA extra`)
	code, out, errOut = run(map[string]string{"DATABASE_URL": url}, "restore", "--in", failing, "--force")
	if code == 0 || !strings.Contains(errOut, "nothing was restored") || !strings.Contains(errOut, "put back unchanged") {
		t.Fatalf("failing restore --force: %d\n%s\n%s", code, out, errOut)
	}
	if got := emails(url); got != "kept@example.com" {
		t.Fatalf("after the failed restore public holds %q", got)
	}

	// A multi-host DATABASE_URL whose first host is down (an old
	// primary): pg_restore works on the server the pool reached.
	host := strings.TrimPrefix(strings.Fields(url)[0], "host=")
	multi := strings.Replace(url, "host="+host+" port=5432", "host=/nonexistent-old-primary,"+host+" port=5432,5432", 1)
	if multi == url {
		t.Fatalf("cannot make a multi-host URL of %q", url)
	}
	code, out, errOut = run(map[string]string{"DATABASE_URL": multi}, "restore", "--in", archive, "--force")
	if code != 0 || !strings.Contains(out, "restore OK") {
		t.Fatalf("restore --force over a multi-host URL: %d\n%s\n%s", code, out, errOut)
	}
	if got := emails(url); got != "restored@example.com" {
		t.Fatalf("after the restore public holds %q", got)
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var asides int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'public\_replaced\_%'`).Scan(&asides); err != nil {
		t.Fatal(err)
	}
	if asides != 0 {
		t.Fatalf("%d set-aside schema(s) left after a verified restore", asides)
	}
}

// TestRestoreSkipsStatStatements: an archive of a database holding the
// pg_stat_statements extension (as older advice had it) restores as a
// non-superuser that owns the target database, which may not create it.
func TestRestoreSkipsStatStatements(t *testing.T) {
	ctx := context.Background()
	srcURL := pgtest.URL(t)
	src := pgtest.Open(t, srcURL)
	if _, err := src.Pool.Exec(ctx, `CREATE EXTENSION pg_stat_statements`); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Pool.Exec(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('restored@example.com', '!', 'PARENT')`); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "a.dump")
	if code, out, errOut := run(map[string]string{"DATABASE_URL": srcURL}, "backup", "--out", archive); code != 0 {
		t.Fatalf("backup: %d\n%s\n%s", code, out, errOut)
	}
	src.Close()
	dstURL := pgtest.EmptyURL(t)
	dst, err := store.Open(ctx, dstURL)
	if err != nil {
		t.Fatal(err)
	}
	const role = "restore_app"
	if _, err := dst.Pool.Exec(ctx, `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+role+`') THEN CREATE ROLE `+role+` LOGIN; END IF; END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Pool.Exec(ctx, `ALTER DATABASE `+dst.Pool.Config().ConnConfig.Database+` OWNER TO `+role); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	appURL := strings.Replace(dstURL, "user=postgres", "user="+role, 1)
	if appURL == dstURL {
		t.Fatalf("cannot change the user of %q", dstURL)
	}
	code, out, errOut := run(map[string]string{"DATABASE_URL": appURL}, "restore", "--in", archive)
	if code != 0 || !strings.Contains(out, "restore OK") {
		t.Fatalf("restore as %s: %d\n%s\n%s", role, code, out, errOut)
	}
	var email string
	if err := pgtest.Open(t, dstURL).Pool.QueryRow(ctx, `SELECT email FROM users`).Scan(&email); err != nil || email != "restored@example.com" {
		t.Fatalf("restored users: %q %v", email, err)
	}
}
