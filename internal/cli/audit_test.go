package cli_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// auditFixture is a database whose audit log holds rows written by real
// actions, by many concurrent transactions (some rolled back) and rows with
// awkward content (NULLs, nested JSON, non-ASCII text, an IPv6 address), so
// a clean verification shows the SQL and Go hashes agree on all of them.
type auditFixture struct {
	url string
	db  *store.DB
	env map[string]string
	ids []int64 // audit_logs ids in chain order
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	ctx := context.Background()
	f := &auditFixture{url: pgtest.URL(t)}
	f.db = pgtest.Open(t, f.url)
	f.env = map[string]string{"DATABASE_URL": f.url}
	admin, err := f.db.CreateAdmin(ctx, nil, "ops@example.com", "!", "Ops")
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := f.db.SignUpParent(ctx, "mum@example.com", "!", "Mum")
	if err != nil {
		t.Fatal(err)
	}
	parent := &domain.Actor{UserID: u.ID, Role: domain.RoleParent, Active: true}
	if _, err := f.db.CreateChild(ctx, parent, "kiddo", "!", "Kiddo"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(ctx, `
		INSERT INTO audit_logs (actor_id, action, entity_type, entity_id, before_json, after_json, ip)
		VALUES ($1, 'test.odd', 'user', NULL, NULL, '{"b": [1, {"z": null, "a": "é☃"}], "a": "S3:x"}', '::1'),
		       ($1, 'test.odd', 'user', 7, '{}', '"N"', NULL)`, admin.ID); err != nil {
		t.Fatal(err)
	}
	// Concurrent writers: each transaction writes two rows and every third
	// one rolls back, which must leave no gap.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 12 {
				tx, err := f.db.Pool.Begin(ctx)
				if err != nil {
					errs <- err
					return
				}
				for range 2 {
					if _, err := tx.Exec(ctx, `INSERT INTO audit_logs (actor_id, action, entity_type, entity_id)
						VALUES ($1, 'test.concurrent', 'worker', $2)`, admin.ID, w*100+i); err != nil {
						tx.Rollback(ctx)
						errs <- err
						return
					}
				}
				if i%3 == 0 {
					err = tx.Rollback(ctx)
				} else {
					err = tx.Commit(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := f.db.Pool.Query(ctx, `SELECT id FROM audit_logs ORDER BY chain_seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		f.ids = append(f.ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var n, maxSeq, head int64
	f.db.Pool.QueryRow(ctx, `SELECT count(*), max(chain_seq), (SELECT seq FROM audit_chain_head) FROM audit_logs`).Scan(&n, &maxSeq, &head)
	if n < 8*8*2+2 || maxSeq != n || head != n {
		t.Fatalf("chain of %d rows ends at position %d, head at %d: want gapless positions 1..n", n, maxSeq, head)
	}
	return f
}

// tamper runs raw SQL as the superuser with every trigger of audit_logs
// disabled, as an attacker with full database rights would.
func (f *auditFixture) tamper(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := f.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `ALTER TABLE audit_logs DISABLE TRIGGER ALL`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE audit_logs ENABLE TRIGGER ALL`); err != nil {
		t.Fatal(err)
	}
}

func (f *auditFixture) verify(t *testing.T) (int, string) {
	t.Helper()
	code, out, stderr := run(f.env, "audit", "verify")
	if code != 0 && !strings.Contains(stderr, "the audit chain is broken") {
		t.Fatalf("audit verify exited %d: %s", code, stderr)
	}
	return code, out
}

func firstBreak(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if s, ok := strings.CutPrefix(line, "first break: "); ok {
			return s
		}
	}
	return ""
}

// TestAuditVerifyIntact: an untouched chain verifies, and the trigger is
// the only writer of the chain columns: values a writer passes are ignored.
func TestAuditVerifyIntact(t *testing.T) {
	f := newAuditFixture(t)
	code, out := f.verify(t)
	if code != 0 || !strings.Contains(out, "chain intact") {
		t.Fatalf("untouched chain: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("audit rows: %d\n", len(f.ids))) {
		t.Fatalf("want %d rows reported:\n%s", len(f.ids), out)
	}
	ctx := context.Background()
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO audit_logs (actor_id, action, entity_type, chain_seq, prev_hash, row_hash)
		SELECT actor_id, 'test.forged', 'user', 1, '\x00', '\x00' FROM audit_logs LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if code, out := f.verify(t); code != 0 {
		t.Fatalf("a writer's own chain values must be replaced by the trigger's: exit %d\n%s", code, out)
	}
	// The append-only triggers still hold for everyone else.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE audit_logs SET action = 'x' WHERE id = $1`, f.ids[0]); err == nil {
		t.Fatal("UPDATE of audit_logs succeeded with the triggers enabled")
	}
	if _, err := f.db.Pool.Exec(ctx, `DELETE FROM audit_chain_head`); err == nil {
		t.Fatal("DELETE of the chain head succeeded")
	}
}

// TestAuditVerifyCatchesTampering: with the triggers disabled by a
// superuser, each kind of edit is caught and the first break names the row.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	cases := []struct {
		name string
		do   func(t *testing.T, f *auditFixture)
		want func(f *auditFixture) string
	}{
		{"update content", func(t *testing.T, f *auditFixture) {
			f.tamper(t, `UPDATE audit_logs SET after_json = '{"suspended": false}' WHERE id = $1`, f.ids[4])
		}, func(f *auditFixture) string {
			return fmt.Sprintf("changed: row id %d (chain position 5) does not match its hash", f.ids[4])
		}},
		{"update actor", func(t *testing.T, f *auditFixture) {
			f.tamper(t, `UPDATE audit_logs SET actor_id = actor_id + 1 WHERE id = $1`, f.ids[0])
		}, func(f *auditFixture) string {
			return fmt.Sprintf("changed: row id %d (chain position 1)", f.ids[0])
		}},
		{"update and rehash", func(t *testing.T, f *auditFixture) {
			f.tamper(t, `UPDATE audit_logs SET action = 'test.harmless',
				row_hash = audit_chain_hash(prev_hash, chain_seq, id, actor_id, 'test.harmless', entity_type,
					entity_id, before_json, after_json, ip, created_at)
				WHERE id = $1`, f.ids[9])
		}, func(f *auditFixture) string {
			return fmt.Sprintf("out_of_order: row id %d (chain position 11) does not follow row id %d", f.ids[10], f.ids[9])
		}},
		{"delete middle", func(t *testing.T, f *auditFixture) {
			f.tamper(t, `DELETE FROM audit_logs WHERE id = $1`, f.ids[6])
		}, func(f *auditFixture) string {
			return fmt.Sprintf("deleted: chain positions 7..7 before row id %d are missing", f.ids[7])
		}},
		{"delete last", func(t *testing.T, f *auditFixture) {
			f.tamper(t, `DELETE FROM audit_logs WHERE id = $1`, f.ids[len(f.ids)-1])
		}, func(f *auditFixture) string {
			return fmt.Sprintf("deleted: chain positions %d..%d at the end are missing", len(f.ids), len(f.ids))
		}},
		{"insert plain", func(t *testing.T, f *auditFixture) {
			f.tamper(t, `INSERT INTO audit_logs (actor_id, action, entity_type) SELECT actor_id, 'test.forged', 'user' FROM audit_logs WHERE id = $1`, f.ids[0])
		}, func(f *auditFixture) string {
			return "outside_chain: row id"
		}},
		{"insert out of order", func(t *testing.T, f *auditFixture) {
			// A well-formed row that claims to follow row 3, placed at the end.
			f.tamper(t, `INSERT INTO audit_logs (id, actor_id, action, entity_type, created_at, chain_seq, prev_hash, row_hash)
				SELECT 1000000, actor_id, 'test.forged', 'user', created_at, $2, row_hash,
				       audit_chain_hash(row_hash, $2, 1000000, actor_id, 'test.forged', 'user', NULL, NULL, NULL, NULL, created_at)
				FROM audit_logs WHERE id = $1`, f.ids[2], len(f.ids)+1)
		}, func(f *auditFixture) string {
			return fmt.Sprintf("out_of_order: row id 1000000 (chain position %d) does not follow row id %d", len(f.ids)+1, f.ids[len(f.ids)-1])
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuditFixture(t)
			tc.do(t, f)
			code, out := f.verify(t)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			if got, want := firstBreak(out), tc.want(f); !strings.HasPrefix(got, want) {
				t.Fatalf("first break:\n got %q\nwant %q…\n%s", got, want, out)
			}
		})
	}
}
