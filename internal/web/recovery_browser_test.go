package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// mailLink runs the notification worker into dir (the .eml files serve
// when no SMTP server is configured) and returns the link of the newest
// mail to to whose subject holds subject.
func mailLink(t *testing.T, env *apitest.Env, dir, to, subject string) string {
	t.Helper()
	w := &notify.Worker{Pool: env.DB.Pool, PublicURL: env.Server.URL, Logger: slog.New(slog.DiscardHandler),
		Sender: &notify.DirSender{Envelope: notify.Envelope{From: "Pixel Pals <pals@example.org>", PublicURL: env.Server.URL}, Dir: dir}}
	for {
		n, err := w.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "notification-*.eml"))
	link := ""
	for _, f := range files { // in id order, as long as ids have the same width
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if !strings.Contains(m.Header.Get("To"), to) || !strings.Contains(subj, subject) {
			continue
		}
		link = regexp.MustCompile(`https?://[^\s"<>]+`).FindString(plainText(t, m))
	}
	if !strings.HasPrefix(link, env.Server.URL+"/#/") {
		t.Fatalf("no mail to %s about %q with a link (%d mails): %q", to, subject, len(files), link)
	}
	return strings.TrimPrefix(link, env.Server.URL+"/")
}

// plainText is a mail's decoded text/plain part.
func plainText(t *testing.T, m *mail.Message) string {
	t.Helper()
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			b, _ := io.ReadAll(part) // quoted-printable is decoded by the reader
			return string(b)
		}
	}
}

// verifyInBrowser opens the mailed verification link in p's browser (once
// more: refused), then the admin sees the address confirmed.
func verifyInBrowser(t *testing.T, env *apitest.Env, dir string, b *Browser, p *User, admin *apitest.Client) {
	t.Helper()
	verify := mailLink(t, env, dir, "carol@example.com", "Confirm your email address")
	p.visit(verify)
	p.see("your email address is confirmed")
	p.until("the token gone from the address bar", `location.hash === "#/verify-email"`)
	p.check("verify-email")
	p.visit(verify)
	p.see("doesn't work any more")
	p.check("verify-email-used")

	ad := b.user("admin")
	ad.login(admin.Login, admin.Password)
	ad.see("carol@example.com")
	ad.see("Email confirmed")
	ad.check("admin-pending-verified")
}

// TestBrowserRecovery: sign-up's "check your email" step, the page the
// verification link opens (the admin then sees the address confirmed),
// "Forgot password?" on the login page, and the page the reset link opens:
// the new password works, the link only once, and no token stays in the
// address bar.
func TestBrowserRecovery(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	dir := t.TempDir()
	b := newBrowser(t, env.Server.URL)

	p := b.user("parent Carol")
	p.visit("#/signup")
	p.fill("", "Your name", "Carol")
	p.fill("", "Email", "carol@example.com")
	p.fill("", "Password", "carol-password")
	p.click("", "Create account")
	p.see("Check your email")
	p.see("carol@example.com")
	p.check("signup-check-email")

	verifyInBrowser(t, env, dir, b, p, admin)

	p.visit("#/login")
	p.click("", "Forgot password?")
	p.see("Forgot your password?")
	p.check("forgot-password")
	p.fill("", "Email", "carol@example.com")
	p.click("", "Send me a link")
	p.see("we sent it a link to set a new password")
	p.check("forgot-password-sent")

	reset := mailLink(t, env, dir, "carol@example.com", "Set a new password")
	p.visit(reset)
	p.see("Choose a new password")
	p.until("the token gone from the address bar", `location.hash === "#/reset-password"`)
	p.fill("", "New password", "short")
	p.click("", "Set password")
	p.until("the password error next to its field", `document.querySelector("input[name=password][aria-invalid=true]")`)
	p.check("reset-password")
	p.fill("", "New password", "carol-new-password")
	p.click("", "Set password")
	p.see("Your password is changed")
	p.check("reset-password-done")
	p.login("carol@example.com", "carol-new-password")
	p.see("Awaiting approval")

	// The used link sets nothing.
	used := b.user("someone with the old mail")
	used.visit(reset)
	used.fill("", "New password", "another-password")
	used.click("", "Set password")
	used.see("doesn't work any more")
	used.check("reset-password-used")
	env.Anonymous().Must(200, "POST", "/auth/login", map[string]string{"login": "carol@example.com", "password": "carol-new-password"}, nil)
}
