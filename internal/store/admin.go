package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
)

// UserSummary is one row of the admins' user list.
type UserSummary struct {
	domain.User
	DisplayName string `json:"display_name"`
	// EmailVerified: the address's owner opened the link mailed at
	// sign-up (or a password reset link). Admins may approve either way.
	EmailVerified bool `json:"email_verified"`
	// GuardianOf lists the invitations this parent accepted to become a
	// guardian of a child (issue 21): for whom, and who invited them, so
	// that an admin approving the account knows why it is there.
	GuardianOf []GuardianInvitation `json:"guardian_of,omitempty"`
}

// GuardianInvitation is an accepted invitation as the admins' list shows it.
type GuardianInvitation struct {
	ChildID        int64  `json:"child_id"`
	ChildName      string `json:"child_display_name"`
	InvitedBy      *int64 `json:"invited_by"`
	InvitedByName  string `json:"invited_by_display_name"`
	InvitedByEmail string `json:"invited_by_email"`
	AcceptedAt     string `json:"accepted_at"`
}

// UserFilter narrows the admins' user list; zero fields do not filter.
type UserFilter struct {
	Role     domain.Role
	Approved *bool
	Query    string // substring of email or display name
	AfterID  int64  // page: users with a smaller id
	Limit    int
}

// ListUsers returns live users matching f, newest first.
func (db *DB) ListUsers(ctx context.Context, f UserFilter) ([]UserSummary, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT `+userColumns+`, p.display_name, u.email_verified_at IS NOT NULL,
		       (SELECT jsonb_agg(jsonb_build_object(
		                 'child_id', gi.child_id, 'child_display_name', coalesce(kp.display_name, ''),
		                 'invited_by', gi.created_by, 'invited_by_display_name', coalesce(ip.display_name, ''),
		                 'invited_by_email', coalesce(iu.email, ''), 'accepted_at', gi.used_at) ORDER BY gi.id)
		        FROM guardian_invites gi
		        LEFT JOIN profiles kp ON kp.user_id = gi.child_id
		        LEFT JOIN users iu ON iu.id = gi.created_by
		        LEFT JOIN profiles ip ON ip.user_id = gi.created_by
		        WHERE gi.used_by = u.id)
		FROM users u JOIN profiles p ON p.user_id = u.id
		WHERE u.deleted_at IS NULL
		  AND ($1 = '' OR u.role = $1)
		  AND ($2::boolean IS NULL OR coalesce(u.approved_by_admin, false) = $2)
		  AND ($3 = '' OR strpos(lower(u.email), lower($3)) > 0 OR strpos(lower(p.display_name), lower($3)) > 0)
		  AND ($4 = 0 OR u.id < $4)
		ORDER BY u.id DESC
		LIMIT $5`, string(f.Role), f.Approved, f.Query, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (UserSummary, error) {
		var s UserSummary
		err := r.Scan(&s.ID, &s.Email, &s.Role, &s.ParentID, &s.ApprovedByAdmin, &s.Suspended, &s.CreatedAt, &s.DisplayName, &s.EmailVerified, &s.GuardianOf)
		return s, err
	})
}

// adminAction loads the target user for update, lets check refuse, applies
// change and writes the audit entry, all in one transaction.
func (db *DB) adminAction(ctx context.Context, actor *domain.Actor, id int64, action audit.Action,
	check func(domain.User) error, change func(tx pgx.Tx, u domain.User) error) (domain.User, error) {
	var after domain.User
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		before, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := check(before); err != nil {
			return err
		}
		if err := change(tx, before); err != nil {
			return fmt.Errorf("%s of user %d: %w", action, id, err)
		}
		// A removed account reloads as nothing (gone, or a tombstone).
		after, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL`, id))
		var afterJSON any = map[string]bool{"deleted": true}
		switch {
		case err == nil:
			afterJSON = audit.AccountOf(after)
		case errors.Is(err, pgx.ErrNoRows):
			after = domain.User{}
		default:
			return fmt.Errorf("reload user %d: %w", id, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, EntityType: "user", EntityID: id,
			Before: audit.AccountOf(before), After: afterJSON})
	})
	return after, err
}

func pendingParent(u domain.User) error {
	if u.Role != domain.RoleParent {
		return domain.Errorf(domain.CodeConflict, "only parent accounts await approval")
	}
	if u.ApprovedByAdmin {
		return domain.Errorf(domain.CodeConflict, "this parent is already approved")
	}
	return nil
}

func notAdmin(u domain.User) error {
	if u.Role == domain.RoleAdmin {
		return domain.Errorf(domain.CodeForbidden, "admin accounts cannot be changed this way")
	}
	return nil
}

// ApproveParent lets a pending parent use the service.
func (db *DB) ApproveParent(ctx context.Context, actor *domain.Actor, id int64) (domain.User, error) {
	return db.adminAction(ctx, actor, id, audit.UserApprove, pendingParent, func(tx pgx.Tx, u domain.User) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET approved_by_admin = true, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, id); err != nil {
			return err
		}
		return notifyAccount(ctx, tx, u, notify.AccountApproved)
	})
}

// RejectParent removes a pending parent's account. Their sessions are
// remembered as rejected (endSessions) so that their browser is told so.
func (db *DB) RejectParent(ctx context.Context, actor *domain.Actor, id int64) error {
	_, err := db.adminAction(ctx, actor, id, audit.UserReject, pendingParent, func(tx pgx.Tx, u domain.User) error {
		if err := endSessions(ctx, tx, id, EndedRejected); err != nil {
			return err
		}
		if err := notifyAccount(ctx, tx, u, notify.AccountDeclined); err != nil {
			return err
		}
		return removeFamily(ctx, tx, id)
	})
	return err
}

// SuspendUser locks a non-admin account out and ends its sessions (and a
// parent's children's sessions: they cannot log in while it lasts).
func (db *DB) SuspendUser(ctx context.Context, actor *domain.Actor, id int64) (domain.User, error) {
	return db.adminAction(ctx, actor, id, audit.UserSuspend, notAdmin, func(tx pgx.Tx, u domain.User) error {
		if u.Suspended {
			return domain.Errorf(domain.CodeConflict, "this account is already suspended")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET suspended_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, id); err != nil {
			return err
		}
		if err := notifyChildAccount(ctx, tx, u, notify.ChildSuspended); err != nil {
			return err
		}
		return revokeSessions(ctx, tx, id)
	})
}

// ReinstateUser lifts a suspension.
func (db *DB) ReinstateUser(ctx context.Context, actor *domain.Actor, id int64) (domain.User, error) {
	return db.adminAction(ctx, actor, id, audit.UserReinstate, notAdmin, func(tx pgx.Tx, u domain.User) error {
		if !u.Suspended {
			return domain.Errorf(domain.CodeConflict, "this account is not suspended")
		}
		_, err := tx.Exec(ctx, `UPDATE users SET suspended_at = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, id)
		return err
	})
}

// DeleteUser removes a non-admin account; a parent's children go with it.
func (db *DB) DeleteUser(ctx context.Context, actor *domain.Actor, id int64) error {
	_, err := db.adminAction(ctx, actor, id, audit.UserDelete, notAdmin, func(tx pgx.Tx, u domain.User) error {
		if u.Role == domain.RoleParent {
			return removeFamily(ctx, tx, id)
		}
		if err := notifyChildAccount(ctx, tx, u, notify.ChildDeleted); err != nil {
			return err
		}
		return removeAccount(ctx, tx, id)
	})
	return err
}

// AdminByEmail returns the actor for the live, unsuspended admin with that
// email, for commands run from the shell on an admin's behalf. Anyone else
// is forbidden.
func (db *DB) AdminByEmail(ctx context.Context, email string) (*domain.Actor, error) {
	a := &domain.Actor{Role: domain.RoleAdmin, Active: true}
	err := db.Pool.QueryRow(ctx, `
		SELECT id FROM users
		WHERE email = $1 AND role = 'ADMIN' AND deleted_at IS NULL AND suspended_at IS NULL`,
		NormalizeLogin(email)).Scan(&a.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.CodeForbidden, "%s is not an active admin", NormalizeLogin(email))
	}
	if err != nil {
		return nil, fmt.Errorf("look up admin: %w", err)
	}
	return a, nil
}
