package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// AuditEntry is one audit_logs row to write. Before and After are
// marshalled to JSON: pass the audit* snapshot types of this package (or
// small maps of plain values), never rows that hold secrets or message text.
type AuditEntry struct {
	Actor      *domain.Actor
	Action     AuditAction
	EntityType string
	EntityID   int64
	Before     any
	After      any
}

// audit writes e inside tx, so the record exists exactly when the action
// it describes does.
func audit(ctx context.Context, tx pgx.Tx, e AuditEntry) error {
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

// Audit is audit for the packages that write in their own transactions
// beside the store (the keeper).
func Audit(ctx context.Context, tx pgx.Tx, e AuditEntry) error {
	return audit(ctx, tx, e)
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

// auditUser is what the audit log records of an account: never its
// password hash.
type auditUser struct {
	ID        int64       `json:"id"`
	Email     string      `json:"email"`
	Role      domain.Role `json:"role"`
	ParentID  *int64      `json:"parent_id,omitempty"`
	Approved  bool        `json:"approved_by_admin"`
	Suspended bool        `json:"suspended"`
}

func auditOf(u domain.User) auditUser {
	return auditUser{ID: u.ID, Email: u.Email, Role: u.Role, ParentID: u.ParentID, Approved: u.ApprovedByAdmin, Suspended: u.Suspended}
}

// AuditRecord is one audit_logs row as admins browse it.
type AuditRecord struct {
	ID         int64           `json:"id"`
	ActorID    int64           `json:"actor_id"`
	Action     AuditAction     `json:"action"`
	EntityType string          `json:"entity_type"`
	EntityID   *int64          `json:"entity_id"`
	Before     json.RawMessage `json:"before_json"`
	After      json.RawMessage `json:"after_json"`
	IP         *string         `json:"ip"`
	CreatedAt  time.Time       `json:"created_at"`
}

// AuditFilter narrows an audit listing; zero fields do not filter.
type AuditFilter struct {
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

// ListAudit returns audit records matching f, newest first, keyset-paged
// by id.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT `+auditColumns+`
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
	return pgx.CollectRows(rows, scanAudit)
}

const auditColumns = `id, actor_id, action, entity_type, entity_id, before_json, after_json, ip,
	coalesce(created_at, CURRENT_TIMESTAMP)`

func scanAudit(r pgx.CollectableRow) (AuditRecord, error) {
	var a AuditRecord
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
