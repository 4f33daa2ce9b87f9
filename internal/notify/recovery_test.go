package notify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// Verified emails and password recovery (issue 22.4), through the real
// API, the real worker and a real SMTP server that the tests read.

// recoveryRig is a service, an SMTP server and a worker whose log is kept.
type recoveryRig struct {
	env  *apitest.Env
	mb   *mailbox
	w    *notify.Worker
	logs *apitest.Buffer
	seen int // mails already returned by newMails
}

func newRecoveryRig(t *testing.T, opts ...apitest.Options) *recoveryRig {
	t.Helper()
	r := &recoveryRig{env: apitest.New(t, opts...), mb: &mailbox{}, logs: &apitest.Buffer{}}
	port, _ := startSMTP(t, r.mb)
	r.w = smtpWorker(r.env, port)
	r.w.Logger = slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return r
}

// newMails runs the worker until nothing is due and returns the mails that
// arrived since the last call.
func (r *recoveryRig) newMails(t *testing.T) []parsedMail {
	t.Helper()
	drain(t, r.w)
	all := r.mb.all()
	var out []parsedMail
	for _, m := range all[r.seen:] {
		out = append(out, parse(t, m))
	}
	r.seen = len(all)
	return out
}

// onlyMail checks that exactly one mail arrived, to to, with subject, and
// returns it.
func onlyMail(t *testing.T, mails []parsedMail, to, subject string) parsedMail {
	t.Helper()
	if len(mails) != 1 {
		var got []string
		for _, m := range mails {
			got = append(got, fmt.Sprint(m.Envelope.To, m.Header.Get("Subject")))
		}
		t.Fatalf("%d mails arrived (%v), want one to %s", len(mails), got, to)
	}
	m := mails[0]
	got, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if len(m.Envelope.To) != 1 || m.Envelope.To[0] != to || got != "Pixel Pals: "+subject {
		t.Fatalf("mail to %v, subject %q; want to %s, %q", m.Envelope.To, got, to, subject)
	}
	return m
}

// linkToken is the token of the mail's link to page, the same in both
// parts.
func linkToken(t *testing.T, env *apitest.Env, m parsedMail, page string) string {
	t.Helper()
	prefix := env.Server.URL + "/#/" + page + "/"
	if m.LinkInText != m.LinkInHTML || !strings.HasPrefix(m.LinkInText, prefix) {
		t.Fatalf("links %q, %q; want %s<token>", m.LinkInText, m.LinkInHTML, prefix)
	}
	token := strings.TrimPrefix(m.LinkInText, prefix)
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("token %q is not 256 bits of base64url", token)
	}
	return token
}

// verified is the email_verified of user id in the admins' pending list.
func verified(t *testing.T, admin *apitest.Client, id int64) bool {
	t.Helper()
	var list struct {
		Items []struct {
			ID            int64
			EmailVerified *bool `json:"email_verified"`
		}
	}
	admin.Must(200, "GET", "/admin/users?role=PARENT", nil, &list)
	for _, u := range list.Items {
		if u.ID == id {
			if u.EmailVerified == nil {
				t.Fatalf("user %d has no email_verified in the admins' list", id)
			}
			return *u.EmailVerified
		}
	}
	t.Fatalf("user %d not in the admins' list", id)
	return false
}

// noSecretsStored checks that no token or password is in the rows that
// might keep one, the service's log or the worker's.
func (r *recoveryRig) noSecretsStored(t *testing.T, secrets ...string) {
	t.Helper()
	var rows string
	err := r.env.DB.Pool.QueryRow(t.Context(), `
		SELECT concat((SELECT string_agg(n::text, ' ') FROM notifications n), (SELECT string_agg(a::text, ' ') FROM audit_logs a),
		              (SELECT string_agg(k::text, ' ') FROM account_tokens k), (SELECT string_agg(u.password_hash, ' ') FROM users u))`).Scan(&rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		for where, text := range map[string]string{"database": rows, "service log": r.env.Logs.String(), "worker log": r.logs.String()} {
			if strings.Contains(text, s) {
				t.Errorf("the %s holds a secret %q", where, s)
			}
		}
	}
}

// TestVerifyEmailLink: sign-up mails a link that verifies the address
// once; the admins' list shows it; an expired link is refused; signing up
// again with an unverified address mails a new link.
func TestVerifyEmailLink(t *testing.T) {
	r := newRecoveryRig(t)
	admin := r.env.Admin()
	p := r.env.PendingParent()
	m := onlyMail(t, r.newMails(t), p.Login, "Confirm your email address")
	token := linkToken(t, r.env, m, "verify-email")
	if verified(t, admin, p.UserID) {
		t.Fatal("verified before the link was opened")
	}
	var n int
	if err := r.env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM account_tokens WHERE token_hash = sha256($1::bytea)`,
		[]byte(token)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows hold the token's SHA-256 (%v), want 1", n, err)
	}

	anon := r.env.Anonymous()
	anon.Must(200, "POST", "/auth/verify-email", map[string]string{"token": token}, nil)
	if !verified(t, admin, p.UserID) {
		t.Fatal("not verified after the link was opened")
	}
	if resp := anon.Do("POST", "/auth/verify-email", map[string]string{"token": token}); resp.Status != 400 || resp.ErrorField() != "token" {
		t.Fatalf("the link used twice: %d %s", resp.Status, resp.Body)
	}
	// Approval does not wait for it (docs/security.md): admins see it.
	admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/approve", p.UserID), nil, nil)
	r.newMails(t) // account approved

	// A link past its 24 hours is refused and verifies nothing.
	q := r.env.PendingParent()
	old := linkToken(t, r.env, onlyMail(t, r.newMails(t), q.Login, "Confirm your email address"), "verify-email")
	if _, err := r.env.DB.Pool.Exec(t.Context(), `UPDATE account_tokens SET expires_at = CURRENT_TIMESTAMP - interval '1 second'
		WHERE token_hash = sha256($1::bytea)`, []byte(old)); err != nil {
		t.Fatal(err)
	}
	if resp := anon.Do("POST", "/auth/verify-email", map[string]string{"token": old}); resp.Status != 400 || resp.ErrorField() != "token" {
		t.Fatalf("an expired link: %d %s", resp.Status, resp.Body)
	}
	if verified(t, admin, q.UserID) {
		t.Fatal("an expired link verified the address")
	}
	// Signing up again with the unverified address: the same answer, the
	// account unchanged, and a fresh link to the address, which has its
	// reader choose the password (TestSignupTakenUnverifiedClaim).
	anon.Must(201, "POST", "/auth/signup", map[string]string{"email": q.Login, "password": "another-password", "display_name": "Q"}, nil)
	fresh := linkToken(t, r.env, onlyMail(t, r.newMails(t), q.Login, "Finish signing up: choose your password"), "reset-password")
	q.Must(200, "GET", "/me", nil, nil) // the second sign-up changed nothing of the account
	anon.Must(200, "POST", "/auth/password-reset/confirm", map[string]string{"token": fresh, "password": "another-password"}, nil)
	if !verified(t, admin, q.UserID) {
		t.Fatal("the fresh link did not verify")
	}
	r.noSecretsStored(t, token, old, fresh, p.Password, q.Password, "another-password")
}

// TestPasswordReset: a reset link sets a new password once, ends every
// session of the account, is audited, and the address hears of it; an
// expired link and a used one change nothing.
func TestPasswordReset(t *testing.T) {
	r := newRecoveryRig(t)
	fam := r.env.Family(r.env.Admin(), 1)
	parent := fam.Parent
	r.newMails(t)                    // sign-up and approval
	var login struct{ Token string } // a second session of the parent's
	r.env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": parent.Login, "password": parent.Password}, &login)

	anon := r.env.Anonymous()
	known := anon.Must(202, "POST", "/auth/password-reset", map[string]string{"email": parent.Login}, nil)
	unknown := anon.Must(202, "POST", "/auth/password-reset", map[string]string{"email": "nobody-here@example.com"}, nil)
	if !bytes.Equal(known.Body, unknown.Body) {
		t.Fatalf("known and unknown addresses answered differently:\n%s\n%s", known.Body, unknown.Body)
	}
	token := linkToken(t, r.env, onlyMail(t, r.newMails(t), parent.Login, "Set a new password"), "reset-password")

	// Bad input spends nothing.
	if resp := anon.Do("POST", "/auth/password-reset/confirm", map[string]string{"token": token, "password": "short"}); resp.Status != 400 || resp.ErrorField() != "password" {
		t.Fatalf("a short password: %d %s", resp.Status, resp.Body)
	}
	const newPassword = "a-brand-new-password"
	anon.Must(200, "POST", "/auth/password-reset/confirm", map[string]string{"token": token, "password": newPassword}, nil)

	// Every session of the account ended; the child's stays (their
	// password did not change).
	for _, tok := range []string{parent.Token, login.Token} {
		if resp := anonWithToken(r.env, tok).Do("GET", "/me", nil); resp.Status != 401 {
			t.Fatalf("a session from before the reset: %d, want 401", resp.Status)
		}
	}
	fam.Child().Must(200, "GET", "/me", nil, nil)
	if resp := anon.Do("POST", "/auth/login", map[string]string{"login": parent.Login, "password": parent.Password}); resp.Status != 401 {
		t.Fatalf("the old password: %d, want 401", resp.Status)
	}
	anon.Must(200, "POST", "/auth/login", map[string]string{"login": parent.Login, "password": newPassword}, nil)
	if resp := anon.Do("POST", "/auth/password-reset/confirm", map[string]string{"token": token, "password": "yet-another-one"}); resp.Status != 400 || resp.ErrorField() != "token" {
		t.Fatalf("the link used twice: %d %s", resp.Status, resp.Body)
	}

	// Audited as the account's own action, with no secret.
	r.checkResetAudit(t, parent.UserID)
	changed := onlyMail(t, r.newMails(t), parent.Login, "Your password was changed")
	if changed.LinkInText != r.env.Server.URL+"/#/login" {
		t.Fatalf("the change mail links to %q", changed.LinkInText)
	}

	expired, first, last := r.checkDeadResetLinks(t, parent.Login, newPassword)
	r.noSecretsStored(t, token, expired, first, last, newPassword, parent.Password, "the-final-password", "not-this-one")

	// Children have no reset: their login is no address.
	if resp := anon.Do("POST", "/auth/password-reset", map[string]string{"email": fam.Child().Login}); resp.Status != 400 || resp.ErrorField() != "email" {
		t.Fatalf("a child's login: %d %s", resp.Status, resp.Body)
	}
}

// checkResetAudit: one user.password_reset row, the account's own action,
// that says how many sessions ended and nothing else.
func (r *recoveryRig) checkResetAudit(t *testing.T, userID int64) {
	t.Helper()
	var audits []string
	rows, err := r.env.DB.Pool.Query(t.Context(), `SELECT concat(actor_id, ' ', entity_id, ' ', after_json::text) FROM audit_logs WHERE action = 'user.password_reset'`)
	if err == nil {
		audits, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	want := fmt.Sprintf(`%d %d {"sessions_ended": 2}`, userID, userID)
	if err != nil || len(audits) != 1 || audits[0] != want {
		t.Fatalf("audit rows %q (%v), want [%q]", audits, err, want)
	}
}

// checkDeadResetLinks: an expired reset link and one older than the link
// used last change nothing; it returns the three tokens it used.
func (r *recoveryRig) checkDeadResetLinks(t *testing.T, email, password string) (expired, first, last string) {
	t.Helper()
	anon := r.env.Anonymous()
	// An expired link changes nothing. (The address's 3 requests are
	// spent: forget them, as 30 minutes would.)
	r.forgetLimits(t)
	anon.Must(202, "POST", "/auth/password-reset", map[string]string{"email": email}, nil)
	expired = linkToken(t, r.env, onlyMail(t, r.newMails(t), email, "Set a new password"), "reset-password")
	if _, err := r.env.DB.Pool.Exec(t.Context(), `UPDATE account_tokens SET expires_at = CURRENT_TIMESTAMP - interval '1 second'
		WHERE token_hash = sha256($1::bytea)`, []byte(expired)); err != nil {
		t.Fatal(err)
	}
	if resp := anon.Do("POST", "/auth/password-reset/confirm", map[string]string{"token": expired, "password": "not-this-one"}); resp.Status != 400 || resp.ErrorField() != "token" {
		t.Fatalf("an expired link: %d %s", resp.Status, resp.Body)
	}
	anon.Must(200, "POST", "/auth/login", map[string]string{"login": email, "password": password}, nil)

	// Using one link spends the others.
	anon.Must(202, "POST", "/auth/password-reset", map[string]string{"email": email}, nil)
	first = linkToken(t, r.env, onlyMail(t, r.newMails(t), email, "Set a new password"), "reset-password")
	anon.Must(202, "POST", "/auth/password-reset", map[string]string{"email": email}, nil)
	last = linkToken(t, r.env, onlyMail(t, r.newMails(t), email, "Set a new password"), "reset-password")
	anon.Must(200, "POST", "/auth/password-reset/confirm", map[string]string{"token": last, "password": "the-final-password"}, nil)
	if resp := anon.Do("POST", "/auth/password-reset/confirm", map[string]string{"token": first, "password": "not-this-one"}); resp.Status != 400 {
		t.Fatalf("an older link after a newer one was used: %d %s", resp.Status, resp.Body)
	}
	for _, m := range r.newMails(t) {
		if m.LinkInText != r.env.Server.URL+"/#/login" {
			t.Fatalf("unexpected mail %q", m.Header.Get("Subject"))
		}
	}
	return expired, first, last
}

// forgetLimits empties the shared rate limits, as time would.
func (r *recoveryRig) forgetLimits(t *testing.T) {
	t.Helper()
	if _, err := r.env.DB.Pool.Exec(t.Context(), `DELETE FROM rate_buckets`); err != nil {
		t.Fatal(err)
	}
}

func anonWithToken(env *apitest.Env, token string) *apitest.Client {
	c := env.Anonymous()
	c.Token = token
	return c
}

// TestPasswordResetThrottled: the limits per address and per client
// address hold across two instances on one database, and answer the same
// for an address with an account and one without.
func TestPasswordResetThrottled(t *testing.T) {
	r := newRecoveryRig(t)
	other := apitest.New(t, apitest.Options{DB: r.env.DB})
	fam := r.env.Family(r.env.Admin(), 0)
	r.newMails(t) // sign-up and approval
	instances := []*apitest.Client{r.env.Anonymous(), other.Anonymous()}
	start := time.Now()
	for _, email := range []string{fam.Parent.Login, "nobody-here@example.com"} {
		for i := range 3 {
			instances[i%2].Must(202, "POST", "/auth/password-reset", map[string]string{"email": email}, nil)
		}
		resp := instances[1].Do("POST", "/auth/password-reset", map[string]string{"email": email})
		if resp.Status != 429 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("a 4th request for %s: %d %s, want 429 with Retry-After", email, resp.Status, resp.Body)
		}
	}
	// 8 of the client address's 20 are taken; other addresses get 12 more.
	accepted := 0
	for i := range 30 {
		resp := instances[i%2].Do("POST", "/auth/password-reset", map[string]string{"email": fmt.Sprintf("someone%d@example.com", i)})
		if resp.Status == 429 {
			break
		}
		accepted++
	}
	refills := int(time.Since(start) / time.Minute) // one a minute
	if accepted < 12 || accepted > 12+refills+1 {
		t.Fatalf("%d requests from one address accepted after 8, want 12", accepted)
	}
	mails := r.newMails(t)
	if len(mails) != 3 || mails[0].Envelope.To[0] != fam.Parent.Login {
		t.Fatalf("%d mails, want the 3 the known address was allowed", len(mails))
	}
}

// sameAnswer: the sign-up of a taken address answered byte for byte like
// the new one's but for ids, times and the address; and the three ids of
// sign-ups in a row run on without a gap: the look-alike took one of each
// sequence, as a new account does.
func sameAnswer(t *testing.T, before, taken, fresh *apitest.Response, takenEmail, freshEmail string) {
	t.Helper()
	normal := func(b []byte, email string) string {
		s := strings.ReplaceAll(string(b), `"`+email+`"`, `"EMAIL"`)
		s = regexp.MustCompile(`"(id|user_id)":\d+`).ReplaceAllString(s, `"$1":N`)
		return regexp.MustCompile(`"(created_at|updated_at)":"[^"]+"`).ReplaceAllString(s, `"$1":"T"`)
	}
	if a, b := normal(taken.Body, takenEmail), normal(fresh.Body, freshEmail); a != b {
		t.Fatalf("a taken address answered differently from a new one:\n%s\n%s", a, b)
	}
	if taken.Header.Get("Content-Type") != fresh.Header.Get("Content-Type") {
		t.Fatalf("content types differ: %q, %q", taken.Header.Get("Content-Type"), fresh.Header.Get("Content-Type"))
	}
	type ids struct {
		User    struct{ ID int64 }
		Profile struct{ ID int64 }
	}
	var got [3]ids
	for i, resp := range []*apitest.Response{before, taken, fresh} {
		if err := json.Unmarshal(resp.Body, &got[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < 3; i++ {
		if got[i].User.ID != got[i-1].User.ID+1 || got[i].Profile.ID != got[i-1].Profile.ID+1 {
			t.Fatalf("ids of three sign-ups in a row, the middle one taken: %+v; want consecutive", got)
		}
	}
}

// TestSignupTakenAddress: a sign-up with a registered address answers
// byte for byte like a new one (but for ids, times and the address), the
// account is untouched, and its owner is told; the mails are bounded.
func TestSignupTakenAddress(t *testing.T) {
	r := newRecoveryRig(t)
	admin := r.env.Admin()
	fam := r.env.Family(admin, 0)
	anon := r.env.Anonymous()
	for _, m := range r.newMails(t) { // the owner verified their address
		if strings.Contains(m.LinkInText, "/#/verify-email/") {
			anon.Must(200, "POST", "/auth/verify-email", map[string]string{"token": linkToken(t, r.env, m, "verify-email")}, nil)
		}
	}
	body := func(email string) map[string]string {
		return map[string]string{"email": email, "password": "intruder-password", "display_name": "Same Name"}
	}
	before := anon.Do("POST", "/auth/signup", body("just-before@example.com"))
	taken := anon.Do("POST", "/auth/signup", body(fam.Parent.Login))
	fresh := anon.Do("POST", "/auth/signup", body("brand-new@example.com"))
	if before.Status != 201 || taken.Status != 201 || fresh.Status != 201 {
		t.Fatalf("statuses %d, %d and %d, want 201: %s %s", before.Status, taken.Status, fresh.Status, taken.Body, fresh.Body)
	}
	sameAnswer(t, before, taken, fresh, fam.Parent.Login, "brand-new@example.com")
	// The account is untouched: its password, its one row.
	anon.Must(200, "POST", "/auth/login", map[string]string{"login": fam.Parent.Login, "password": fam.Parent.Password}, nil)
	if resp := anon.Do("POST", "/auth/login", map[string]string{"login": fam.Parent.Login, "password": "intruder-password"}); resp.Status != 401 {
		t.Fatalf("the intruder's password: %d", resp.Status)
	}
	mails := r.newMails(t)
	if len(mails) != 3 {
		t.Fatalf("%d mails, want the owner's and the two new sign-ups'", len(mails))
	}
	for _, m := range mails {
		if m.Envelope.To[0] == fam.Parent.Login {
			onlyMail(t, []parsedMail{m}, fam.Parent.Login, "Someone tried to sign up with your address")
			if m.LinkInText != r.env.Server.URL+"/#/login" {
				t.Fatalf("link %q", m.LinkInText)
			}
		} else {
			onlyMail(t, []parsedMail{m}, m.Envelope.To[0], "Confirm your email address")
		}
	}
	// Many tries: at most 3 mails to the owner (SignupAttemptMails), the
	// same answer every time.
	for range 5 {
		anon.Must(201, "POST", "/auth/signup", body(fam.Parent.Login), nil)
	}
	if got := len(r.newMails(t)); got != 2 {
		t.Fatalf("%d more mails to the owner, want 2 (3 in all)", got)
	}
	r.noSecretsStored(t, "intruder-password")
}
