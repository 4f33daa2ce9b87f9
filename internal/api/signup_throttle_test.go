package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/ratelimit"
)

// TestSignupThrottledPerClient: every sign-up mails the address it names,
// so one client address may sign up only so many times, across instances;
// the refusal is a 429 with Retry-After that creates nothing and answers
// the same for a taken address as for a new one.
func TestSignupThrottledPerClient(t *testing.T) {
	rate := &ratelimit.Rate{PerSecond: 1.0 / 3600, Burst: 3}
	env := apitest.New(t, apitest.Options{SignupRate: rate})
	other := apitest.New(t, apitest.Options{DB: env.DB, SignupRate: rate})
	taken := env.PendingParent() // the first of the 3
	instances := []*apitest.Client{env.Anonymous(), other.Anonymous()}
	body := func(email string) map[string]string {
		return map[string]string{"email": email, "password": "a-long-password", "display_name": "Someone"}
	}
	for i := range 2 {
		instances[i%2].Must(201, "POST", "/auth/signup", body(fmt.Sprintf("new%d@example.com", i)), nil)
	}
	count := func() (users, notes int) {
		t.Helper()
		err := env.DB.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM notifications)`).Scan(&users, &notes)
		if err != nil {
			t.Fatal(err)
		}
		return users, notes
	}
	users, notes := count()
	for i, email := range []string{"one-too-many@example.com", taken.Login} {
		resp := instances[i%2].Do("POST", "/auth/signup", body(email))
		if resp.Status != 429 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("sign-up %s past the limit: %d %s, want 429 with Retry-After", email, resp.Status, resp.Body)
		}
	}
	if u, n := count(); u != users || n != notes {
		t.Fatalf("refused sign-ups wrote %d users and %d notifications", u-users, n-notes)
	}
}
