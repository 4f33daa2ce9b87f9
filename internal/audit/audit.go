// Package audit is the audit log: what an admin, a parent or the service
// did to an account, a contact, a report or a message, written in the
// transaction of the action (Write), browsed by admins (List), and chained
// by hashes so that a change behind the service's back is named (Verify).
// The store writes it; the keeper and the admin API use it too.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"pixelpals/internal/domain"
)

// Entry is one audit_logs row to write. Before and After are
// marshalled to JSON: pass snapshot types such as Account (or small maps
// of plain values), never rows that hold secrets or message text.
type Entry struct {
	Actor      *domain.Actor
	Action     Action
	EntityType string
	EntityID   int64
	Before     any
	After      any
}

// Write writes e inside tx, so the record exists exactly when the action
// it describes does.
func Write(ctx context.Context, tx pgx.Tx, e Entry) error {
	before, err := auditJSON(e.Before)
	if err != nil {
		return err
	}
	after, err := auditJSON(e.After)
	if err != nil {
		return err
	}
	var entityID *int64
	if e.EntityID != 0 {
		entityID = &e.EntityID
	}
	var ip *string
	if e.Actor.IP != "" {
		ip = &e.Actor.IP
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO audit_logs (actor_id, action, entity_type, entity_id, before_json, after_json, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.Actor.UserID, e.Action, e.EntityType, entityID, before, after, ip)
	if err != nil {
		return fmt.Errorf("write audit %s: %w", e.Action, err)
	}
	return nil
}

func auditJSON(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit json: %w", err)
	}
	return b, nil
}

// Account is what the audit log records of an account: never its
// password hash.
type Account struct {
	ID        int64       `json:"id"`
	Email     string      `json:"email"`
	Role      domain.Role `json:"role"`
	ParentID  *int64      `json:"parent_id,omitempty"`
	Approved  bool        `json:"approved_by_admin"`
	Suspended bool        `json:"suspended"`
}

// AccountOf is u as the audit log records it.
func AccountOf(u domain.User) Account {
	return Account{ID: u.ID, Email: u.Email, Role: u.Role, ParentID: u.ParentID, Approved: u.ApprovedByAdmin, Suspended: u.Suspended}
}

// Record is one audit_logs row as admins browse it.
type Record struct {
	ID         int64           `json:"id"`
	ActorID    int64           `json:"actor_id"`
	Action     Action          `json:"action"`
	EntityType string          `json:"entity_type"`
	EntityID   *int64          `json:"entity_id"`
	Before     json.RawMessage `json:"before_json"`
	After      json.RawMessage `json:"after_json"`
	IP         *string         `json:"ip"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Filter narrows an audit listing; zero fields do not filter.
type Filter struct {
	ActorID    int64
	Action     string
	EntityType string
	EntityID   int64
	Since      time.Time
	Until      time.Time
	// Page: rows with id below AfterID, newest first.
	AfterID int64
	Limit   int
}

// List returns audit records matching f, newest first, keyset-paged
// by id.
func List(ctx context.Context, pool *pgxpool.Pool, f Filter) ([]Record, error) {
	rows, err := pool.Query(ctx, `
		SELECT `+columns+`
		FROM audit_logs
		WHERE ($1 = 0 OR actor_id = $1)
		  AND ($2 = '' OR action = $2)
		  AND ($3 = '' OR entity_type = $3)
		  AND ($4 = 0 OR entity_id = $4)
		  AND ($5::timestamp IS NULL OR created_at >= $5)
		  AND ($6::timestamp IS NULL OR created_at < $6)
		  AND ($7 = 0 OR id < $7)
		ORDER BY id DESC
		LIMIT $8`,
		f.ActorID, f.Action, f.EntityType, f.EntityID, nullTime(f.Since), nullTime(f.Until), f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit logs: %w", err)
	}
	return pgx.CollectRows(rows, Scan)
}

// columns are what Scan reads, in its order.
const columns = `id, actor_id, action, entity_type, entity_id, before_json, after_json, ip,
	coalesce(created_at, CURRENT_TIMESTAMP)`

// Scan reads one record from columns (or a query with the same ones, as
// the store's export).
func Scan(r pgx.CollectableRow) (Record, error) {
	var a Record
	err := r.Scan(&a.ID, &a.ActorID, &a.Action, &a.EntityType, &a.EntityID, &a.Before, &a.After, &a.IP, &a.CreatedAt)
	return a, err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
