package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"pixelpals/internal/locale"
)

// Mails about the parent's own account (issue 22.4, docs/security.md).
// They are queued like the others (ids only); the two that carry a link
// that acts (verify the address, set a new password) get their token here,
// when the worker writes the mail: the token exists in the mail and
// nowhere else, and the database keeps only its SHA-256 (account_tokens).
// A mail sent again after a failure carries a fresh token; the earlier one
// was never seen and simply expires.
const (
	VerifyEmail     Kind = "verify_email"     // confirm the address you signed up with
	PasswordReset   Kind = "password_reset"   // a link to set a new password, asked for on the login page
	PasswordChanged Kind = "password_changed" // your password was changed with such a link
	SignupAttempt   Kind = "signup_attempt"   // someone tried to sign up with your address
	// ClaimAccount answers a sign-up with the address of a parent account
	// that was never confirmed: a link to choose its password, which
	// confirms the address. Not a plain verification link: the account's
	// password was chosen by whoever signed up first, perhaps not the
	// address's owner, whom the link must not make vouch for it.
	ClaimAccount Kind = "claim_account"
)

// TokenTTL is how long a link of each token kind works.
var TokenTTL = map[Kind]time.Duration{
	VerifyEmail:   24 * time.Hour,
	PasswordReset: 30 * time.Minute,
	ClaimAccount:  24 * time.Hour, // as the verification link it stands for
}

// tokenPurpose is what a kind's link is stored as (account_tokens.purpose),
// when that is not the kind itself: a claim link is spent as a reset.
var tokenPurpose = map[Kind]Kind{ClaimAccount: PasswordReset}

// tokenPages are the web UI's routes that take a token (app.js).
var tokenPages = map[Kind]string{
	VerifyEmail:   "verify-email",
	PasswordReset: "reset-password",
	ClaimAccount:  "reset-password",
}

// HashToken is how an account token is stored and looked up. A plain
// SHA-256 suffices: the token is 256 random bits, so its hash cannot be
// searched back to it the way a password's could.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// mintToken makes the token of notification p's link and stores its hash
// for the notification's recipient. Old, expired tokens of the recipient
// are removed on the way, so the table stays small.
func (w *Worker) mintToken(ctx context.Context, p pending) (string, error) {
	purpose := p.kind
	if pp, ok := tokenPurpose[p.kind]; ok {
		purpose = pp
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token for notification %d: %w", p.id, err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	tag, err := w.Pool.Exec(ctx, `
		WITH old AS (
			DELETE FROM account_tokens
			WHERE user_id = (SELECT recipient_id FROM notifications WHERE id = $1)
			  AND expires_at < CURRENT_TIMESTAMP - interval '1 day'
		)
		INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at)
		SELECT $2, n.recipient_id, $4, CURRENT_TIMESTAMP + $3 * interval '1 second'
		FROM notifications n JOIN users u ON u.id = n.recipient_id AND u.deleted_at IS NULL
		WHERE n.id = $1`, p.id, HashToken(token), TokenTTL[p.kind].Seconds(), string(purpose))
	if err != nil {
		return "", fmt.Errorf("store token of notification %d: %w", p.id, err)
	}
	if tag.RowsAffected() != 1 {
		return "", fmt.Errorf("token of notification %d: %w", p.id, errGone)
	}
	return token, nil
}

// renderMail writes p's mail, with a fresh token for the kinds whose link
// needs one.
func (w *Worker) renderMail(ctx context.Context, p pending) (Mail, error) {
	if _, ok := TokenTTL[p.kind]; !ok {
		return render(p, w.PublicURL)
	}
	token, err := w.mintToken(ctx, p)
	if err != nil {
		return Mail{}, err
	}
	p.token = token
	return render(p, w.PublicURL)
}

// accountWordings are the sentences of the mails about the reader's own
// account. They may reach someone who is not (yet) a parent there, hence
// their own footer.
var accountWordings = map[Kind]wording{
	VerifyEmail: {locale.Text("Confirm your email address"), locale.Text("Please confirm that this address is yours: open the link below within 24 hours. " +
		"An administrator still approves each parent account before it can add children. " +
		"If you did not sign up for Pixel Pals, do not open the link: ignore this mail, and the address stays unconfirmed."), ""},
	PasswordReset: {locale.Text("Set a new password"), locale.Text("Someone, hopefully you, asked to set a new password for the account of this address. " +
		"The link below works once, for 30 minutes. If it was not you, ignore this mail: your password stays as it is."), ""},
	PasswordChanged: {locale.Text("Your password was changed"), locale.Text("The password of the account of this address was changed with a reset link, " +
		"and every session of the account was logged out. If that was not you, set a new password at once with " +
		"\"Forgot password?\" on the login page, and tell the administrators."), "login"},
	ClaimAccount: {locale.Text("Finish signing up: choose your password"), locale.Text("Someone signed up with this address, which already has an account " +
		"that was never confirmed. If it was you, open the link below within 24 hours and choose your password: that confirms " +
		"the address and logs out anyone else. If it was not you, ignore this mail."), ""},
	SignupAttempt: {locale.Text("Someone tried to sign up with your address"), locale.Text("Someone tried to sign up with this address, which already has an account. " +
		"If it was you, log in, or use \"Forgot password?\" on the login page. If it was not, you need do nothing."), "login"},
}

var accountFooter = locale.Text("This mail was sent by %s about the account of this address. It never contains a password.")

// accountLink is the link of an account mail: the page that takes its
// token, or the page of its wording. The token rides in the URL's
// fragment, which browsers never send to a server, so no access log or
// Referer holds it.
func accountLink(publicURL string, p pending) string {
	if page, ok := tokenPages[p.kind]; ok {
		return strings.TrimRight(publicURL, "/") + "/#/" + page + "/" + p.token
	}
	return Link(publicURL, accountWordings[p.kind].page, 0)
}
