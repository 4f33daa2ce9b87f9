package api

import (
	"net/http"

	"pixelpals/internal/auth"
	"pixelpals/internal/clientip"
	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// Verified emails and password recovery (issue 22.4, docs/security.md).
// The links are mailed by the notification worker; these routes spend
// them. None of them says whether an address has an account.

// ResetMailsPerAddress bounds the reset mails one address can be sent: 3
// at once, then one every 10 minutes. It is counted whether or not the
// address has an account, so a 429 tells nothing about it.
var ResetMailsPerAddress = ratelimit.Rate{PerSecond: 1.0 / 600, Burst: 3}

// ResetRequestsPerIP bounds the reset requests of one client address: 20
// at once, then one a minute, whatever the addresses asked about.
var ResetRequestsPerIP = ratelimit.Rate{PerSecond: 1.0 / 60, Burst: 20}

// resetAccepted is the one answer to every well-formed reset request.
var resetAccepted = map[string]string{
	"status":  "accepted",
	"message": "If an account uses this address, a link to set a new password is on its way; it works for 30 minutes.",
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (req *tokenRequest) validate() error { return checkLinkToken(req.Token) }

// checkLinkToken refuses what cannot be a mailed link's token (43
// characters of base64url) before any lookup.
func checkLinkToken(token string) error {
	if token == "" || len(token) > 100 {
		return domain.Invalid("token", "must be the code of the link you were mailed")
	}
	return nil
}

// verifyEmail spends the link mailed at sign-up.
func (a *API) verifyEmail(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	var req tokenRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	if err := a.db.VerifyEmail(r.Context(), req.Token); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"email_verified": true})
	return nil
}

type resetRequest struct {
	Email string `json:"email"`
}

func (req *resetRequest) validate() (err error) {
	req.Email, err = checkEmail(req.Email)
	return err
}

// requestPasswordReset mails a reset link to the address's adult account,
// if any, and answers 202 the same way in every case. Both branches do
// the same work here (two rate-limit takes, one lookup in a transaction;
// the known address adds one outbox row): the token is made later by the
// worker, so no hashing happens in either.
func (a *API) requestPasswordReset(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	var req resetRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	for _, limit := range []struct {
		l       ratelimit.Rate
		subject string
	}{{ResetRequestsPerIP, "reset-ip:" + clientip.From(ctx)}, {ResetMailsPerAddress, "reset-mail:" + req.Email}} {
		ok, wait, err := ratelimit.TakeToken(ctx, a.db.Pool, limit.l, limit.subject)
		if err != nil {
			return err
		}
		if !ok {
			return domain.RateLimited(wait, "too many password reset requests; try again later")
		}
	}
	if err := a.db.RequestPasswordReset(ctx, req.Email); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, resetAccepted)
	return nil
}

type resetConfirmRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (req *resetConfirmRequest) validate() error {
	if err := checkLinkToken(req.Token); err != nil {
		return err
	}
	return auth.CheckPassword("password", req.Password, auth.MinAdultPassword)
}

// confirmPasswordReset sets a new password with a reset link: the same
// rules and hashing as sign-up; every session of the account ends.
func (a *API) confirmPasswordReset(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	var req resetConfirmRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	ok, err := a.db.ResetTokenUsable(ctx, req.Token)
	if err != nil {
		return err
	}
	if !ok { // spared the hashing; ResetPassword checks again under the row's lock
		return domain.Invalid("token", "this link does not work (any more): it was used already, or is too old; ask for a new one")
	}
	hash, err := a.auth.HashPassword(ctx, req.Password)
	if err != nil {
		return err
	}
	email, err := a.db.ResetPassword(ctx, req.Token, hash, clientip.From(ctx))
	if err != nil {
		return err
	}
	// The owner is back in: earlier failed logins no longer lock them out.
	if err := ratelimit.ClearFailures(ctx, a.db.Pool, "acct:"+store.NormalizeLogin(email)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"password_changed": true})
	return nil
}
