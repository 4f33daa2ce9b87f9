package deploytest_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/deploytest"
)

// TestTwoInstancesBehindHAProxy runs two `pixelpals serve` instances on one
// database behind the real haproxy (round robin, health checks on
// /readyz), and a client that works through it as the web UI does: a
// cookie session and the CSRF header, on whichever instance each request
// lands. Sends and reads reach both instances; a logout on one ends the
// session on both. The rate limits hold at one instance's numbers through
// both (they are kept in PostgreSQL, docs/scaling.md).
func TestTwoInstancesBehindHAProxy(t *testing.T) {
	pg := deploytest.NewPostgres(t, "pg", false)
	pg.Exec(t, "postgres", "CREATE DATABASE pixelpals")
	env := map[string]string{
		"DATABASE_URL":         pg.URL("pixelpals"),
		"PIXELPALS_VAULT_KEYS": deploytest.KeyLine(t), // one key ring for every instance
		// The balancer is the only peer: believe its X-Forwarded-For.
		"PIXELPALS_TRUSTED_PROXIES": "127.0.0.1/32",
	}
	one, two := deploytest.StartServe(t, env), deploytest.StartServe(t, env)
	one.WaitListening(t)
	two.WaitListening(t)
	lb := deploytest.StartHAProxy(t, one.Addr, two.Addr)
	deploytest.CreateAdmin(t, env["DATABASE_URL"], "admin@example.com", "admin-password")

	anon := deploytest.NewClient(t, lb.URL())
	admin := anon.BrowserLogin("admin@example.com", "admin-password")
	var signup struct{ User deploytest.ID }
	anon.Must(201, "POST", "/auth/signup", map[string]string{"email": "parent@example.com", "password": "parent-password", "display_name": "Parent"}, &signup)
	approve := fmt.Sprintf("/admin/users/%d/approve", signup.User.ID)
	// A cookie session without the CSRF header is refused, on either
	// instance.
	noCSRF := *admin
	noCSRF.CSRF = ""
	for range 2 {
		if r := noCSRF.Must(403, "POST", approve, nil, nil); !slices.Contains(lb.Servers, r.ServedBy()) {
			t.Fatalf("answer without %s: %q", deploytest.ServedByHeader, r.ServedBy())
		}
	}
	admin.Must(200, "POST", approve, nil, nil)

	parent := anon.BrowserLogin("parent@example.com", "parent-password")
	parent.Must(201, "POST", "/children", map[string]string{"login": "kid", "password": "kidpass", "display_name": "Kid"}, nil)
	kid := anon.BrowserLogin("kid", "kidpass")
	var conv deploytest.ID
	kid.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)

	sentVia, readVia := map[string]int{}, map[string]int{}
	var want []string
	for i := range 10 {
		content := fmt.Sprintf("hello %d", i)
		r := kid.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": content, "client_id": fmt.Sprint(i)}, nil)
		sentVia[r.ServedBy()]++
		want = append([]string{content}, want...) // history is newest first
		// The parent's and the child's reads (three requests a round, so
		// round robin moves each kind to the other instance next round)
		// see every message so far.
		for _, reader := range []*deploytest.Client{parent, kid} {
			var page deploytest.Page
			r = reader.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=50", conv.ID), nil, &page)
			readVia[r.ServedBy()]++
			var got []string
			for _, m := range page.Items {
				got = append(got, *m.Content)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("read via %s (sends so far by instance: %v): %q, want %q", r.ServedBy(), sentVia, got, want)
			}
		}
	}
	for _, name := range lb.Servers {
		if sentVia[name] == 0 || readVia[name] == 0 {
			t.Fatalf("sends by instance %v, reads by instance %v: want both instances in each", sentVia, readVia)
		}
	}

	// Sessions live in PostgreSQL: after a logout through one instance,
	// the old session token is refused by both.
	var token string
	u, _ := url.Parse(lb.URL())
	for _, c := range kid.HTTP.Jar.Cookies(u) {
		if c.Name == "pixelpals_session" {
			token = c.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie")
	}
	kid.Must(204, "POST", "/auth/logout", nil, nil)
	stale := deploytest.NewClient(t, lb.URL())
	stale.Token = token
	refusedBy := map[string]bool{}
	for range 4 {
		refusedBy[stale.Must(401, "GET", "/me", nil, nil).ServedBy()] = true
	}
	if len(refusedBy) != len(lb.Servers) {
		t.Fatalf("the logged-out session was refused only by %v", refusedBy)
	}

	// Shared limits: wrong passwords for one account until locked out;
	// then a fresh child sends as fast as it can.
	failures := 0
	for failures < 20 {
		r, err := anon.Do("POST", "/auth/login", map[string]string{"login": "parent@example.com", "password": "wrong-password"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 429 {
			break
		}
		if r.Status != 401 {
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
		failures++
	}
	t.Logf("login lockout: %d wrong passwords for one account through %d instances before 429", failures, len(lb.Servers))
	if failures != 5 {
		t.Errorf("%d wrong passwords for one account before the lockout, want 5 however many instances", failures)
	}

	parent.Must(201, "POST", "/children", map[string]string{"login": "kid2", "password": "kidpass", "display_name": "Kid 2"}, nil)
	kid2 := anon.BrowserLogin("kid2", "kidpass")
	kid2.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{parent.UserID}, "is_group": false}, &conv)
	accepted := 0
	start := time.Now()
	for i := range 60 {
		r, err := kid2.Do("POST", fmt.Sprintf("/conversations/%d/messages", conv.ID), map[string]string{"type": "text", "content": "flood", "client_id": fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 201 {
			accepted++
		} else if r.Status != 429 {
			t.Fatalf("flood send: %d %s", r.Status, r.Body)
		}
	}
	elapsed := time.Since(start)
	t.Logf("send rate: %d of 60 back-to-back sends accepted through %d instances in %v", accepted, len(lb.Servers), elapsed)
	if most := 20 + int(5*elapsed.Seconds()); accepted > most {
		t.Errorf("%d sends accepted in %v, want at most %d (a burst of 20 and 5/s) however many instances", accepted, elapsed, most)
	}

	// A hung instance (stopped: the kernel still accepts its connections,
	// nothing answers) fails its health checks on their timeout and is
	// taken out, so requests reach the other one instead of waiting for
	// "timeout server"; once it answers again it is back (rise 1).
	two.Hang(t)
	down := lb.WaitDown(t, lb.Servers[1])
	if !strings.Contains(down, "timeout") {
		t.Fatalf("the hung instance was marked down for another reason: %s", down)
	}
	t.Logf("hung instance: %s", strings.TrimSpace(down))
	for range 4 {
		if r := parent.Must(200, "GET", "/me", nil, nil); r.ServedBy() != lb.Servers[0] {
			t.Fatalf("a request reached %q while %s was down", r.ServedBy(), lb.Servers[1])
		}
	}
	two.Resume(t)
	lb.WaitAllUp(t)
}
