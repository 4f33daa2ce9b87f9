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
	// ParentName is a child's parent's display name: the family they
	// belong to (absent for adults).
	ParentName *string `json:"parent_display_name,omitempty"`
	// Children are a parent's live children, oldest first (absent for
	// anyone else, and for a parent with none): the users list shows each family together.
	Children []FamilyChild `json:"children,omitempty"`
	// GuardianOf lists the children this parent guards other than as
	// primary (issue 21; a former primary too, after a hand-over): for
	// whom, and who made them a guardian, so that an admin approving the
	// account knows why it is there.
	GuardianOf []GuardianInvitation `json:"guardian_of,omitempty"`
}

// GuardianInvitation is a guardianship as the admins' list shows it: the
// child, who made the parent a guardian (the inviter; a former primary
// themself, by handing primary over) and when.
type GuardianInvitation struct {
	ChildID        int64  `json:"child_id"`
	ChildName      string `json:"child_display_name"`
	InvitedBy      *int64 `json:"invited_by"`
	InvitedByName  string `json:"invited_by_display_name"`
	InvitedByEmail string `json:"invited_by_email"`
	AcceptedAt     string `json:"accepted_at"`
}

// FamilyChild is a child as the users list shows them beneath their
// parent.
type FamilyChild struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"display_name"`
	Login       string `json:"login"`
	Suspended   bool   `json:"suspended"`
}

// UserFilter narrows the admins' user list; zero fields do not filter.
type UserFilter struct {
	Role     domain.Role
	Approved *bool
	Query    string // substring of email or display name
	AfterID  int64  // page: users with a smaller id
	Limit    int
}

// guardianOfSQL lists, as JSON, the live children whom user guards other
// than as primary (a guardians row): who made them a guardian and when.
// That is the inviter and the acceptance for an invited guardian, and the
// former primary themself and the hand-over for a former primary, whose
// guardians row their hand-over wrote (handOver); a removed guardian
// guards nobody.
func guardianOfSQL(user string) string {
	return `SELECT jsonb_agg(jsonb_build_object(
		         'child_id', g.child_id, 'child_display_name', coalesce(kp.display_name, ''),
		         'invited_by', g.added_by, 'invited_by_display_name', coalesce(ip.display_name, ''),
		         'invited_by_email', coalesce(iu.email, ''), 'accepted_at', g.added_at) ORDER BY g.added_at, g.child_id)
		FROM guardians g
		JOIN users k ON k.id = g.child_id AND ` + LiveChildSQL("k") + `
		LEFT JOIN profiles kp ON kp.user_id = g.child_id
		LEFT JOIN users iu ON iu.id = g.added_by
		LEFT JOIN profiles ip ON ip.user_id = g.added_by
		WHERE g.guardian_id = ` + user
}

// ListUsers returns live users matching f, newest first.
func (db *DB) ListUsers(ctx context.Context, f UserFilter) ([]UserSummary, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT `+userColumns+`, p.display_name, u.email_verified_at IS NOT NULL, pp.display_name,
		       (`+guardianOfSQL("u.id")+`)
		FROM users u JOIN profiles p ON p.user_id = u.id
		LEFT JOIN profiles pp ON pp.user_id = u.parent_id
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
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UserSummary, error) {
		var s UserSummary
		err := r.Scan(append(userFields(&s.User), &s.DisplayName, &s.EmailVerified, &s.ParentName, &s.GuardianOf)...)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, addChildren(ctx, db.Pool, users)
}

// addChildren fills in the children of the parents among users.
func addChildren(ctx context.Context, q rowsQuerier, users []UserSummary) error {
	var parents []int64
	for _, u := range users {
		if u.Role == domain.RoleParent {
			parents = append(parents, u.ID)
		}
	}
	if len(parents) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `
		SELECT k.parent_id, k.id, coalesce(p.display_name, ''), k.email, k.suspended_at IS NOT NULL
		FROM users k LEFT JOIN profiles p ON p.user_id = k.id
		WHERE k.parent_id = ANY($1) AND `+LiveChildSQL("k")+`
		ORDER BY k.id`, parents)
	if err != nil {
		return fmt.Errorf("children of listed parents: %w", err)
	}
	byParent := map[int64][]FamilyChild{}
	var parent int64
	var c FamilyChild
	_, err = pgx.ForEachRow(rows, []any{&parent, &c.ID, &c.DisplayName, &c.Login, &c.Suspended}, func() error {
		byParent[parent] = append(byParent[parent], c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("children of listed parents: %w", err)
	}
	for i, u := range users {
		if u.Role == domain.RoleParent {
			users[i].Children = byParent[u.ID]
		}
	}
	return nil
}

// moderation is why an admin acted on an account, recorded beside the
// account in the audit entry: their note, and the report acted on.
type moderation struct {
	Note     string `json:"note,omitempty"`
	ReportID int64  `json:"report_id,omitempty"`
}

// moderatedAccount is an account's audit snapshot with the moderation.
type moderatedAccount struct {
	audit.Account
	moderation
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
		after, err = changeLocked(ctx, tx, actor, before, action, moderation{}, change)
		return err
	})
	return after, err
}

// changeLocked applies change to the locked account before and writes the
// audit entry, with why.
func changeLocked(ctx context.Context, tx pgx.Tx, actor *domain.Actor, before domain.User, action audit.Action,
	why moderation, change func(tx pgx.Tx, u domain.User) error) (domain.User, error) {
	id := before.ID
	if err := change(tx, before); err != nil {
		return domain.User{}, fmt.Errorf("%s of user %d: %w", action, id, err)
	}
	// A removed account reloads as nothing (gone, or a tombstone).
	after, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL`, id))
	var afterJSON any = map[string]bool{"deleted": true}
	switch {
	case err == nil && why != (moderation{}):
		afterJSON = moderatedAccount{audit.AccountOf(after), why}
	case err == nil:
		afterJSON = audit.AccountOf(after)
	case errors.Is(err, pgx.ErrNoRows):
		after = domain.User{}
	default:
		return domain.User{}, fmt.Errorf("reload user %d: %w", id, err)
	}
	return after, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, EntityType: "user", EntityID: id,
		Before: audit.AccountOf(before), After: afterJSON})
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
// parent's children's sessions: they cannot log in while it lasts). The
// note, when given, is recorded in the audit entry.
func (db *DB) SuspendUser(ctx context.Context, actor *domain.Actor, id int64, note string) (domain.User, error) {
	var after domain.User
	err := db.transact(ctx, txRetry, func(tx pgx.Tx) error {
		u, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := notAdmin(u); err != nil {
			return err
		}
		if u.Suspended {
			return domain.Errorf(domain.CodeConflict, "this account is already suspended")
		}
		after, err = suspendLocked(ctx, tx, actor, u, moderation{Note: note})
		return err
	})
	return after, err
}

// suspendLocked suspends the locked, unsuspended account u.
func suspendLocked(ctx context.Context, tx pgx.Tx, actor *domain.Actor, u domain.User, why moderation) (domain.User, error) {
	if err := notAdmin(u); err != nil {
		return domain.User{}, err
	}
	return changeLocked(ctx, tx, actor, u, audit.UserSuspend, why, func(tx pgx.Tx, u domain.User) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET suspended_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE id = $1`, u.ID); err != nil {
			return err
		}
		if err := notifyChildAccount(ctx, tx, u, notify.ChildSuspended); err != nil {
			return err
		}
		return revokeSessions(ctx, tx, u.ID)
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
