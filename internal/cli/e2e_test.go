package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/cli"
	"pixelpals/internal/pgtest"
)

// client speaks the JSON API of a running `pixelpals serve` as one user.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

type idOnly struct {
	ID int64 `json:"id"`
}

type loggedIn struct {
	Token string `json:"token"`
	User  idOnly `json:"user"`
}

func (c *client) login(login, password string) *client {
	c.t.Helper()
	var out loggedIn
	(&client{t: c.t, base: c.base}).call("POST", "/auth/login", map[string]string{"login": login, "password": password}, 200, &out)
	return &client{t: c.t, base: c.base, token: out.Token}
}

// createAdmin bootstraps admin@example.com (password admin-password) with
// the real `pixelpals admin create` on the database env names.
func createAdmin(t *testing.T, env map[string]string) {
	t.Helper()
	var out bytes.Buffer
	if code := cli.Main(context.Background(), []string{"admin", "create", "--email", "admin@example.com"}, cli.Env{
		Stdin: strings.NewReader("admin-password\n"), Stdout: &out, Stderr: &out,
		Getenv: func(k string) string { return env[k] },
	}); code != 0 {
		t.Fatalf("admin create: %d %s", code, out.String())
	}
}

// family signs up parent n, has the admin approve them, and has them
// create child kid<n>: the parent's and the child's clients, and the
// child's id.
func family(anon, admin *client, n int) (parent, child *client, childID int64) {
	anon.t.Helper()
	email := fmt.Sprintf("parent%d@example.com", n)
	var signup struct{ User idOnly }
	anon.call("POST", "/auth/signup", map[string]string{"email": email, "password": "parent-password", "display_name": "Parent"}, 201, &signup)
	admin.call("POST", fmt.Sprintf("/admin/users/%d/approve", signup.User.ID), nil, 200, nil)
	parent = anon.login(email, "parent-password")
	var kid struct{ User idOnly }
	parent.call("POST", "/children", map[string]string{"login": fmt.Sprintf("kid%d", n), "password": "kidpass", "display_name": "Kid"}, 201, &kid)
	return parent, anon.login(fmt.Sprintf("kid%d", n), "kidpass"), kid.User.ID
}

// directChat links child a (of parent pa) and child b (of pb) as
// contacts, pa asking with b's friend code and pb approving, and opens
// their direct conversation: its id.
func directChat(pa, a *client, aID int64, pb, b *client, bID int64) int64 {
	a.t.Helper()
	var fc struct {
		FriendCode string `json:"friend_code"`
	}
	b.call("GET", "/me/friend-code", nil, 200, &fc)
	var link idOnly
	pa.call("POST", "/contacts", map[string]any{"friend_code": fc.FriendCode, "child_id": aID}, 201, &link)
	pb.call("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, 200, nil)
	var conv idOnly
	a.call("POST", "/conversations", map[string]any{"member_ids": []int64{bID}, "is_group": false}, 201, &conv)
	return conv.ID
}

// TestEndToEnd drives the real `pixelpals` wiring — configuration, key
// ring, migrations, production password hashing, the HTTP server — as
// clients would, through the SPEC §11 paths: an admin bootstrapped with the
// CLI approves two parents; their children become contacts with both
// parents' approval, chat, and one reports a message; a parent keeps a
// game login that only the child reveals; a parent reads and exports.
func TestEndToEnd(t *testing.T) {
	url := pgtest.URL(t)
	env := map[string]string{"DATABASE_URL": url, "PIXELPALS_VAULT_KEYS": keyLine(t, 1)}
	srv := serve(t, env)
	base := "http://" + srv.addr(t)
	anon := &client{t: t, base: base}

	// The binary serves the web UI at / with its security headers.
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	ui, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(ui), "<title>Pixel Pals</title>") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("GET /: %d %q\n%.200s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), ui)
	}

	createAdmin(t, env)
	admin := anon.login("admin@example.com", "admin-password")

	pa, a, aID := family(anon, admin, 1)
	pb, b, bID := family(anon, admin, 2)

	// Contacts: A asks with B's friend code; both parents approve.
	var fc struct {
		FriendCode string `json:"friend_code"`
	}
	b.call("GET", "/me/friend-code", nil, 200, &fc)
	var link idOnly
	a.call("POST", "/contacts", map[string]string{"friend_code": fc.FriendCode}, 201, &link)
	a.call("POST", "/conversations", map[string]any{"member_ids": []int64{bID}, "is_group": false}, 403, nil)
	pa.call("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, 200, nil)
	pb.call("POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, 200, nil)

	// Chat, history, the parents' read-only view.
	var conv struct {
		ID     int64 `json:"id"`
		Frozen bool  `json:"frozen"`
	}
	a.call("POST", "/conversations", map[string]any{"member_ids": []int64{bID}, "is_group": false}, 201, &conv)
	var msg idOnly
	a.call("POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": "hi B!", "client_id": "m1"}, 201, &msg)
	a.call("POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": "hi B!", "client_id": "m1"}, 200, nil)
	var page struct {
		Items []struct {
			Content *string `json:"content"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	pb.call("GET", fmt.Sprintf("/conversations/%d/messages", conv.ID), nil, 200, &page)
	if len(page.Items) != 1 || *page.Items[0].Content != "hi B!" || page.NextCursor != nil {
		t.Fatalf("parent's view of the history: %+v", page)
	}
	pb.call("POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": "hello", "client_id": "p1"}, 403, nil)

	// A report reaches the admins' queue and is resolved.
	var rep idOnly
	b.call("POST", fmt.Sprintf("/messages/%d/report", msg.ID), map[string]string{"reason": "testing reports"}, 201, &rep)
	admin.call("POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID), nil, 200, nil)

	// Revoking the link freezes the chat.
	pb.call("DELETE", fmt.Sprintf("/contacts/%d", link.ID), nil, 204, nil)
	a.call("POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": "still there?", "client_id": "m2"}, 409, nil)

	// The keeper: the parent stores, only the child reveals.
	var cred idOnly
	pa.call("POST", fmt.Sprintf("/children/%d/game-credentials", aID), map[string]string{"game_name": "Blocks", "username": "a_builder", "password": "hunter2!"}, 201, &cred)
	admin.call("POST", fmt.Sprintf("/game-credentials/%d/reveal", cred.ID), nil, 403, nil)
	pa.call("POST", fmt.Sprintf("/game-credentials/%d/reveal", cred.ID), nil, 403, nil)
	b.call("POST", fmt.Sprintf("/game-credentials/%d/reveal", cred.ID), nil, 404, nil)
	var revealed struct{ Password string }
	a.call("POST", fmt.Sprintf("/game-credentials/%d/reveal", cred.ID), nil, 200, &revealed)
	if revealed.Password != "hunter2!" {
		t.Fatalf("revealed %q", revealed.Password)
	}

	// Other families learn nothing; the export holds the child's data.
	pb.call("GET", fmt.Sprintf("/children/%d/export", aID), nil, 404, nil)
	var export map[string]json.RawMessage
	pa.call("GET", fmt.Sprintf("/children/%d/export", aID), nil, 200, &export)
	for _, k := range []string{"user", "profile", "contacts", "conversations", "game_credentials", "audit_logs"} {
		if _, ok := export[k]; !ok {
			t.Errorf("export lacks %s", k)
		}
	}
	if bytes.Contains(export["game_credentials"], []byte("hunter2!")) {
		t.Fatal("the export holds a game password")
	}
	if strings.Contains(srv.logs.String(), "hunter2!") || strings.Contains(srv.logs.String(), a.token) {
		t.Fatal("a secret reached the server log")
	}
}
