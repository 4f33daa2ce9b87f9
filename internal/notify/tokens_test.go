package notify

import (
	"fmt"
	"strings"
	"testing"
)

// TestAccountMailsRender: each mail about the reader's own account has its
// subject, the footer for someone who may not be a parent yet, and the
// right link: the token's page with the token for the two that carry one,
// the login page for the others; no token anywhere else in the mail.
func TestAccountMailsRender(t *testing.T) {
	const token = "TOKEN-abcdefghijklmnopqrstuvwxyz0123456789ABC"
	for kind, want := range map[Kind]string{
		VerifyEmail:     "https://pals.example.org/#/verify-email/" + token,
		PasswordReset:   "https://pals.example.org/#/reset-password/" + token,
		PasswordChanged: "https://pals.example.org/#/login",
		SignupAttempt:   "https://pals.example.org/#/login",
		ClaimAccount:    "https://pals.example.org/#/reset-password/" + token,
	} {
		m, err := render(pending{id: 9, kind: kind, email: "p@example.org", token: token}, "https://pals.example.org/")
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if m.Link != want || m.Subject != ProductName+": "+accountWordings[kind].subject {
			t.Errorf("%s: link %q subject %q, want %q", kind, m.Link, m.Subject, want)
		}
		for part, text := range map[string]string{"text": m.Text, "html": m.HTML} {
			if !strings.Contains(text, fmt.Sprintf(accountFooter, ProductName)) || strings.Contains(text, "because you are a parent") || strings.Contains(text, "%!") {
				t.Errorf("%s %s part: wrong footer or format:\n%s", kind, part, text)
			}
			if n := strings.Count(text, token); n != strings.Count(want, token) {
				t.Errorf("%s %s part holds the token %d times, want only in the link", kind, part, n)
			}
		}
	}
	if _, ok := TokenTTL[PasswordChanged]; ok || TokenTTL[PasswordReset].Minutes() != 30 || TokenTTL[VerifyEmail].Hours() != 24 {
		t.Fatalf("token lifetimes %v", TokenTTL)
	}
}

// TestVerifyMailWarnsStrangers: anyone can sign up with anyone's address,
// so the verification mail tells a reader who did not sign up not to open
// the link: opening it would mark a stranger's account as confirmed by
// them, which the admins trust when they approve parents.
func TestVerifyMailWarnsStrangers(t *testing.T) {
	m, err := render(pending{id: 9, kind: VerifyEmail, email: "p@example.org", token: "T"}, "https://pals.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Sentence, "If you did not sign up") || !strings.Contains(m.Sentence, "do not open the link") {
		t.Fatalf("the verification mail does not warn a reader who did not sign up:\n%s", m.Sentence)
	}
}
