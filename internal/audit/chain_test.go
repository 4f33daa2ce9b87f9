package audit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"pixelpals/internal/pgtest"
)

// TestAuditChainConcurrentInserts: many transactions writing audit rows at
// once, some of two rows, some rolled back, some committing out of their
// start order, still make one chain without forks or gaps: verify finds no
// problem, and the head is the last of exactly the committed rows.
func TestAuditChainConcurrentInserts(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	parentID := newParent(t, db, "chain")
	const writers, perWriter = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range perWriter {
				if err := func() error {
					tx, err := db.Pool.Begin(ctx)
					if err != nil {
						return err
					}
					defer tx.Rollback(ctx)
					for range 1 + r.IntN(2) {
						if _, err := tx.Exec(ctx, `INSERT INTO audit_logs (actor_id, action, entity_type, entity_id, after_json)
							VALUES ($1, 'test.concurrent', 'user', $2, $3)`, parentID, w, fmt.Sprintf(`{"writer": %d, "i": %d}`, w, i)); err != nil {
							return err
						}
					}
					if _, err := tx.Exec(ctx, `SELECT pg_sleep($1)`, r.Float64()/200); err != nil {
						return err
					}
					if r.IntN(5) == 0 {
						return tx.Rollback(ctx)
					}
					return tx.Commit(ctx)
				}(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows, maxSeq int64
	var distinctPrev int64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), max(chain_seq), count(DISTINCT prev_hash) FROM audit_logs`).Scan(&rows, &maxSeq, &distinctPrev); err != nil {
		t.Fatal(err)
	}
	if len(v.Problems) != 0 || v.Rows != rows || v.HeadSeq != rows || maxSeq != rows || distinctPrev != rows {
		t.Fatalf("after concurrent inserts: %d rows, max seq %d, %d distinct prev hashes; verify %+v", rows, maxSeq, distinctPrev, v)
	}
	if rows < writers*perWriter/2 {
		t.Fatalf("only %d rows committed", rows)
	}
}
