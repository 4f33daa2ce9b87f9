package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
	"pixelpals/internal/ratelimit"
)

// Verified parent emails and password recovery (issue 22.4,
// docs/security.md). The links these mails carry are made by the
// notification worker (notify/tokens.go), which stores only their hashes
// in account_tokens; here they are spent.

// SignupAttemptMails bounds the "someone tried to sign up with your
// address" mails per address (3, then one an hour), so that the sign-up
// form cannot be used to flood someone's mailbox.
var SignupAttemptMails = ratelimit.Rate{PerSecond: 1.0 / 3600, Burst: 3}

// SignUp creates a parent awaiting approval and queues the mail that
// verifies their address. When the address already has an account it
// answers the same way, with ids and times fresh from the same sequences
// and clock, so that sign-up cannot tell anyone whether an address is
// registered; the address's owner is mailed instead (signUpTaken).
//
// The address is looked up before the INSERT, so that a taken one takes
// exactly one id from each sequence, as a new one does: a failed INSERT
// would take one more and leave a gap that tells.
func (db *DB) SignUp(ctx context.Context, email, passwordHash, displayName string) (domain.User, domain.Profile, error) {
	var u domain.User
	var p domain.Profile
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, email).Scan(&taken); err != nil {
			return fmt.Errorf("look up a sign-up's address: %w", err)
		}
		var err error
		if taken {
			u, p, err = db.signUpTaken(ctx, tx, email, displayName)
			return err
		}
		u, p, err = createAccount(ctx, tx, NewAccount{Email: email, PasswordHash: passwordHash, Role: domain.RoleParent, DisplayName: displayName})
		if err != nil {
			return err
		}
		return notify.Queue(ctx, tx, notify.Note{To: u.ID, Kind: notify.VerifyEmail})
	})
	if domain.ErrorCode(err) == domain.CodeConflict { // signed up at the same moment by another request
		err = db.Transact(ctx, func(tx pgx.Tx) error {
			var err error
			u, p, err = db.signUpTaken(ctx, tx, email, displayName)
			return err
		})
	}
	return u, p, err
}

// signUpTaken answers a sign-up with a taken address as if it were new,
// and tells the address's owner: a parent who never verified it gets a
// link to choose the account's password, which verifies it (they most
// likely lost the first link; but the account may also be a stranger's,
// made with their address, whom a plain verification link would have them
// vouch for), anyone else a "someone tried to sign up with your address"
// mail.
func (db *DB) signUpTaken(ctx context.Context, tx pgx.Tx, email, displayName string) (domain.User, domain.Profile, error) {
	u := domain.User{Email: email, Role: domain.RoleParent}
	p := domain.Profile{DisplayName: displayName}
	var owner int64
	var unverified bool
	err := tx.QueryRow(ctx, `
		SELECT nextval(pg_get_serial_sequence('users', 'id')), nextval(pg_get_serial_sequence('profiles', 'id')),
		       CURRENT_TIMESTAMP, coalesce(o.id, 0), coalesce(o.role = 'PARENT' AND o.email_verified_at IS NULL, false)
		FROM (SELECT) AS one
		LEFT JOIN users o ON o.email = $1 AND o.deleted_at IS NULL AND o.role <> 'CHILD'`, email).
		Scan(&u.ID, &p.ID, &u.CreatedAt, &owner, &unverified)
	if err != nil {
		return u, p, fmt.Errorf("sign-up with a taken address: %w", err)
	}
	p.UserID, p.CreatedAt, p.UpdatedAt = u.ID, u.CreatedAt, u.CreatedAt
	if owner == 0 {
		return u, p, nil
	}
	ok, _, err := ratelimit.TakeToken(ctx, db.Pool, SignupAttemptMails, "signup-mail:"+email)
	if err != nil || !ok {
		return u, p, err
	}
	kind := notify.SignupAttempt
	if unverified {
		kind = notify.ClaimAccount
	}
	return u, p, notify.Queue(ctx, tx, notify.Note{To: owner, Kind: kind})
}

// errBadLink is the answer to a link that is unknown, used or expired:
// which of them is not said.
func errBadLink(what string) error {
	return domain.Invalid("token", "this link does not work (any more): it was used already, or is too old; %s", what)
}

// spendToken marks an unused, unexpired token of purpose used and returns
// its account. Two requests spending one token at once are serialized by
// the row's lock: the second finds it used.
func spendToken(ctx context.Context, tx pgx.Tx, tokenHash []byte, purpose notify.Kind) (int64, error) {
	var userID int64
	err := tx.QueryRow(ctx, `
		UPDATE account_tokens SET used_at = CURRENT_TIMESTAMP
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP
		RETURNING user_id`, tokenHash, string(purpose)).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("spend %s token: %w", purpose, err)
	}
	// Every other link of the same purpose dies with this one.
	_, err = tx.Exec(ctx, `
		UPDATE account_tokens SET used_at = CURRENT_TIMESTAMP
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, string(purpose))
	if err != nil {
		return 0, fmt.Errorf("spend other %s tokens of user %d: %w", purpose, userID, err)
	}
	return userID, nil
}

// VerifyEmail spends a verification link and marks its account's address
// verified.
func (db *DB) VerifyEmail(ctx context.Context, token string) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		userID, err := spendToken(ctx, tx, notify.HashToken(token), notify.VerifyEmail)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE users SET email_verified_at = coalesce(email_verified_at, CURRENT_TIMESTAMP)
			WHERE id = $1 AND deleted_at IS NULL`, userID)
		if err != nil {
			return fmt.Errorf("verify email of user %d: %w", userID, err)
		}
		if tag.RowsAffected() == 0 {
			return errBadLink("sign up again with the same address for a new one")
		}
		return nil
	})
}

// RequestPasswordReset queues a reset link to the adult account of email,
// if there is one; otherwise it does nothing, and says nothing either way.
// Children have no address: their passwords stay with their parents.
func (db *DB) RequestPasswordReset(ctx context.Context, email string) error {
	return db.Transact(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			SELECT coalesce(max(id), 0) FROM users
			WHERE email = $1 AND deleted_at IS NULL AND role <> 'CHILD'`, email).Scan(&id)
		if err != nil {
			return fmt.Errorf("find the account of a reset: %w", err)
		}
		return notify.Queue(ctx, tx, notify.Note{To: id, Kind: notify.PasswordReset}) // To 0: nothing
	})
}

// ResetTokenUsable tells whether token is an unused, unexpired reset
// link, so that a request with a dead link is refused before the
// password is hashed (Argon2id's cost is for real resets only).
func (db *DB) ResetTokenUsable(ctx context.Context, token string) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM account_tokens
		               WHERE token_hash = $1 AND purpose = 'password_reset' AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP)`,
		notify.HashToken(token)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up a reset token: %w", err)
	}
	return ok, nil
}

// ResetPassword spends a reset link and sets its account's password to
// passwordHash, in one transaction: every session of the account ends, the
// address counts as verified (the link reached it), the change is audited
// as the account's own action from ip, and the address is told. It
// returns the account's email, whose failed logins the caller forgets.
func (db *DB) ResetPassword(ctx context.Context, token, passwordHash, ip string) (string, error) {
	var email string
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		userID, err := spendToken(ctx, tx, notify.HashToken(token), notify.PasswordReset)
		if err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRow(ctx, `
			UPDATE users AS u SET password_hash = $2, email_verified_at = coalesce(email_verified_at, CURRENT_TIMESTAMP)
			WHERE id = $1 AND deleted_at IS NULL AND role <> 'CHILD'
			RETURNING `+userColumns, userID, passwordHash))
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadLink("ask for a new one")
		}
		if err != nil {
			return fmt.Errorf("set password of user %d: %w", userID, err)
		}
		email = u.Email
		return afterPasswordReset(ctx, tx, u, ip)
	})
	return email, err
}

// afterPasswordReset ends u's sessions (their own: a parent's children
// keep theirs, their passwords did not change) and their devices' push
// subscriptions, audits the reset and queues the mail that tells the
// address. A device someone else logged in on and turned push on would
// otherwise go on hearing of the family's children after the reset; the
// owner turns push on again on their own devices.
func afterPasswordReset(ctx context.Context, tx pgx.Tx, u domain.User, ip string) error {
	tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID)
	if err != nil {
		return fmt.Errorf("end sessions of user %d: %w", u.ID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1`, u.ID); err != nil {
		return fmt.Errorf("end push subscriptions of user %d: %w", u.ID, err)
	}
	actor := &domain.Actor{UserID: u.ID, Role: u.Role, IP: ip}
	err = audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.PasswordReset, EntityType: "user", EntityID: u.ID,
		After: map[string]any{"sessions_ended": tag.RowsAffected()}})
	if err != nil {
		return err
	}
	return notify.Queue(ctx, tx, notify.Note{To: u.ID, Kind: notify.PasswordChanged})
}
