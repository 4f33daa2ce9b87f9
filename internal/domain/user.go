package domain

import "time"

// Role is a user's kind of account.
type Role string

// The three roles of the seed's users.role CHECK.
const (
	RoleAdmin  Role = "ADMIN"
	RoleParent Role = "PARENT"
	RoleChild  Role = "CHILD"
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleParent || r == RoleChild }

// User is an account as the API shows it. Email holds a child's login name.
type User struct {
	ID              int64     `json:"id"`
	Email           string    `json:"email"`
	Role            Role      `json:"role"`
	ParentID        *int64    `json:"parent_id"`
	ApprovedByAdmin bool      `json:"approved_by_admin"`
	Suspended       bool      `json:"suspended"`
	CreatedAt       time.Time `json:"created_at"`
	// Locale is the language the account chose (en, de, es), nil for
	// none: the browser's then decides (internal/locale).
	Locale *string `json:"locale"`
}

// Profile is a user's public face.
type Profile struct {
	ID          int64   `json:"id"`
	UserID      int64   `json:"user_id"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	// AvatarThumbURL is an uploaded avatar's thumbnail (null without
	// one): what a list shows.
	AvatarThumbURL *string   `json:"avatar_thumb_url"`
	Bio            *string   `json:"bio"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Actor is the authenticated user behind a request, with what the store
// needs to decide what they may do.
type Actor struct {
	UserID    int64
	SessionID int64
	Role      Role
	// Active is false for a parent awaiting approval: they may only look at
	// their own account and log out.
	Active bool
	IP     string
	// Locale is the language the account chose, "" for none.
	Locale string
}

// IsAdmin, IsParent and IsChild test the actor's role.
func (a *Actor) IsAdmin() bool  { return a.Role == RoleAdmin }
func (a *Actor) IsParent() bool { return a.Role == RoleParent }
func (a *Actor) IsChild() bool  { return a.Role == RoleChild }
