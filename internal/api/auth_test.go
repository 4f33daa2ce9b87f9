package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/auth"
)

// TestUnknownLoginAndWrongPasswordLookAlike: same status, same body, and
// (with the real Argon2id parameters) the same time within noise, because
// an unknown login still verifies a dummy hash.
func TestUnknownLoginAndWrongPasswordLookAlike(t *testing.T) {
	env := apitest.New(t, apitest.Options{RealHashing: true})
	fam := env.Family(env.Admin(), 0)
	anon := env.Anonymous()

	timeLogin := func(login string) (time.Duration, *apitest.Response) {
		start := time.Now()
		r := anon.Do("POST", "/auth/login", map[string]string{"login": login, "password": "not-the-password"})
		return time.Since(start), r
	}
	var unknown, wrong []time.Duration
	var ru, rw *apitest.Response
	for range 9 {
		d, r := timeLogin("nobody@example.com")
		unknown, ru = append(unknown, d), r
		d, r = timeLogin(fam.Parent.Login)
		wrong, rw = append(wrong, d), r
	}
	if ru.Status != 401 || rw.Status != 401 || string(ru.Body) != string(rw.Body) {
		t.Fatalf("unknown login: %d %s; wrong password: %d %s", ru.Status, ru.Body, rw.Status, rw.Body)
	}
	mu, mw := median(unknown), median(wrong)
	if ratio := float64(mu) / float64(mw); ratio < 0.5 || ratio > 2 {
		t.Fatalf("median unknown-login time %v vs wrong-password time %v: an observer could tell them apart", mu, mw)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestLoginThrottledPerAccountAndPerIP(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{Limits: &auth.Limits{AccountFailures: 3, IPFailures: 6, Window: time.Minute, Lockout: time.Minute}})
	fam := env.Family(env.Admin(), 0)
	anon := env.Anonymous()
	bad := map[string]string{"login": fam.Parent.Login, "password": "wrong-password"}
	for range 3 {
		if r := anon.Do("POST", "/auth/login", bad); r.Status != 401 {
			t.Fatalf("failure before lockout: %d", r.Status)
		}
	}
	// Locked: even the right password waits, with Retry-After.
	r := anon.Do("POST", "/auth/login", map[string]string{"login": fam.Parent.Login, "password": fam.Parent.Password})
	if r.Status != 429 || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("locked account: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Other accounts from the same address are throttled once the address
	// has failed too often.
	for range 3 {
		anon.Must(401, "POST", "/auth/login", map[string]string{"login": "x@example.com", "password": "wrong-password"}, nil)
	}
	r = anon.Do("POST", "/auth/login", map[string]string{"login": "y@example.com", "password": "wrong-password"})
	if r.Status != 429 {
		t.Fatalf("address over its limit: %d %s", r.Status, r.Body)
	}
}

// TestCookieSessionsNeedCSRFToken: a browser session (cookie) may read
// freely but must echo its CSRF token to write; a Bearer token needs none.
func TestCookieSessionsNeedCSRFToken(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 0)

	body := `{"login":"` + fam.Parent.Login + `","password":"` + fam.Parent.Password + `"}`
	resp, err := http.Post(env.Server.URL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	var session, csrf *http.Cookie
	for _, c := range resp.Cookies() {
		switch c.Name {
		case "pixelpals_session":
			session = c
		case "pixelpals_csrf":
			csrf = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || csrf == nil {
		t.Fatalf("login cookies: %+v / %+v", session, csrf)
	}

	do := func(method, path, csrfToken string) int {
		req, err := http.NewRequest(method, env.Server.URL+"/api/v1"+path, strings.NewReader(`{"bio":"hi"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(session)
		if csrfToken != "" {
			req.Header.Set("X-CSRF-Token", csrfToken)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Body.Close(); err != nil {
			t.Fatal(err)
		}
		return r.StatusCode
	}
	if s := do("GET", "/me", ""); s != 200 {
		t.Fatalf("cookie read: %d", s)
	}
	if s := do("PATCH", "/me/profile", ""); s != 403 {
		t.Fatalf("cookie write without CSRF token: %d", s)
	}
	if s := do("PATCH", "/me/profile", "forged"); s != 403 {
		t.Fatalf("cookie write with a wrong CSRF token: %d", s)
	}
	if s := do("PATCH", "/me/profile", csrf.Value); s != 200 {
		t.Fatalf("cookie write with the CSRF token: %d", s)
	}
	fam.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"bio": "bearer"}, nil)
}

// TestSessionsEndAtOnce: logout, logout-everywhere, a password reset and
// suspension each end sessions on the very next request.
func TestSessionsEndAtOnce(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	kid := fam.Child()

	fam.Parent.Must(204, "POST", "/children/"+itoa(kid.UserID)+"/logout-everywhere", nil, nil)
	kid.Must(401, "GET", "/me", nil, nil)

	kid = fam.AddChild()
	fam.Parent.Must(204, "POST", "/children/"+itoa(kid.UserID)+"/password", map[string]string{"password": "another1"}, nil)
	kid.Must(401, "GET", "/me", nil, nil)
	env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": kid.Login, "password": "another1"}, nil)
	env.Anonymous().Must(401, "POST", "/auth/login", map[string]string{"login": kid.Login, "password": kid.Password}, nil)

	kid = fam.AddChild()
	admin.Must(200, "POST", "/admin/users/"+itoa(fam.Parent.UserID)+"/suspend", nil, nil)
	fam.Parent.Must(401, "GET", "/me", nil, nil)
	kid.Must(401, "GET", "/me", nil, nil)
	if r := env.Anonymous().Do("POST", "/auth/login", map[string]string{"login": fam.Parent.Login, "password": fam.Parent.Password}); r.ErrorCode() != "account_suspended" {
		t.Fatalf("suspended parent login: %d %s", r.Status, r.Body)
	}

	other := env.Family(admin, 0).Parent
	other.Must(204, "POST", "/auth/logout", nil, nil)
	other.Must(401, "GET", "/me", nil, nil)
}

func TestPendingParentSeesOnlyAwaitingApproval(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	p := env.PendingParent()
	p.Must(200, "GET", "/me", nil, nil)
	for _, path := range []string{"/children", "/profiles/" + itoa(p.UserID)} {
		if r := p.Do("GET", path, nil); r.Status != 403 || r.ErrorCode() != "awaiting_approval" {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
}
