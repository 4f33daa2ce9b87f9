package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
)

// Child is a child account with its profile, as its parent sees it.
type Child struct {
	User    domain.User    `json:"user"`
	Profile domain.Profile `json:"profile"`
}

// CreateChild creates a child account for the acting parent.
func (db *DB) CreateChild(ctx context.Context, actor *domain.Actor, login, passwordHash, displayName string) (Child, error) {
	var c Child
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var err error
		// Only an approved parent can create a child, so the child's
		// approval is the parent's; the child still cannot log in while the
		// parent is suspended.
		c.User, c.Profile, err = createAccount(ctx, tx, NewAccount{
			Email: login, PasswordHash: passwordHash, Role: domain.RoleChild,
			ParentID: actor.UserID, Approved: true, DisplayName: displayName,
		})
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ChildCreate, EntityType: "user", EntityID: c.User.ID,
			After: map[string]any{"user": audit.AccountOf(c.User), "display_name": displayName}})
	})
	return c, err
}

// ListChildren returns the children the acting parent is a guardian of
// (primary or not: user.parent_id says who is primary), oldest first.
func (db *DB) ListChildren(ctx context.Context, actor *domain.Actor) ([]Child, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT `+userColumns+`, `+profileColumns+`
		FROM users u JOIN profiles p ON p.user_id = u.id
		WHERE `+ChildOfSQL("u", "$1")+`
		ORDER BY u.id`, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("list children of %d: %w", actor.UserID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Child, error) {
		var c Child
		u, p := &c.User, &c.Profile
		err := r.Scan(append(userFields(u), profileFields(p)...)...)
		return c, err
	})
}

// childAction locks the acting parent's child childID, runs change and
// writes its audit entry in one transaction. Another family's child, or no
// child at all, is not_found: a parent learns nothing about other families.
func (db *DB) childAction(ctx context.Context, actor *domain.Actor, childID int64, action audit.Action,
	change func(tx pgx.Tx, child domain.User) (after any, err error)) error {
	return db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		child, err := lockChild(ctx, tx, actor, childID)
		if err != nil {
			return err
		}
		after, err := change(tx, child)
		if err != nil {
			return fmt.Errorf("%s of child %d: %w", action, childID, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, EntityType: "user", EntityID: childID,
			Before: audit.AccountOf(child), After: after})
	})
}

func lockChild(ctx context.Context, tx pgx.Tx, actor *domain.Actor, childID int64) (domain.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `
		SELECT `+userColumns+` FROM users u
		WHERE u.id = $1 AND `+ChildOfSQL("u", "$2")+`
		FOR UPDATE`, childID, actor.UserID))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, domain.Errorf(domain.CodeNotFound, "no such child")
	}
	if err != nil {
		return u, fmt.Errorf("lock child %d: %w", childID, err)
	}
	return u, nil
}

// RenameChild changes a child's display name.
func (db *DB) RenameChild(ctx context.Context, actor *domain.Actor, childID int64, displayName string) (Child, error) {
	err := db.childAction(ctx, actor, childID, audit.ChildRename, func(tx pgx.Tx, child domain.User) (any, error) {
		_, err := tx.Exec(ctx, `
			UPDATE profiles SET display_name = $2, updated_at = CURRENT_TIMESTAMP
			WHERE user_id = $1`, childID, displayName)
		return map[string]string{"display_name": displayName}, err
	})
	if err != nil {
		return Child{}, err
	}
	u, p, err := db.userAndProfile(ctx, db.Pool, childID)
	return Child{User: u, Profile: p}, err
}

// ResetChildPassword sets a child's password and ends their sessions.
func (db *DB) ResetChildPassword(ctx context.Context, actor *domain.Actor, childID int64, passwordHash string) error {
	return db.childAction(ctx, actor, childID, audit.ChildPasswordReset, func(tx pgx.Tx, child domain.User) (any, error) {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, childID, passwordHash); err != nil {
			return nil, err
		}
		return map[string]bool{"password_changed": true, "sessions_revoked": true}, revokeSessions(ctx, tx, childID)
	})
}

// LogoutChild ends every session of a child.
func (db *DB) LogoutChild(ctx context.Context, actor *domain.Actor, childID int64) error {
	return db.childAction(ctx, actor, childID, audit.ChildLogoutAll, func(tx pgx.Tx, child domain.User) (any, error) {
		return map[string]bool{"sessions_revoked": true}, revokeSessions(ctx, tx, childID)
	})
}

// DeleteChild removes a child's account and personal data. Only the
// primary guardian may; to another guardian it is forbidden.
func (db *DB) DeleteChild(ctx context.Context, actor *domain.Actor, childID int64) error {
	return db.childAction(ctx, actor, childID, audit.ChildDelete, func(tx pgx.Tx, child domain.User) (any, error) {
		if err := mustBePrimary(child, actor); err != nil {
			return nil, err
		}
		return map[string]bool{"deleted": true}, removeAccount(ctx, tx, childID)
	})
}

// mustBePrimary refuses a guardian of child who is not its primary.
func mustBePrimary(child domain.User, actor *domain.Actor) error {
	if child.ParentID == nil || *child.ParentID != actor.UserID {
		return domain.Errorf(domain.CodeForbidden, "only the child's primary guardian may do this")
	}
	return nil
}
