package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// Person is an account as a moderator reads it: who they are and whose
// family they belong to. A deleted account keeps its id and role only
// (its profile and login are gone with it, SPEC §9).
type Person struct {
	ID          int64       `json:"id"`
	DisplayName string      `json:"display_name"`
	Login       string      `json:"login"`
	Role        domain.Role `json:"role"`
	Suspended   bool        `json:"suspended"`
	Deleted     bool        `json:"deleted"`
	// ParentID and ParentName are a child's family: their parent's
	// account and display name (null for adults).
	ParentID   *int64  `json:"parent_id"`
	ParentName *string `json:"parent_display_name"`
}

// peopleSQL reads Person for the users $1 (ids of any account, live or
// deleted). Admins only: it names every family.
const peopleSQL = `
		SELECT u.id, coalesce(p.display_name, ''), CASE WHEN u.deleted_at IS NULL THEN u.email ELSE '' END,
		       u.role, u.suspended_at IS NOT NULL, u.deleted_at IS NOT NULL, u.parent_id, pp.display_name
		FROM users u
		LEFT JOIN profiles p ON p.user_id = u.id
		LEFT JOIN profiles pp ON pp.user_id = u.parent_id
		WHERE u.id = ANY($1)`

// people loads the accounts ids, keyed by id; ids that name no account
// are left out.
func people(ctx context.Context, q rowsQuerier, ids []int64) (map[int64]Person, error) {
	out := map[int64]Person{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, peopleSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Person, error) {
		var p Person
		err := row.Scan(&p.ID, &p.DisplayName, &p.Login, &p.Role, &p.Suspended, &p.Deleted, &p.ParentID, &p.ParentName)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	for _, p := range list {
		out[p.ID] = p
	}
	return out, nil
}

// People loads the accounts ids for an admin's page (the audit log's
// names), keyed by id.
func (db *DB) People(ctx context.Context, ids []int64) (map[int64]Person, error) {
	return people(ctx, db.Pool, ids)
}
