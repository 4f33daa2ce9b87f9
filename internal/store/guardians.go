package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// A child's guardians (issue 21, docs/schema.md "Guardians"): the primary
// (users.parent_id) and the others (guardians rows). What each may see and
// do is visibility.go's GuardianSQL; this file adds and removes them.
//
// Adding or removing a guardian changes who may share a conversation with
// the child (rule.go), so both take the rule locks of the child and of that
// guardian, in rule.go's order, and re-check the conversations holding
// both, exactly as a contact change re-checks the pair's.

// GuardianInviteTTL is how long an invitation to become a guardian works.
const GuardianInviteTTL = 7 * 24 * time.Hour

// guardianCodeLength: 12 characters of the friend codes' alphabet, about
// 2^59 codes, so that only their hashes need to be stored.
const guardianCodeLength = 12

// GuardianInvite is a new invitation as its maker sees it, once: the code
// is stored only as a hash.
type GuardianInvite struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Guardian is one guardian of a child, as GET /children/{id}/guardians
// lists them. The primary has no added_by; their added_at is the child's
// creation.
type Guardian struct {
	UserID      int64      `json:"user_id"`
	DisplayName string     `json:"display_name"`
	Primary     bool       `json:"primary"`
	AddedBy     *int64     `json:"added_by"`
	AddedAt     *time.Time `json:"added_at"`
}

// GuardedChild is the child an accepted invitation made the actor a
// guardian of.
type GuardedChild struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
}

// ParseGuardianCode normalizes an invitation code as typed (any case,
// spaces and dashes ignored) and checks its shape.
func ParseGuardianCode(s string) (string, error) {
	c, err := parseCode(s, guardianCodeLength)
	if err != nil {
		return "", domain.Invalid("code", "must be the %d-character invitation code a guardian gave you", guardianCodeLength)
	}
	return c, nil
}

func hashGuardianCode(code string) []byte {
	sum := sha256.Sum256([]byte("guardian-invite:" + code))
	return sum[:]
}

// CreateGuardianInvite makes a one-time invitation for another adult to
// become a guardian of childID; any guardian of the child may. The code is
// returned here and nowhere else: not stored, audited or logged.
func (db *DB) CreateGuardianInvite(ctx context.Context, actor *domain.Actor, childID int64) (GuardianInvite, error) {
	var inv GuardianInvite
	err := db.childAction(ctx, actor, childID, audit.GuardianInvite, func(tx pgx.Tx, child domain.User) (any, error) {
		code, err := randomCode(guardianCodeLength)
		if err != nil {
			return nil, err
		}
		var id int64
		err = tx.QueryRow(ctx, `
			INSERT INTO guardian_invites (child_id, code_hash, created_by, expires_at)
			VALUES ($1, $2, $3, CURRENT_TIMESTAMP + $4::interval)
			RETURNING id, expires_at`, childID, hashGuardianCode(code), actor.UserID, GuardianInviteTTL).Scan(&id, &inv.ExpiresAt)
		if err != nil {
			return nil, fmt.Errorf("store guardian invite: %w", err)
		}
		inv.Code = code
		return map[string]any{"child_id": childID, "invite_id": id, "expires_at": inv.ExpiresAt}, nil
	})
	return inv, err
}

// errNoInvite answers a code that is unknown, used or expired alike, so
// that codes cannot be probed. Field "code" marks it for the rate limit of
// guesses.
var errNoInvite = &domain.Error{Code: domain.CodeNotFound, Field: "code",
	Message: "no open invitation has this code: it is wrong, was used already, or is more than 7 days old"}

// AcceptGuardianInvite makes the acting parent a guardian of the invite's
// child and spends the invite. A parent an admin has not approved yet may
// accept; they can use nothing until approved (the admin's user list
// shows who invited them).
func (db *DB) AcceptGuardianInvite(ctx context.Context, actor *domain.Actor, code string) (GuardedChild, error) {
	hash := hashGuardianCode(code)
	var childID int64
	err := db.Pool.QueryRow(ctx, `SELECT child_id FROM guardian_invites WHERE code_hash = $1`, hash).Scan(&childID)
	if errors.Is(err, pgx.ErrNoRows) {
		return GuardedChild{}, errNoInvite
	}
	if err != nil {
		return GuardedChild{}, fmt.Errorf("look up guardian invite: %w", err)
	}
	err = db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		// Users and rule locks first (rule.go), then the invite's row.
		if _, err := lockUsers(ctx, tx, actor.UserID, childID); err != nil {
			return err
		}
		return acceptInvite(ctx, tx, actor, hash, childID)
	})
	if err != nil {
		return GuardedChild{}, err
	}
	c := GuardedChild{ID: childID}
	err = db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT display_name FROM profiles WHERE user_id = $1), '')`, childID).Scan(&c.DisplayName)
	if err != nil {
		return c, fmt.Errorf("name of child %d: %w", childID, err)
	}
	return c, nil
}

// acceptInvite spends the invite and adds the guardian (both rule-locked
// by the caller).
func acceptInvite(ctx context.Context, tx pgx.Tx, actor *domain.Actor, hash []byte, childID int64) error {
	var already bool
	err := tx.QueryRow(ctx, `
		SELECT `+GuardianSQL("u", "$2")+` FROM users u WHERE u.id = $1 AND `+LiveChildSQL("u"),
		childID, actor.UserID).Scan(&already)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoInvite // the child's account is gone: so is the invite
	}
	if err != nil {
		return fmt.Errorf("check child %d: %w", childID, err)
	}
	if already {
		return domain.Errorf(domain.CodeConflict, "you are a guardian of this child already")
	}
	var inviteID int64
	var invitedBy *int64
	err = tx.QueryRow(ctx, `
		UPDATE guardian_invites SET used_by = $2, used_at = CURRENT_TIMESTAMP
		WHERE code_hash = $1 AND used_at IS NULL AND expires_at > CURRENT_TIMESTAMP
		RETURNING id, created_by`, hash, actor.UserID).Scan(&inviteID, &invitedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoInvite
	}
	if err != nil {
		return fmt.Errorf("spend guardian invite: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO guardians (child_id, guardian_id, added_by) VALUES ($1, $2, $3)`,
		childID, actor.UserID, invitedBy); err != nil {
		return fmt.Errorf("add guardian %d of %d: %w", actor.UserID, childID, err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.GuardianAdd, EntityType: "user", EntityID: childID,
		After: map[string]any{"child_id": childID, "guardian_id": actor.UserID, "invited_by": invitedBy, "invite_id": inviteID}}); err != nil {
		return err
	}
	if err := guardianEvent(ctx, tx, eventlog.GuardianAdded, childID, actor.UserID, nil); err != nil {
		return err
	}
	// A conversation of the new guardian's with the child may satisfy the
	// rule now.
	return recheckGuardian(ctx, tx, actor.UserID, actor.UserID, childID)
}

// recheckGuardian re-checks the conversations holding both guardian and
// child after one became or stopped being the other's guardian; the caller
// holds both rule locks.
func recheckGuardian(ctx context.Context, tx pgx.Tx, actorID, guardian, child int64) error {
	ids, err := conversationsWithBoth(ctx, tx, guardian, child)
	if err != nil {
		return err
	}
	if ids, err = lockConversations(ctx, tx, ids); err != nil {
		return err
	}
	return recheck(ctx, tx, actorID, ids)
}

// guardianChange is the data of guardian.added and guardian.removed.
type guardianChange struct {
	ChildID int64 `json:"child_id"`
	UserID  int64 `json:"user_id"`
	Primary bool  `json:"primary,omitempty"`
}

// guardianEvent tells the child's guardians (as they are now, plus extra:
// a removed guardian) that userID became or stopped being one.
func guardianEvent(ctx context.Context, tx pgx.Tx, typ eventlog.Type, childID, userID int64, extra []int64) error {
	g, err := guardiansOf(ctx, tx, []int64{childID})
	if err != nil {
		return err
	}
	to := g[childID]
	for _, e := range extra {
		if !slices.Contains(to, e) {
			to = append(to, e)
		}
	}
	primary := typ == eventlog.GuardianAdded && len(to) > 0 && to[0] == userID
	return eventlog.Append(ctx, tx, []eventlog.Event{{Type: typ, To: to, About: []int64{childID},
		Data: guardianChange{ChildID: childID, UserID: userID, Primary: primary}}})
}

// ParentOfMine is one of the acting child's guardians, as the child's
// "chat with your parent" choices show them.
type ParentOfMine struct {
	ID          int64   `json:"id"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Primary     bool    `json:"primary"`
}

// MyGuardians lists the acting child's guardians an admin approved and
// nobody suspended or deleted, primary first: each one a grown-up the
// child may start a direct chat with at any time (SPEC §4 with issue 21:
// "parent" means any guardian). An unvetted guardian is left out, as the
// contact rule would refuse their chat.
func (db *DB) MyGuardians(ctx context.Context, actor *domain.Actor) ([]ParentOfMine, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT g.id, coalesce(p.display_name, ''), p.avatar_url, g.id = k.parent_id
		FROM users k
		CROSS JOIN LATERAL (`+guardianIDsSQL("k.id")+`) gid (id)
		JOIN users g ON g.id = gid.id
		LEFT JOIN profiles p ON p.user_id = g.id
		WHERE k.id = $1 AND `+UsableSQL("g")+`
		ORDER BY 4 DESC, g.id`, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("guardians of child %d: %w", actor.UserID, err)
	}
	gs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ParentOfMine, error) {
		var g ParentOfMine
		return g, r.Scan(&g.ID, &g.DisplayName, &g.AvatarURL, &g.Primary)
	})
	if err != nil {
		return nil, fmt.Errorf("guardians of child %d: %w", actor.UserID, err)
	}
	return gs, nil
}

// ListGuardians lists the guardians of childID, primary first; any
// guardian of the child may.
func (db *DB) ListGuardians(ctx context.Context, actor *domain.Actor, childID int64) ([]Guardian, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT g.user_id, coalesce(p.display_name, ''), g.is_primary, g.added_by, g.added_at
		FROM users k
		CROSS JOIN LATERAL (
			SELECT k.parent_id AS user_id, true AS is_primary, NULL::int AS added_by, k.created_at AS added_at
			UNION ALL
			SELECT gg.guardian_id, false, gg.added_by, gg.added_at FROM guardians gg WHERE gg.child_id = k.id
		) g
		LEFT JOIN profiles p ON p.user_id = g.user_id
		WHERE k.id = $1 AND `+ChildOfSQL("k", "$2")+`
		ORDER BY g.is_primary DESC, g.added_at, g.user_id`, childID, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("guardians of %d: %w", childID, err)
	}
	gs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Guardian, error) {
		var g Guardian
		return g, r.Scan(&g.UserID, &g.DisplayName, &g.Primary, &g.AddedBy, &g.AddedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("guardians of %d: %w", childID, err)
	}
	if len(gs) == 0 {
		return nil, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	return gs, nil
}

// RemoveGuardian ends userID's guardianship of childID: the primary may
// remove any other guardian, any guardian themself; the primary cannot
// leave (they hand primary over first). Every conversation of the removed
// guardian's with the child is re-checked (and freezes), as revoking a
// contact re-checks the pair's, and from this commit on they see nothing
// of the child.
func (db *DB) RemoveGuardian(ctx context.Context, actor *domain.Actor, childID, userID int64) error {
	return db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID, childID, userID); err != nil {
			return err
		}
		child, err := guardedChild(ctx, tx, actor, childID)
		if err != nil {
			return err
		}
		if err := mayRemove(child, actor, userID); err != nil {
			return err
		}
		before, err := guardiansOf(ctx, tx, []int64{childID})
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM guardians WHERE child_id = $1 AND guardian_id = $2`, childID, userID)
		if err != nil {
			return fmt.Errorf("remove guardian %d of %d: %w", userID, childID, err)
		}
		if tag.RowsAffected() == 0 {
			return domain.Errorf(domain.CodeNotFound, "no such guardian of this child")
		}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.GuardianRemove, EntityType: "user", EntityID: childID,
			Before: map[string]any{"child_id": childID, "guardian_id": userID}}); err != nil {
			return err
		}
		if err := guardianEvent(ctx, tx, eventlog.GuardianRemoved, childID, userID, before[childID]); err != nil {
			return err
		}
		if err := dropLeftovers(ctx, tx, childID, userID); err != nil {
			return err
		}
		return recheckGuardian(ctx, tx, actor.UserID, userID, childID)
	})
}

// dropLeftovers takes from a removed guardian what would outlive their
// guardianship of childID: the invitations they made and nobody used yet
// (else, removed, they could still bring in a grown-up of their choosing
// with a code they kept), and the notifications about the child not yet
// sent to them (mails and pushes naming the child and what happens to
// them), and their approvals of trusted grown-ups.
func dropLeftovers(ctx context.Context, tx pgx.Tx, childID, userID int64) error {
	if _, err := tx.Exec(ctx, `
		DELETE FROM guardian_invites
		WHERE child_id = $1 AND created_by = $2 AND used_at IS NULL`, childID, userID); err != nil {
		return fmt.Errorf("drop invitations of removed guardian %d of %d: %w", userID, childID, err)
	}
	if _, err := tx.Exec(ctx, `
		UPDATE notifications SET state = 'dead', recipient_email = NULL, last_error = 'guardian removed'
		WHERE recipient_id = $2 AND child_id = $1 AND state IN ('pending', 'digest')`, childID, userID); err != nil {
		return fmt.Errorf("drop notifications of removed guardian %d of %d: %w", userID, childID, err)
	}
	// Their approvals of the child's trusted grown-ups (trusted.go): a
	// pending link waits for the guardians the child has; invited back,
	// they approve again.
	if _, err := tx.Exec(ctx, `DELETE FROM trusted_approvals WHERE child_id = $1 AND guardian_id = $2`, childID, userID); err != nil {
		return fmt.Errorf("drop trusted approvals of removed guardian %d of %d: %w", userID, childID, err)
	}
	return nil
}

// guardedChild reads the actor's child childID (a guardian's, primary or
// not) under the rule locks the caller holds, which every change of the
// child's guardians takes: not_found for anyone else's.
func guardedChild(ctx context.Context, tx pgx.Tx, actor *domain.Actor, childID int64) (domain.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 AND `+ChildOfSQL("u", "$2"),
		childID, actor.UserID))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	if err != nil {
		return u, fmt.Errorf("read child %d: %w", childID, err)
	}
	return u, nil
}

// mayRemove: the primary removes others, anyone themself, the primary
// never themself.
func mayRemove(child domain.User, actor *domain.Actor, userID int64) error {
	primary := child.ParentID != nil && *child.ParentID == actor.UserID
	switch {
	case child.ParentID != nil && *child.ParentID == userID && primary:
		return domain.Errorf(domain.CodeConflict, "the primary guardian cannot leave: hand primary over to another guardian first")
	case child.ParentID != nil && *child.ParentID == userID:
		return domain.Errorf(domain.CodeForbidden, "nobody removes the primary guardian")
	case userID != actor.UserID && !primary:
		return domain.Errorf(domain.CodeForbidden, "only the primary guardian removes other guardians")
	}
	return nil
}

// MakePrimary hands the primary guardianship of childID from the actor
// (who must hold it) to userID, another guardian whose account an admin
// approved: users.parent_id becomes userID, and the actor a guardians
// row. Nobody's guardianship changes, so no conversation is re-checked.
func (db *DB) MakePrimary(ctx context.Context, actor *domain.Actor, childID, userID int64) ([]Guardian, error) {
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		if _, err := lockUsers(ctx, tx, actor.UserID, childID, userID); err != nil {
			return err
		}
		child, err := guardedChild(ctx, tx, actor, childID)
		if err != nil {
			return err
		}
		if err := mustBePrimary(child, actor); err != nil {
			return err
		}
		if userID == actor.UserID {
			return domain.Errorf(domain.CodeConflict, "you are the primary guardian already")
		}
		return handOver(ctx, tx, actor, childID, userID)
	})
	if err != nil {
		return nil, err
	}
	return db.ListGuardians(ctx, actor, childID)
}

// handOver swaps the primary (the actor) with guardian userID of childID.
func handOver(ctx context.Context, tx pgx.Tx, actor *domain.Actor, childID, userID int64) error {
	// Would the child be usable with userID as their primary?
	var usable bool
	err := tx.QueryRow(ctx, `
		DELETE FROM guardians g USING users u, users k
		WHERE g.child_id = $1 AND g.guardian_id = $2 AND u.id = g.guardian_id AND k.id = g.child_id
		RETURNING `+ParentUsableSQL("k", "u"),
		childID, userID).Scan(&usable)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Errorf(domain.CodeNotFound, "no such guardian of this child")
	}
	if err != nil {
		return fmt.Errorf("hand over child %d: %w", childID, err)
	}
	if !usable {
		// The child may use the service only while their primary may.
		return domain.Errorf(domain.CodeConflict, "this guardian's account is not approved (or is suspended): it cannot be primary")
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET parent_id = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, childID, userID); err != nil {
		return fmt.Errorf("hand over child %d: %w", childID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO guardians (child_id, guardian_id, added_by) VALUES ($1, $2, $2)`, childID, actor.UserID); err != nil {
		return fmt.Errorf("hand over child %d: %w", childID, err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.GuardianMakePrimary, EntityType: "user", EntityID: childID,
		Before: map[string]any{"child_id": childID, "primary": actor.UserID},
		After:  map[string]any{"child_id": childID, "primary": userID}}); err != nil {
		return err
	}
	return guardianEvent(ctx, tx, eventlog.GuardianAdded, childID, userID, nil)
}
