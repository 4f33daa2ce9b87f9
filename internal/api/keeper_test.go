package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/pgembed"
)

// credential is a game login as the API lists it.
type credential struct {
	ID       int64  `json:"id"`
	ChildID  int64  `json:"child_id"`
	GameName string `json:"game_name"`
	Username string `json:"username"`
}

type credentialList struct {
	Items      []credential `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

func credentialsPath(childID int64) string {
	return fmt.Sprintf("/children/%d/game-credentials", childID)
}

func addCredential(t *testing.T, f *apitest.Family, child *apitest.Client, game, user, pw string) credential {
	t.Helper()
	var c credential
	f.Parent.Must(201, "POST", credentialsPath(child.UserID),
		map[string]string{"game_name": game, "username": user, "password": pw}, &c)
	return c
}

func reveal(t *testing.T, child *apitest.Client, id int64) string {
	t.Helper()
	var out struct{ Password string }
	child.Must(200, "POST", fmt.Sprintf("/game-credentials/%d/reveal", id), nil, &out)
	return out.Password
}

// sealed reads a row's stored ciphertext and nonce.
func sealed(t *testing.T, env *apitest.Env, id int64) (ciphertext, iv []byte) {
	t.Helper()
	err := env.DB.Pool.QueryRow(context.Background(),
		`SELECT password_ciphertext, iv FROM game_credentials WHERE id = $1`, id).Scan(&ciphertext, &iv)
	if err != nil {
		t.Fatal(err)
	}
	return ciphertext, iv
}

func exec1(t *testing.T, env *apitest.Env, sql string, args ...any) {
	t.Helper()
	if _, err := env.DB.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, env *apitest.Env, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// noSecretFields fails if a JSON body holds a key that could carry a kept
// password or its encryption.
func noSecretFields(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, k := range []string{`"password"`, `"password_ciphertext"`, `"ciphertext"`, `"iv"`, `"nonce"`} {
		if bytes.Contains(body, []byte(k)) {
			t.Errorf("%s carries %s: %s", what, k, body)
		}
	}
}

func TestKeeperRoundTrip(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	f := env.Family(admin, 1)
	kid := f.Child()

	// Kept byte for byte: spaces at the ends and non-ASCII survive.
	const pw = "  correct horse 🐴 battery\tstaple  "
	c := addCredential(t, f, kid, "Blockcraft", "kid_builder", pw)
	if c.ChildID != kid.UserID || c.GameName != "Blockcraft" || c.Username != "kid_builder" {
		t.Fatalf("created: %+v", c)
	}

	r := f.Parent.Must(200, "GET", credentialsPath(kid.UserID), nil, nil)
	noSecretFields(t, "parent's list", r.Body)
	r = kid.Must(200, "GET", "/me/game-credentials", nil, nil)
	noSecretFields(t, "child's list", r.Body)
	var mine credentialList
	if err := json.Unmarshal(r.Body, &mine); err != nil {
		t.Fatalf("child's list: %v: %s", err, r.Body)
	}
	if len(mine.Items) != 1 || mine.Items[0].ID != c.ID || mine.NextCursor != nil {
		t.Fatalf("child's list: %s", r.Body)
	}

	if got := reveal(t, kid, c.ID); got != pw {
		t.Fatalf("revealed %q, want %q", got, pw)
	}

	// A new username changes the associated data: the row is re-sealed,
	// with a new nonce, and still opens.
	oldCT, oldIV := sealed(t, env, c.ID)
	r = f.Parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", c.ID), map[string]string{"username": "kid_builder2"}, nil)
	noSecretFields(t, "patch response", r.Body)
	newCT, newIV := sealed(t, env, c.ID)
	if bytes.Equal(oldCT, newCT) || bytes.Equal(oldIV, newIV) {
		t.Fatal("changing the username did not re-seal the password")
	}
	if got := reveal(t, kid, c.ID); got != pw {
		t.Fatalf("after rename revealed %q, want %q", got, pw)
	}

	f.Parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", c.ID), map[string]string{"password": "new-secret"}, nil)
	if got := reveal(t, kid, c.ID); got != "new-secret" {
		t.Fatalf("after password change revealed %q", got)
	}

	// The export lists the login without its password.
	r = f.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", kid.UserID), nil, nil)
	if !bytes.Contains(r.Body, []byte("kid_builder2")) || bytes.Contains(r.Body, []byte("new-secret")) {
		t.Fatalf("export: %s", r.Body)
	}
	noSecretFields(t, "export", r.Body)

	f.Parent.Must(204, "DELETE", fmt.Sprintf("/game-credentials/%d", c.ID), nil, nil)
	if r := kid.Do("POST", fmt.Sprintf("/game-credentials/%d/reveal", c.ID), nil); r.Status != 404 {
		t.Fatalf("reveal after delete: %d %s", r.Status, r.Body)
	}

	// Every change and every reveal is audited, naming the child, with no
	// password or ciphertext in the JSON.
	var logs struct {
		Items []struct {
			ActorID    int64           `json:"actor_id"`
			Action     string          `json:"action"`
			EntityType string          `json:"entity_type"`
			EntityID   *int64          `json:"entity_id"`
			Before     json.RawMessage `json:"before_json"`
			After      json.RawMessage `json:"after_json"`
		}
	}
	r = admin.Must(200, "GET", "/admin/audit-logs?entity_type=game_credential", nil, &logs)
	var actions []string
	for _, l := range logs.Items {
		actions = append(actions, l.Action)
		if l.EntityID == nil || *l.EntityID != c.ID {
			t.Errorf("%s: entity %v", l.Action, l.EntityID)
		}
		j := string(l.Before) + string(l.After)
		if !strings.Contains(j, fmt.Sprintf(`"child_id":%d`, kid.UserID)) {
			t.Errorf("%s: no child_id in %s", l.Action, j)
		}
	}
	want := "game_credential.delete game_credential.reveal game_credential.update game_credential.reveal game_credential.update game_credential.reveal game_credential.create"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("audit actions (newest first):\n got %s\nwant %s", got, want)
	}
	for _, secret := range []string{pw, "new-secret", hex.EncodeToString(newCT), base64.StdEncoding.EncodeToString(newCT)} {
		if bytes.Contains(r.Body, []byte(secret)) {
			t.Fatalf("audit log holds a secret: %s", r.Body)
		}
	}
}

func TestKeeperPaging(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	for i := range 3 {
		addCredential(t, f, f.Child(), "Game", fmt.Sprintf("user%d", i), "pw")
	}
	var p1, p2 credentialList
	f.Parent.Must(200, "GET", credentialsPath(f.Child().UserID)+"?limit=2", nil, &p1)
	if len(p1.Items) != 2 || p1.NextCursor == nil {
		t.Fatalf("page 1: %+v", p1)
	}
	f.Child().Must(200, "GET", "/me/game-credentials?limit=2&cursor="+*p1.NextCursor, nil, &p2)
	if len(p2.Items) != 1 || p2.NextCursor != nil || p2.Items[0].Username != "user2" {
		t.Fatalf("page 2: %+v", p2)
	}
	if r := f.Parent.Do("GET", credentialsPath(f.Child().UserID)+"?cursor=bogus", nil); r.Status != 400 || r.ErrorField() != "cursor" {
		t.Fatalf("bad cursor: %d %s", r.Status, r.Body)
	}
}

// TestKeeperFamilies: a parent manages only their own children's logins,
// and a child sees and reveals only their own, not a sibling's.
func TestKeeperFamilies(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	a, b := env.Family(admin, 2), env.Family(admin, 1)
	sib := addCredential(t, a, a.Children[1], "Game", "sibling", "sibling-pw")

	if r := a.Child().Do("POST", fmt.Sprintf("/game-credentials/%d/reveal", sib.ID), nil); r.Status != 404 {
		t.Fatalf("sibling reveal: %d %s", r.Status, r.Body)
	}
	var mine credentialList
	a.Child().Must(200, "GET", "/me/game-credentials", nil, &mine)
	if len(mine.Items) != 0 {
		t.Fatalf("child sees a sibling's logins: %+v", mine)
	}
	if r := b.Parent.Do("PATCH", fmt.Sprintf("/game-credentials/%d", sib.ID), map[string]string{"password": "x"}); r.Status != 404 {
		t.Fatalf("other parent patch: %d", r.Status)
	}
	if r := b.Parent.Do("POST", credentialsPath(a.Child().UserID), map[string]string{"game_name": "g", "username": "u", "password": "p"}); r.Status != 404 {
		t.Fatalf("other parent create: %d", r.Status)
	}
	if r := admin.Do("POST", fmt.Sprintf("/game-credentials/%d/reveal", sib.ID), nil); r.Status != 403 {
		t.Fatalf("admin reveal: %d", r.Status)
	}
	if r := a.Parent.Do("POST", fmt.Sprintf("/game-credentials/%d/reveal", sib.ID), nil); r.Status != 403 {
		t.Fatalf("parent reveal: %d", r.Status)
	}
	if got := reveal(t, a.Children[1], sib.ID); got != "sibling-pw" {
		t.Fatalf("owner reveal: %q", got)
	}

	// Deleting the child removes their logins with the profile.
	a.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", a.Children[1].UserID), nil, nil)
	if n := count(t, env, `SELECT count(*) FROM game_credentials`); n != 0 {
		t.Fatalf("%d game credentials left after the child was deleted", n)
	}
}

// TestKeeperTampering: a row whose ciphertext, nonce or associated data was
// altered in the database, or that holds another row's ciphertext, fails
// to open with credential_unreadable and nothing more; the server log says
// why without secrets; a new password repairs the row.
func TestKeeperTampering(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	kid := f.Child()
	const pw = "tamper-target-pw"

	// Each tamper returns the child who owns the row afterwards.
	cases := []struct {
		name   string
		tamper func(id, other int64) *apitest.Client
	}{
		{"ciphertext byte", func(id, _ int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials SET password_ciphertext = overlay(password_ciphertext PLACING
				set_byte(substring(password_ciphertext FROM 9 FOR 1), 0, get_byte(password_ciphertext, 8) # 1) FROM 9 FOR 1) WHERE id = $1`, id)
			return kid
		}},
		{"version prefix", func(id, _ int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials SET password_ciphertext = overlay(password_ciphertext PLACING '\x00000002'::bytea FROM 1 FOR 4) WHERE id = $1`, id)
			return kid
		}},
		{"nonce byte", func(id, _ int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials SET iv = set_byte(iv, 0, get_byte(iv, 0) # 1) WHERE id = $1`, id)
			return kid
		}},
		{"truncated", func(id, _ int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials SET password_ciphertext = substring(password_ciphertext FROM 1 FOR 10) WHERE id = $1`, id)
			return kid
		}},
		{"username (associated data)", func(id, _ int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials SET username = username || 'x' WHERE id = $1`, id)
			return kid
		}},
		{"game name (associated data)", func(id, _ int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials SET game_name = 'Other Game' WHERE id = $1`, id)
			return kid
		}},
		{"moved to a sibling (associated data)", func(id, _ int64) *apitest.Client {
			sibling := f.AddChild()
			exec1(t, env, `UPDATE game_credentials SET profile_id = (SELECT id FROM profiles WHERE user_id = $2) WHERE id = $1`, id, sibling.UserID)
			return sibling
		}},
		{"ciphertext copied from another row", func(id, other int64) *apitest.Client {
			exec1(t, env, `UPDATE game_credentials g SET password_ciphertext = o.password_ciphertext, iv = o.iv
				FROM game_credentials o WHERE g.id = $1 AND o.id = $2`, id, other)
			return kid
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := addCredential(t, f, kid, "Game", fmt.Sprintf("victim%d", i), pw)
			other := addCredential(t, f, kid, "Game", fmt.Sprintf("donor%d", i), "donor-pw")
			owner := tc.tamper(c.ID, other.ID)
			r := owner.Do("POST", fmt.Sprintf("/game-credentials/%d/reveal", c.ID), nil)
			if r.Status != 409 || r.ErrorCode() != "credential_unreadable" {
				t.Fatalf("reveal of tampered row: %d %s", r.Status, r.Body)
			}
			for _, leak := range []string{pw, "donor-pw", "vault", "cipher", "version", "nonce"} {
				if bytes.Contains(r.Body, []byte(leak)) {
					t.Fatalf("error body says %q: %s", leak, r.Body)
				}
			}
			if !strings.Contains(env.Logs.String(), fmt.Sprintf(`"credential_id":%d`, c.ID)) {
				t.Fatalf("unreadable row %d not logged:\n%s", c.ID, env.Logs)
			}
			// Renaming needs the old password, which cannot be opened.
			if r := f.Parent.Do("PATCH", fmt.Sprintf("/game-credentials/%d", c.ID), map[string]string{"game_name": "Renamed"}); r.Status != 409 || r.ErrorCode() != "credential_unreadable" {
				t.Fatalf("rename of tampered row: %d %s", r.Status, r.Body)
			}
			// A new password repairs the row.
			f.Parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", c.ID), map[string]string{"password": "fresh-pw"}, nil)
			if got := reveal(t, owner, c.ID); got != "fresh-pw" {
				t.Fatalf("repaired row revealed %q", got)
			}
			// The donor row is unharmed.
			if got := reveal(t, kid, other.ID); got != "donor-pw" {
				t.Fatalf("donor row revealed %q", got)
			}
		})
	}
	if n := count(t, env, `SELECT count(*) FROM audit_logs WHERE action = 'game_credential.reveal'`); n != 2*len(cases) {
		t.Fatalf("%d reveals audited, want %d (failed reveals reveal nothing and are not audited)", n, 2*len(cases))
	}
}

// TestKeeperRejectsBadInput: every bad request is a 4xx naming the field
// (when there is one) and writes nothing.
func TestKeeperRejectsBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	kid := f.Child()
	c := addCredential(t, f, kid, "Game", "user", "pw")
	create, patch := credentialsPath(kid.UserID), fmt.Sprintf("/game-credentials/%d", c.ID)
	long := strings.Repeat("é", 101)
	ok := `"game_name":"G","username":"u","password":"p"`

	cases := []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"POST", create, nil, 400, ""},
		{"POST", create, `{`, 400, ""},
		{"POST", create, `[]`, 400, ""},
		{"POST", create, `{` + ok + `}{}`, 400, ""},
		{"POST", create, `{` + ok + `,"admin":true}`, 400, "admin"},
		{"POST", create, `{` + ok + `,"iv":"AAAA"}`, 400, "iv"},
		{"POST", create, `{"game_name":1,"username":"u","password":"p"}`, 400, "game_name"},
		{"POST", create, `{"game_name":"G","username":["u"],"password":"p"}`, 400, "username"},
		{"POST", create, `{"game_name":"G","username":"u","password":12345}`, 400, "password"},
		{"POST", create, map[string]string{"username": "u", "password": "p"}, 400, "game_name"},
		{"POST", create, map[string]string{"game_name": "   ", "username": "u", "password": "p"}, 400, "game_name"},
		{"POST", create, map[string]string{"game_name": long, "username": "u", "password": "p"}, 400, "game_name"},
		{"POST", create, map[string]string{"game_name": "G\x00", "username": "u", "password": "p"}, 400, "game_name"},
		{"POST", create, map[string]string{"game_name": "G", "username": long, "password": "p"}, 400, "username"},
		{"POST", create, map[string]string{"game_name": "G", "username": "", "password": "p"}, 400, "username"},
		{"POST", create, map[string]string{"game_name": "G", "username": "u", "password": ""}, 400, "password"},
		{"POST", create, map[string]string{"game_name": "G", "username": "u", "password": "a\x00b"}, 400, "password"},
		{"POST", create, map[string]string{"game_name": "G", "username": "u", "password": strings.Repeat("p", 257)}, 400, "password"},
		{"POST", create, map[string]string{"game_name": "Game", "username": "user", "password": "dup"}, 409, ""},
		{"POST", "/children/abc/game-credentials", map[string]string{"game_name": "G", "username": "u", "password": "p"}, 404, ""},
		{"PATCH", patch, `{}`, 400, ""},
		{"PATCH", patch, `{"password":null}`, 400, ""},
		{"PATCH", patch, `{"pasword":"typo"}`, 400, "pasword"},
		{"PATCH", patch, `{"username":7}`, 400, "username"},
		{"PATCH", patch, map[string]string{"username": long}, 400, "username"},
		{"PATCH", patch, map[string]string{"game_name": ""}, 400, "game_name"},
		{"PATCH", patch, map[string]string{"password": "x\x00"}, 400, "password"},
		{"PATCH", patch, map[string]string{"password": strings.Repeat("p", 257)}, 400, "password"},
		{"PATCH", "/game-credentials/0", map[string]string{"password": "p"}, 404, ""},
		{"PATCH", "/game-credentials/99999999999", map[string]string{"password": "p"}, 404, ""},
		{"DELETE", "/game-credentials/-1", nil, 404, ""},
		{"POST", "/game-credentials/x/reveal", nil, 404, ""},
	}
	before := count(t, env, `SELECT count(*) FROM audit_logs`)
	ct, iv := sealed(t, env, c.ID)
	for _, tc := range cases {
		client := f.Parent
		if strings.HasSuffix(tc.path, "/reveal") {
			client = kid
		}
		r := client.Do(tc.method, tc.path, tc.body)
		if r.Status != tc.status || r.ErrorField() != tc.field {
			t.Errorf("%s %s %v: %d field %q, want %d field %q: %s", tc.method, tc.path, tc.body, r.Status, r.ErrorField(), tc.status, tc.field, r.Body)
		}
	}
	if ct2, iv2 := sealed(t, env, c.ID); !bytes.Equal(ct, ct2) || !bytes.Equal(iv, iv2) {
		t.Fatal("a bad request changed the stored password")
	}
	// 256 bytes is the limit, and the 256-byte password survives.
	max := strings.Repeat("ü", 128)
	f.Parent.Must(200, "PATCH", patch, map[string]string{"password": max}, nil)
	if got := reveal(t, kid, c.ID); got != max {
		t.Fatal("256-byte password did not round-trip")
	}
	after := count(t, env, `SELECT count(*) FROM audit_logs`)
	if after != before+2 {
		t.Fatalf("audit rows %d → %d: bad requests wrote something", before, after)
	}
	if n := count(t, env, `SELECT count(*) FROM game_credentials`); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
}

// TestKeeperPasswordsNeverStoredOrLogged: the plaintext of every kept
// password appears nowhere in a pg_dump of the database (as text, hex or
// base64) nor in the server's logs, after creating, renaming, changing,
// revealing and failing to reveal.
func TestKeeperPasswordsNeverStoredOrLogged(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	f := env.Family(admin, 2)
	var passwords []string
	var ids []int64
	for i := range 10 {
		pw := fmt.Sprintf("Sekrit-%02d-xyzzy-plover", i)
		kid := f.Children[i%2]
		c := addCredential(t, f, kid, fmt.Sprintf("Game %d", i), fmt.Sprintf("player%d", i), pw)
		if got := reveal(t, kid, c.ID); got != pw {
			t.Fatalf("reveal %d: %q", i, got)
		}
		passwords, ids = append(passwords, pw), append(ids, c.ID)
	}
	f.Parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", ids[0]), map[string]string{"username": "renamed"}, nil)
	newPW := "Changed-xyzzy-plover-99"
	f.Parent.Must(200, "PATCH", fmt.Sprintf("/game-credentials/%d", ids[1]), map[string]string{"password": newPW}, nil)
	passwords = append(passwords, newPW)
	// A failed reveal logs its reason.
	exec1(t, env, `UPDATE game_credentials SET iv = set_byte(iv, 0, get_byte(iv, 0) # 1) WHERE id = $1`, ids[2])
	if r := f.Children[0].Do("POST", fmt.Sprintf("/game-credentials/%d/reveal", ids[2]), nil); r.ErrorCode() != "credential_unreadable" {
		t.Fatalf("tampered reveal: %d %s", r.Status, r.Body)
	}
	f.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", f.Child().UserID), nil, nil)

	dump := pgDump(t, env)
	if !bytes.Contains(dump, []byte("player3")) {
		t.Fatal("the dump does not hold the game_credentials rows; is it of the right database?")
	}
	logs := env.Logs.String()
	if !strings.Contains(logs, "game credential cannot be opened") {
		t.Fatal("the failed reveal was not logged")
	}
	for _, pw := range passwords {
		for _, form := range []string{pw, hex.EncodeToString([]byte(pw)), base64.StdEncoding.EncodeToString([]byte(pw))} {
			if bytes.Contains(dump, []byte(form)) {
				t.Errorf("pg_dump holds password %q (as %q)", pw, form)
			}
			if strings.Contains(logs, form) {
				t.Errorf("server logs hold password %q (as %q)", pw, form)
			}
		}
	}
}

// pgDump dumps env's database with the pg_dump of the server binaries.
func pgDump(t *testing.T, env *apitest.Env) []byte {
	t.Helper()
	bin, err := pgembed.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "pg_dump"), "--no-owner", "--dbname", env.DB.Pool.Config().ConnString())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v: %s", err, stderr.String())
	}
	return out
}
