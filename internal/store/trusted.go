package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// Trusted grown-ups (issue 21.3, docs/schema.md "Trusted grown-ups"): an
// approved parent of another family whom every guardian of a child
// approved may share a direct conversation with that child (rule.go). The
// adult makes a one-time code and gives it to a guardian, who proposes
// them; each guardian approves; any guardian, or the adult, revokes.
//
// Becoming active or being revoked changes who may share a conversation
// with the child, so each change takes the rule locks of the child and of
// the adult (rule.go's order) and re-checks the conversations holding
// both, as removing a guardian does (recheckGuardian).

// TrustedAdult is one trusted grown-up of a child, as the guardians see it.
type TrustedAdult struct {
	AdultID     int64             `json:"adult_id"`
	DisplayName string            `json:"display_name"`
	Status      string            `json:"status"` // "pending" or "active"
	ProposedBy  *int64            `json:"proposed_by"`
	ProposedAt  time.Time         `json:"proposed_at"`
	ActiveAt    *time.Time        `json:"active_at"`
	Approvals   []TrustedApproval `json:"approvals"`
}

// TrustedApproval is one guardian's approval of a trusted grown-up.
type TrustedApproval struct {
	GuardianID  int64  `json:"guardian_id"`
	DisplayName string `json:"display_name"`
}

// ChatPartner is someone on the other end of a trusted link, as a list
// to start a chat from shows them: a child the actor is an active trusted
// grown-up of, or a child's active trusted grown-up.
type ChatPartner struct {
	ID          int64   `json:"id"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
}

// chatPartners runs query (selecting id, display name, avatar URL) and
// collects its rows; what names them in an error.
func (db *DB) chatPartners(ctx context.Context, what, query string, args ...any) ([]ChatPartner, error) {
	rows, err := db.Pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChatPartner, error) {
		var p ChatPartner
		return p, r.Scan(&p.ID, &p.DisplayName, &p.AvatarURL)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ps, nil
}

// ParseTrustedCode normalizes a trusted grown-up's code as typed.
func ParseTrustedCode(s string) (string, error) {
	c, err := parseCode(s, guardianCodeLength)
	if err != nil {
		return "", domain.Invalid("code", "must be the %d-character code the grown-up gave you", guardianCodeLength)
	}
	return c, nil
}

// hashTrustedCode is domain-separated from the guardian invitations' hash,
// so a code of one kind never matches the other.
func hashTrustedCode(code string) []byte {
	sum := sha256.Sum256([]byte("trusted-invite:" + code))
	return sum[:]
}

// errNoTrustedCode answers unknown, used and expired codes alike; field
// "code" marks it for the lock-out on guesses.
var errNoTrustedCode = &domain.Error{Code: domain.CodeNotFound, Field: "code",
	Message: "no open code is this one: it is wrong, was used already, or is more than 7 days old"}

// CreateTrustedInvite makes a one-time code by which a guardian can
// propose the acting parent as a trusted grown-up. The code is returned
// here and nowhere else.
func (db *DB) CreateTrustedInvite(ctx context.Context, actor *domain.Actor) (GuardianInvite, error) {
	var inv GuardianInvite
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		code, err := randomCode(guardianCodeLength)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRow(ctx, `
			INSERT INTO trusted_invites (adult_id, code_hash, expires_at)
			VALUES ($1, $2, CURRENT_TIMESTAMP + $3::interval)
			RETURNING id, expires_at`, actor.UserID, hashTrustedCode(code), GuardianInviteTTL).Scan(&id, &inv.ExpiresAt)
		if err != nil {
			return fmt.Errorf("store trusted invite: %w", err)
		}
		inv.Code = code
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.TrustedInvite, EntityType: "user", EntityID: actor.UserID,
			After: map[string]any{"invite_id": id, "expires_at": inv.ExpiresAt}})
	})
	return inv, err
}

// ProposeTrusted spends the code of an adult and proposes them as trusted
// for childID, with the proposer's approval; any guardian of the child
// may. The adult must be an approved parent and no guardian of the child.
func (db *DB) ProposeTrusted(ctx context.Context, actor *domain.Actor, childID int64, code string) (TrustedAdult, error) {
	hash := hashTrustedCode(code)
	var adultID int64
	err := db.Pool.QueryRow(ctx, `SELECT adult_id FROM trusted_invites WHERE code_hash = $1`, hash).Scan(&adultID)
	if errors.Is(err, pgx.ErrNoRows) {
		return TrustedAdult{}, errNoTrustedCode
	}
	if err != nil {
		return TrustedAdult{}, fmt.Errorf("look up trusted invite: %w", err)
	}
	err = db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID, childID, adultID); err != nil {
			return err
		}
		if _, err := guardedChild(ctx, tx, actor, childID); err != nil {
			return err
		}
		// The code first, so that a used or expired code gets one answer
		// whoever it names; a refusal below rolls its spending back.
		inviteID, err := spendTrustedCode(ctx, tx, actor, hash)
		if err != nil {
			return err
		}
		if err := mayBeTrusted(ctx, tx, childID, adultID); err != nil {
			return err
		}
		return propose(ctx, tx, actor, inviteID, childID, adultID)
	})
	if err != nil {
		return TrustedAdult{}, err
	}
	return db.trustedAdult(ctx, actor, childID, adultID)
}

// mayBeTrusted: the adult is an approved, usable parent (a parent account
// that could be the child's primary: ParentUsableSQL), no guardian of the
// child, and not proposed for them yet.
func mayBeTrusted(ctx context.Context, tx pgx.Tx, childID, adultID int64) error {
	var ok, guardian, proposed bool
	err := tx.QueryRow(ctx, `
		SELECT a.role = 'PARENT' AND `+ParentUsableSQL("k", "a")+`,
		       `+GuardianSQL("k", "a.id")+`,
		       EXISTS (SELECT 1 FROM trusted_adults t WHERE t.child_id = k.id AND t.adult_id = a.id)
		FROM users a, users k WHERE a.id = $1 AND k.id = $2`, adultID, childID).Scan(&ok, &guardian, &proposed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errNoTrustedCode
	case err != nil:
		return fmt.Errorf("check trusted adult %d: %w", adultID, err)
	case !ok:
		return domain.Errorf(domain.CodeConflict, "this grown-up's account is not an approved parent's account")
	case guardian:
		return domain.Errorf(domain.CodeConflict, "this grown-up is a guardian of the child already")
	case proposed:
		return domain.Errorf(domain.CodeConflict, "this grown-up is proposed for this child already")
	}
	return nil
}

// spendTrustedCode marks an open code used and returns its invite's id.
func spendTrustedCode(ctx context.Context, tx pgx.Tx, actor *domain.Actor, hash []byte) (int64, error) {
	var inviteID int64
	err := tx.QueryRow(ctx, `
		UPDATE trusted_invites SET used_by = $2, used_at = CURRENT_TIMESTAMP
		WHERE code_hash = $1 AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP
		RETURNING id`, hash, actor.UserID).Scan(&inviteID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, errNoTrustedCode
	}
	if err != nil {
		return 0, fmt.Errorf("spend trusted invite: %w", err)
	}
	return inviteID, nil
}

// propose writes the proposal and the proposer's approval.
func propose(ctx context.Context, tx pgx.Tx, actor *domain.Actor, inviteID, childID, adultID int64) error {
	if _, err := tx.Exec(ctx, `INSERT INTO trusted_adults (child_id, adult_id, proposed_by) VALUES ($1, $2, $3)`,
		childID, adultID, actor.UserID); err != nil {
		return fmt.Errorf("propose trusted adult %d for %d: %w", adultID, childID, err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.TrustedPropose, EntityType: "user", EntityID: childID,
		After: map[string]any{"child_id": childID, "adult_id": adultID, "invite_id": inviteID}}); err != nil {
		return err
	}
	return approveTrusted(ctx, tx, actor, childID, adultID, eventlog.TrustedProposed)
}

// ApproveTrusted records the acting guardian's approval of adultID for
// childID; the link becomes active once every guardian approved.
func (db *DB) ApproveTrusted(ctx context.Context, actor *domain.Actor, childID, adultID int64) (TrustedAdult, error) {
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID, childID, adultID); err != nil {
			return err
		}
		if _, err := guardedChild(ctx, tx, actor, childID); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM trusted_adults WHERE child_id = $1 AND adult_id = $2)`,
			childID, adultID).Scan(&exists); err != nil {
			return fmt.Errorf("read trusted adult %d of %d: %w", adultID, childID, err)
		}
		if !exists {
			return domain.Errorf(domain.CodeNotFound, "no such trusted grown-up of this child")
		}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.TrustedApprove, EntityType: "user", EntityID: childID,
			After: map[string]any{"child_id": childID, "adult_id": adultID}}); err != nil {
			return err
		}
		return approveTrusted(ctx, tx, actor, childID, adultID, eventlog.TrustedApproved)
	})
	if err != nil {
		return TrustedAdult{}, err
	}
	return db.trustedAdult(ctx, actor, childID, adultID)
}

// approveTrusted records the guardian's approval (again is a no-op), activates
// the link when every guardian the child has now approved, re-checks the
// pair's conversations and tells the guardians (and the adult, once
// active).
func approveTrusted(ctx context.Context, tx pgx.Tx, actor *domain.Actor, childID, adultID int64, typ eventlog.Type) error {
	if _, err := tx.Exec(ctx, `
		INSERT INTO trusted_approvals (child_id, adult_id, guardian_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, childID, adultID, actor.UserID); err != nil {
		return fmt.Errorf("approve trusted adult %d for %d: %w", adultID, childID, err)
	}
	var activated bool
	err := tx.QueryRow(ctx, `
		WITH up AS (
			UPDATE trusted_adults t SET active_at = CURRENT_TIMESTAMP
			WHERE t.child_id = $1 AND t.adult_id = $2 AND t.active_at IS NULL
			  AND NOT EXISTS (
				SELECT 1 FROM (`+guardianIDsSQL("$1")+`) g(id)
				WHERE NOT EXISTS (SELECT 1 FROM trusted_approvals a
					WHERE a.child_id = $1 AND a.adult_id = $2 AND a.guardian_id = g.id))
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM up)`, childID, adultID).Scan(&activated)
	if err != nil {
		return fmt.Errorf("activate trusted adult %d for %d: %w", adultID, childID, err)
	}
	if activated {
		typ = eventlog.TrustedActivated
	}
	if err := trustedEvent(ctx, tx, typ, childID, adultID, activated, activated); err != nil {
		return err
	}
	return recheckGuardian(ctx, tx, actor.UserID, adultID, childID)
}

// trustedChange is the data of the trusted.* events.
type trustedChange struct {
	ChildID int64 `json:"child_id"`
	AdultID int64 `json:"adult_id"`
}

// trustedEvent tells the child's guardians of a change of adultID's link;
// the adult hears of it too when toAdult, the child when toChild: only
// of a link that is or was active, which is all GET /me/trusted-adults
// ever shows the child (a pending proposal is the guardians' business).
func trustedEvent(ctx context.Context, tx pgx.Tx, typ eventlog.Type, childID, adultID int64, toAdult, toChild bool) error {
	g, err := guardiansOf(ctx, tx, []int64{childID})
	if err != nil {
		return err
	}
	to := g[childID]
	if toAdult {
		to = append(to, adultID)
	}
	if toChild {
		to = append(to, childID)
	}
	return eventlog.Append(ctx, tx, []eventlog.Event{{Type: typ, To: to, About: []int64{childID},
		Data: trustedChange{ChildID: childID, AdultID: adultID}}})
}

// RevokeTrusted ends adultID's link with childID, pending or active: any
// guardian of the child may, or the adult themself. Every conversation of
// the pair's is re-checked (and freezes), as revoking a contact does.
func (db *DB) RevokeTrusted(ctx context.Context, actor *domain.Actor, childID, adultID int64) error {
	return db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID, childID, adultID); err != nil {
			return err
		}
		if actor.UserID != adultID {
			if _, err := guardedChild(ctx, tx, actor, childID); err != nil {
				return err
			}
		}
		var wasActive bool
		err := tx.QueryRow(ctx, `DELETE FROM trusted_adults WHERE child_id = $1 AND adult_id = $2 RETURNING active_at IS NOT NULL`,
			childID, adultID).Scan(&wasActive)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.CodeNotFound, "no such trusted grown-up of this child")
		}
		if err != nil {
			return fmt.Errorf("revoke trusted adult %d of %d: %w", adultID, childID, err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.TrustedRevoke, EntityType: "user", EntityID: childID,
			Before: map[string]any{"child_id": childID, "adult_id": adultID, "active": wasActive}}); err != nil {
			return err
		}
		// The adult and the child hear of it only when the link was
		// active: REST never showed either of them a pending one
		// (GET /me/trusted-children, GET /me/trusted-adults).
		if err := trustedEvent(ctx, tx, eventlog.TrustedRevoked, childID, adultID, wasActive, wasActive); err != nil {
			return err
		}
		return recheckGuardian(ctx, tx, actor.UserID, adultID, childID)
	})
}

// trustedAdultsSQL lists the trusted grown-ups of child $1 for guardian
// $2 (none for anyone else), with their approvers.
var trustedAdultsSQL = `
	SELECT t.adult_id, coalesce(p.display_name, ''), t.proposed_by, t.proposed_at, t.active_at,
	       coalesce((SELECT array_agg(a.guardian_id ORDER BY a.approved_at, a.guardian_id) FROM trusted_approvals a
	                 WHERE a.child_id = t.child_id AND a.adult_id = t.adult_id), '{}'),
	       coalesce((SELECT array_agg(coalesce(ap.display_name, '') ORDER BY a.approved_at, a.guardian_id) FROM trusted_approvals a
	                 LEFT JOIN profiles ap ON ap.user_id = a.guardian_id
	                 WHERE a.child_id = t.child_id AND a.adult_id = t.adult_id), '{}')
	FROM users k JOIN trusted_adults t ON t.child_id = k.id
	LEFT JOIN profiles p ON p.user_id = t.adult_id
	WHERE k.id = $1 AND ` + ChildOfSQL("k", "$2") + ` AND ($3::int IS NULL OR t.adult_id = $3)
	ORDER BY t.proposed_at, t.adult_id`

// ListTrusted lists the trusted grown-ups of childID, pending and active;
// any guardian of the child may.
func (db *DB) ListTrusted(ctx context.Context, actor *domain.Actor, childID int64) ([]TrustedAdult, error) {
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		_, err := guardedChild(ctx, tx, actor, childID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.trustedAdults(ctx, actor, childID, nil)
}

func (db *DB) trustedAdult(ctx context.Context, actor *domain.Actor, childID, adultID int64) (TrustedAdult, error) {
	ts, err := db.trustedAdults(ctx, actor, childID, &adultID)
	if err != nil {
		return TrustedAdult{}, err
	}
	if len(ts) == 0 {
		return TrustedAdult{}, domain.Errorf(domain.CodeNotFound, "no such trusted grown-up of this child")
	}
	return ts[0], nil
}

func (db *DB) trustedAdults(ctx context.Context, actor *domain.Actor, childID int64, adultID *int64) ([]TrustedAdult, error) {
	rows, err := db.Pool.Query(ctx, trustedAdultsSQL, childID, actor.UserID, adultID)
	if err != nil {
		return nil, fmt.Errorf("trusted adults of %d: %w", childID, err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TrustedAdult, error) {
		var t TrustedAdult
		var ids []int64
		var names []string
		if err := r.Scan(&t.AdultID, &t.DisplayName, &t.ProposedBy, &t.ProposedAt, &t.ActiveAt, &ids, &names); err != nil {
			return t, err
		}
		t.Status = "pending"
		if t.ActiveAt != nil {
			t.Status = "active"
		}
		t.Approvals = make([]TrustedApproval, len(ids))
		for i := range ids {
			t.Approvals[i] = TrustedApproval{GuardianID: ids[i], DisplayName: names[i]}
		}
		return t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("trusted adults of %d: %w", childID, err)
	}
	return ts, nil
}

// TrustingChildren lists the live children the actor is an active trusted
// grown-up of.
func (db *DB) TrustingChildren(ctx context.Context, actor *domain.Actor) ([]ChatPartner, error) {
	return db.chatPartners(ctx, fmt.Sprintf("children trusting %d", actor.UserID), `
		SELECT k.id, coalesce(p.display_name, ''), p.avatar_url
		FROM trusted_adults t JOIN users k ON k.id = t.child_id AND `+LiveChildSQL("k")+`
		LEFT JOIN profiles p ON p.user_id = k.id
		WHERE t.adult_id = $1 AND t.active_at IS NOT NULL
		ORDER BY k.id`, actor.UserID)
}

// MyTrustedAdults lists the acting child's active trusted grown-ups whose
// accounts live, so the child can start a chat with them. Pending links
// are the guardians' business: the child learns of a link once it is
// active, as the adult does.
func (db *DB) MyTrustedAdults(ctx context.Context, actor *domain.Actor) ([]ChatPartner, error) {
	return db.chatPartners(ctx, fmt.Sprintf("trusted adults of child %d", actor.UserID), `
		SELECT a.id, coalesce(p.display_name, ''), p.avatar_url
		FROM trusted_adults t JOIN users a ON a.id = t.adult_id AND a.deleted_at IS NULL
		LEFT JOIN profiles p ON p.user_id = a.id
		WHERE t.child_id = $1 AND t.active_at IS NOT NULL
		ORDER BY t.active_at, a.id`, actor.UserID)
}
