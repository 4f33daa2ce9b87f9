package migrations_test

import (
	"context"
	"testing"

	"pixelpals/internal/pgtest"
)

// TestAuditChainBackfill: rows written before migration 00010 are chained
// by it, in id order, and the chain then continues from them.
func TestAuditChainBackfill(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Open(t, pgtest.URL(t))
	m := migrate(t, db)
	if _, err := m.DownTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `
		INSERT INTO users (email, password_hash, role, approved_by_admin) VALUES ('ops@example.com', '!', 'ADMIN', true);
		INSERT INTO audit_logs (actor_id, action, entity_type, entity_id, after_json, ip)
		SELECT id, 'test.before', 'user', g, jsonb_build_object('n', g, 'text', 'é'), '10.0.0.1'
		FROM users, generate_series(1, 5) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO audit_logs (actor_id, action, entity_type) SELECT id, 'test.after', 'user' FROM users`); err != nil {
		t.Fatal(err)
	}
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Rows != 6 || v.HeadSeq != 6 || len(v.Problems) != 0 {
		t.Fatalf("after backfill: %d rows, head %d, problems %v; want 6, 6, none", v.Rows, v.HeadSeq, v.Problems)
	}
	var unordered int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_logs a JOIN audit_logs b ON a.id < b.id AND a.chain_seq > b.chain_seq`).Scan(&unordered)
	if unordered != 0 {
		t.Fatalf("%d pairs of backfilled rows out of id order", unordered)
	}
}
