// Package auth logs people in and out: password policy and hashing, login
// throttling, and opaque session tokens that the database stores only as
// hashes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/password"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// Limits of the login throttle: per account name and per client address.
type Limits struct {
	AccountFailures int
	IPFailures      int
	Window          time.Duration
	Lockout         time.Duration
}

// DefaultLimits lock an account name out for 15 minutes after 5 failures
// in 15 minutes, and a client address after 30.
var DefaultLimits = Limits{AccountFailures: 5, IPFailures: 30, Window: 15 * time.Minute, Lockout: 15 * time.Minute}

// Service authenticates users.
type Service struct {
	db     *store.DB
	hasher *password.Hasher
	// The login throttle's limits, kept in the database (ratelimit.LockedOut)
	// so that they hold across instances.
	accounts ratelimit.FailureLimit
	ips      ratelimit.FailureLimit
}

// New builds the service. At most GOMAXPROCS hashes run at once, so
// concurrent logins use at most that many times Argon2id's memory
// (19 MiB each with the default parameters).
func New(db *store.DB, params password.Params, limits Limits) *Service {
	return &Service{
		db:       db,
		hasher:   password.NewHasher(params, runtime.GOMAXPROCS(0)),
		accounts: ratelimit.FailureLimit{Max: limits.AccountFailures, Window: limits.Window, Lockout: limits.Lockout}.Check(),
		ips:      ratelimit.FailureLimit{Max: limits.IPFailures, Window: limits.Window, Lockout: limits.Lockout}.Check(),
	}
}

// Password lengths (bytes) per SPEC §3: parents choose children's.
const (
	MinAdultPassword = 8
	MinChildPassword = 6
	MaxPassword      = 256
)

// CheckPassword applies the length policy and rejects NUL bytes.
func CheckPassword(field, pw string, min int) error {
	switch {
	case len(pw) < min:
		return domain.Invalid(field, "must be at least %d characters", min)
	case len(pw) > MaxPassword:
		return domain.Invalid(field, "must be at most %d characters", MaxPassword)
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] == 0 {
			return domain.Invalid(field, "must not contain NUL bytes")
		}
	}
	return nil
}

// HashPassword hashes pw with the service's Argon2id parameters.
func (s *Service) HashPassword(ctx context.Context, pw string) (string, error) {
	h, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

var errBadLogin = &domain.Error{Code: domain.CodeInvalidCredentials, Message: "wrong login or password"}

// Session is a new login.
type Session struct {
	Token  string
	UserID int64
}

// Login checks a login name (email or child login) and password and opens
// a session. An unknown login and a wrong password give the same error
// after the same work: a dummy hash is verified for unknown logins.
func (s *Service) Login(ctx context.Context, login, pw, ip string) (Session, error) {
	login = store.NormalizeLogin(login)
	acctKey, ipKey := "acct:"+login, "ip:"+ip
	if err := s.notLockedOut(ctx, acctKey, ipKey); err != nil {
		return Session{}, err
	}
	creds, rehash, err := s.verifyLogin(ctx, login, pw, acctKey, ipKey)
	if err != nil {
		return Session{}, err
	}
	if err := ratelimit.ClearFailures(ctx, s.db.Pool, acctKey); err != nil {
		return Session{}, err
	}
	// The password was right, so saying why the account cannot log in
	// tells nothing to someone who does not already own it.
	if err := canLogIn(creds); err != nil {
		return Session{}, err
	}
	checked := creds.PasswordHash
	if rehash {
		if checked, err = s.upgradeHash(ctx, creds, pw); err != nil {
			return Session{}, err
		}
	}
	return s.openSession(ctx, creds.UserID, checked)
}

// notLockedOut refuses a login while its address or its account name is
// locked out by the throttle, the address first.
func (s *Service) notLockedOut(ctx context.Context, acctKey, ipKey string) error {
	waits, err := ratelimit.LockedOut(ctx, s.db.Pool, ipKey, acctKey)
	if err != nil {
		return err
	}
	if waits[0] > 0 {
		return domain.RateLimited(waits[0], "too many failed logins from this address; try again later")
	}
	if waits[1] > 0 {
		return domain.RateLimited(waits[1], "too many failed logins for this account; try again later")
	}
	return nil
}

// verifyLogin returns the account of a login whose password is pw, and
// whether its hash should be redone with today's parameters. An unknown
// login and a wrong password are both counted as failures and both return
// errBadLogin.
func (s *Service) verifyLogin(ctx context.Context, login, pw, acctKey, ipKey string) (creds store.Credentials, rehash bool, err error) {
	creds, err = s.db.CredentialsByLogin(ctx, login)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		s.hasher.DummyVerify(ctx, pw)
		return store.Credentials{}, false, s.fail(ctx, acctKey, ipKey)
	}
	if err != nil {
		return store.Credentials{}, false, err
	}
	ok, rehash, err := s.hasher.Verify(ctx, pw, creds.PasswordHash)
	if err != nil && !errors.Is(err, password.ErrMalformedHash) {
		return store.Credentials{}, false, fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		return store.Credentials{}, false, s.fail(ctx, acctKey, ipKey)
	}
	return creds, rehash, nil
}

// canLogIn refuses a suspended account, and a child's whose parent cannot
// use the service.
func canLogIn(creds store.Credentials) error {
	switch {
	case creds.Suspended:
		return domain.Errorf(domain.CodeAccountSuspended, "this account is suspended")
	case !creds.ParentUsable:
		return domain.Errorf(domain.CodeAccountUnavailable, "this account cannot be used until your parent's account is approved and active")
	}
	return nil
}

// upgradeHash rehashes a verified password with today's parameters and
// returns the hash the account now has: the new one if it replaced the
// checked one, the checked one if hashing failed or a reset came first.
func (s *Service) upgradeHash(ctx context.Context, creds store.Credentials, pw string) (string, error) {
	checked := creds.PasswordHash
	h, err := s.HashPassword(ctx, pw)
	if err != nil {
		return checked, nil
	}
	replaced, err := s.db.RehashPassword(ctx, creds.UserID, checked, h)
	if err != nil {
		return "", err
	}
	if replaced {
		return h, nil
	}
	return checked, nil
}

// openSession opens a session for the user only if checked, the verified
// hash, is still the account's: a reset during the check turns this login
// into a failed one.
func (s *Service) openSession(ctx context.Context, userID int64, checked string) (Session, error) {
	token, hash, err := NewToken()
	if err != nil {
		return Session{}, err
	}
	if _, err := s.db.CreateSession(ctx, userID, checked, hash); err != nil {
		if domain.ErrorCode(err) == domain.CodeUnauthorized {
			return Session{}, errBadLogin
		}
		return Session{}, err
	}
	return Session{Token: token, UserID: userID}, nil
}

// fail counts a failed login against its account name and address and
// returns what the client is told: errBadLogin, or the error that kept
// the failure from being counted (a limit not kept is not waived). It is
// counted even if the client has gone: by then the guess was checked.
func (s *Service) fail(ctx context.Context, acctKey, ipKey string) error {
	err := ratelimit.RecordFailures(context.WithoutCancel(ctx), s.db.Pool,
		ratelimit.Failure{Limit: s.accounts, Subject: acctKey}, ratelimit.Failure{Limit: s.ips, Subject: ipKey})
	if err != nil {
		return err
	}
	return errBadLogin
}

// Authenticate resolves a session token to its actor.
func (s *Service) Authenticate(ctx context.Context, token string) (*domain.Actor, error) {
	if err := checkTokenShape(token); err != nil {
		return nil, err
	}
	actor, err := s.db.SessionActor(ctx, HashToken(token))
	return actor, s.whyEnded(ctx, token, err)
}

// AuthenticateForSend is Authenticate for a send: it also returns the
// send gate, read with the session (store.SessionForSend), or, with
// remembered, possibly the sender's lookup of their last send
// (store.RememberedSessionForSend), which the send's INSERT checks.
func (s *Service) AuthenticateForSend(ctx context.Context, token string, remembered bool) (*domain.Actor, *store.SendGate, error) {
	if err := checkTokenShape(token); err != nil {
		return nil, nil, err
	}
	lookup := s.db.SessionForSend
	if remembered {
		lookup = s.db.RememberedSessionForSend
	}
	actor, gate, err := lookup(ctx, HashToken(token))
	return actor, gate, s.whyEnded(ctx, token, err)
}

// ForgetSendSession drops token's remembered send lookup
// (store.ForgetSendSession).
func (s *Service) ForgetSendSession(token string) { s.db.ForgetSendSession(HashToken(token)) }

// whyEnded turns a lookup's unauthorized into the reason the session was
// ended, when one was remembered (store.EndedSession): a parent whose
// sign-up an admin declined is told so, not just "log in again". Any
// other error is returned as it is.
func (s *Service) whyEnded(ctx context.Context, token string, err error) error {
	if domain.ErrorCode(err) != domain.CodeUnauthorized {
		return err
	}
	if ended := s.EndedSession(ctx, token); ended != nil {
		return ended
	}
	return err
}

// EndedSession is the error telling why token's session was ended, or nil
// when nothing was remembered about it. A login from the browser that
// held the session uses it too.
func (s *Service) EndedSession(ctx context.Context, token string) error {
	if checkTokenShape(token) != nil {
		return nil
	}
	reason, err := s.db.EndedSession(ctx, HashToken(token))
	if err != nil || reason != store.EndedRejected {
		return nil // the plain answer is still true
	}
	return errRejected
}

var errRejected = &domain.Error{Code: domain.CodeAccountRejected,
	Message: "an admin declined this parent account and removed it; you may sign up again or write to the admins"}

// checkTokenShape refuses what cannot be a token before any lookup.
func checkTokenShape(token string) error {
	if token == "" || len(token) > 200 {
		return domain.Errorf(domain.CodeUnauthorized, "not logged in")
	}
	return nil
}

// NewToken returns a random session token and the hash to store.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is how a token is stored and looked up. A plain SHA-256 is
// enough: the token has 256 bits of entropy, so it cannot be guessed from
// its hash the way a password could.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CSRFToken derives the anti-CSRF token of a session from its token, so
// the server can check it without storing it; without the session cookie
// (which scripts on other sites cannot read) it cannot be computed.
func CSRFToken(sessionToken string) string {
	h := sha256.Sum256([]byte("pixelpals-csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CheckCSRF compares a presented CSRF token with the session's, in
// constant time.
func CheckCSRF(sessionToken, presented string) bool {
	want := CSRFToken(sessionToken)
	return subtle.ConstantTimeCompare([]byte(want), []byte(presented)) == 1
}
