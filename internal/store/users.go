package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/locale"
)

// taken refuses an email or login name another account has.
var taken = locale.Text("that %s is already taken")

// userColumns are the columns scanUser reads, qualified by alias u.
const userColumns = `u.id, u.email, u.role, u.parent_id, coalesce(u.approved_by_admin, false),
	u.suspended_at IS NOT NULL, coalesce(u.created_at, CURRENT_TIMESTAMP), u.locale`

// userFields are where userColumns scan to.
func userFields(u *domain.User) []any {
	return []any{&u.ID, &u.Email, &u.Role, &u.ParentID, &u.ApprovedByAdmin, &u.Suspended, &u.CreatedAt, &u.Locale}
}

func scanUser(row pgx.Row) (domain.User, error) {
	var u domain.User
	err := row.Scan(userFields(&u)...)
	return u, err
}

// profileColumns are a profile's columns in the order profileFields
// scans them. An uploaded avatar's thumbnail is its URL's ?size=thumb.
const profileColumns = `p.id, p.user_id, p.display_name, p.avatar_url, p.bio,
	coalesce(p.created_at, CURRENT_TIMESTAMP), coalesce(p.updated_at, CURRENT_TIMESTAMP),
	CASE WHEN p.avatar_media_id IS NOT NULL THEN p.avatar_url || '?size=thumb' END`

func profileFields(p *domain.Profile) []any {
	return []any{&p.ID, &p.UserID, &p.DisplayName, &p.AvatarURL, &p.Bio, &p.CreatedAt, &p.UpdatedAt, &p.AvatarThumbURL}
}

func scanProfile(row pgx.Row) (domain.Profile, error) {
	var p domain.Profile
	err := row.Scan(profileFields(&p)...)
	return p, err
}

// NewAccount is an account to create.
type NewAccount struct {
	Email        string // a child's login name for children
	PasswordHash string
	Role         domain.Role
	ParentID     int64 // children only
	Approved     bool
	DisplayName  string
}

// createAccount inserts a user and their profile in tx.
func createAccount(ctx context.Context, tx pgx.Tx, a NewAccount) (domain.User, domain.Profile, error) {
	var parent *int64
	if a.ParentID != 0 {
		parent = &a.ParentID
	}
	u, err := scanUser(tx.QueryRow(ctx, `
		INSERT INTO users AS u (email, password_hash, role, parent_id, approved_by_admin)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+userColumns,
		a.Email, a.PasswordHash, a.Role, parent, a.Approved))
	if err != nil {
		if pgCode(err) == codeUniqueViolation {
			field := "email"
			if a.Role == domain.RoleChild {
				field = "login"
			}
			return u, domain.Profile{}, &domain.Error{Code: domain.CodeConflict, Field: field,
				Message: fmt.Sprintf(taken, field), Format: taken, Args: []any{field}}
		}
		return u, domain.Profile{}, fmt.Errorf("insert user: %w", err)
	}
	p, err := scanProfile(tx.QueryRow(ctx, `
		INSERT INTO profiles AS p (user_id, display_name) VALUES ($1, $2)
		RETURNING `+profileColumns, u.ID, a.DisplayName))
	if err != nil {
		return u, p, fmt.Errorf("insert profile: %w", err)
	}
	return u, p, nil
}

// SignUpParent creates a parent awaiting admin approval.
func (db *DB) SignUpParent(ctx context.Context, email, passwordHash, displayName string) (domain.User, domain.Profile, error) {
	var u domain.User
	var p domain.Profile
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var err error
		u, p, err = createAccount(ctx, tx, NewAccount{Email: email, PasswordHash: passwordHash, Role: domain.RoleParent, DisplayName: displayName})
		return err
	})
	return u, p, err
}

// CreateAdmin creates an admin account and audits it. With actor nil (the
// CLI bootstrap) the new admin is recorded as its own actor.
func (db *DB) CreateAdmin(ctx context.Context, actor *domain.Actor, email, passwordHash, displayName string) (domain.User, error) {
	var u domain.User
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var err error
		u, _, err = createAccount(ctx, tx, NewAccount{Email: email, PasswordHash: passwordHash, Role: domain.RoleAdmin, Approved: true, DisplayName: displayName})
		if err != nil {
			return err
		}
		if actor == nil {
			actor = &domain.Actor{UserID: u.ID, Role: domain.RoleAdmin}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.AdminCreate, EntityType: "user", EntityID: u.ID, After: audit.AccountOf(u)})
	})
	return u, err
}

// Credentials is what login needs to know about an account.
type Credentials struct {
	UserID       int64
	PasswordHash string
	Suspended    bool
	// ParentUsable is false for a child whose parent is not approved or is
	// suspended: such a child cannot log in.
	ParentUsable bool
}

// CredentialsByLogin finds a live account by email or child login name.
// It returns domain not_found when there is none.
func (db *DB) CredentialsByLogin(ctx context.Context, login string) (Credentials, error) {
	var c Credentials
	err := db.Pool.QueryRow(ctx, `
		SELECT u.id, u.password_hash, u.suspended_at IS NOT NULL,
		       `+ParentUsableSQL("u", "p")+`
		FROM users u LEFT JOIN users p ON p.id = u.parent_id
		WHERE u.email = $1 AND u.deleted_at IS NULL`, login).
		Scan(&c.UserID, &c.PasswordHash, &c.Suspended, &c.ParentUsable)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, domain.Errorf(domain.CodeNotFound, "no such account")
	}
	if err != nil {
		return c, fmt.Errorf("look up login: %w", err)
	}
	return c, nil
}

// RehashPassword replaces a user's password hash with one made with the
// current parameters, unless the hash changed since login read it (a
// parent's reset must win). It reports whether it replaced it.
func (db *DB) RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) (bool, error) {
	tag, err := db.Pool.Exec(ctx, `
		UPDATE users SET password_hash = $3, updated_at = CURRENT_TIMESTAMP
		WHERE id = $1 AND password_hash = $2`, userID, oldHash, newHash)
	if err != nil {
		return false, fmt.Errorf("re-hash password of user %d: %w", userID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Me returns the actor's own account and profile.
func (db *DB) Me(ctx context.Context, actor *domain.Actor) (domain.User, domain.Profile, error) {
	return db.userAndProfile(ctx, db.Pool, actor.UserID)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// rowsQuerier is the pool or a transaction, for reads of many rows.
type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (db *DB) userAndProfile(ctx context.Context, q querier, userID int64) (domain.User, domain.Profile, error) {
	var u domain.User
	var p domain.Profile
	err := q.QueryRow(ctx, `
		SELECT `+userColumns+`, `+profileColumns+`
		FROM users u JOIN profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND u.deleted_at IS NULL`, userID).
		Scan(append(userFields(&u), profileFields(&p)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, p, domain.Errorf(domain.CodeNotFound, "no such user")
	}
	if err != nil {
		return u, p, fmt.Errorf("load user %d: %w", userID, err)
	}
	return u, p, nil
}

// ProfilePatch changes the fields that are set.
type ProfilePatch struct {
	DisplayName *string
	Bio         *string
	// SetAvatar makes AvatarMediaID (nil: none) the avatar.
	SetAvatar     bool
	AvatarMediaID *int64
	// SetLocale: set the account's language to Locale (nil: none chosen).
	SetLocale bool
	Locale    *string
}

// UpdateMyProfile changes the actor's own profile.
func (db *DB) UpdateMyProfile(ctx context.Context, actor *domain.Actor, patch ProfilePatch) (domain.Profile, error) {
	var p domain.Profile
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		if patch.SetAvatar {
			if err := setAvatar(ctx, tx, actor.UserID, patch.AvatarMediaID, actor.UserID); err != nil {
				return err
			}
		}
		if patch.SetLocale {
			if err := setLocale(ctx, tx, actor.UserID, patch.Locale); err != nil {
				return err
			}
		}
		var err error
		p, err = scanProfile(tx.QueryRow(ctx, `
			UPDATE profiles AS p SET
				display_name = coalesce($2, display_name),
				bio = CASE WHEN $3::text IS NULL THEN bio WHEN $3 = '' THEN NULL ELSE $3 END,
				updated_at = CURRENT_TIMESTAMP
			WHERE user_id = $1
			RETURNING `+profileColumns, actor.UserID, patch.DisplayName, patch.Bio))
		if err != nil {
			return fmt.Errorf("update profile of user %d: %w", actor.UserID, err)
		}
		return nil
	})
	return p, err
}

// ViewProfile returns userID's profile if the actor may see it: themselves,
// their own parent or children, fellow members of a conversation that is
// not frozen (once a parent revokes the link that held it, the profile and
// any new avatar are no longer shown; the history stays readable), approved
// contacts, and admins. Anyone else gets not_found, so that profiles of
// children cannot be discovered by guessing ids.
func (db *DB) ViewProfile(ctx context.Context, actor *domain.Actor, userID int64) (domain.Profile, error) {
	p, err := scanProfile(db.Pool.QueryRow(ctx, `
		SELECT `+profileColumns+`
		FROM profiles p JOIN users u ON u.id = p.user_id
		WHERE p.user_id = $1 AND u.deleted_at IS NULL AND (
			$2::int = $1
			OR $3::boolean
			OR `+ChildOfSQL("u", "$2")+`
			OR EXISTS (SELECT 1 FROM users k WHERE k.id = $2 AND `+GuardianSQL("k", "u.id")+`)
			OR EXISTS (SELECT 1 FROM conversation_members a JOIN conversation_members b USING (conversation_id)
			           JOIN conversations c ON c.id = a.conversation_id
			           WHERE a.user_id = $2 AND b.user_id = $1 AND c.frozen_at IS NULL)
			OR `+approvedContactSQL+`
		)`, userID, actor.UserID, actor.IsAdmin()))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.Errorf(domain.CodeNotFound, "no such profile")
	}
	if err != nil {
		return p, fmt.Errorf("view profile of user %d: %w", userID, err)
	}
	return p, nil
}

// NormalizeLogin lower-cases an email or login name for lookup and storage.
func NormalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
