package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/migrations"
	"pixelpals/internal/pgembed"
	"pixelpals/internal/store"
)

// durableDB starts a cluster of its own with fsync on (pgtest's has it
// off), migrates a database in it and returns it with an admin's id.
func durableDB(b *testing.B) (*store.DB, int64) {
	b.Helper()
	ctx := context.Background()
	// Directly under the temporary directory, as pgtest does: the postgres
	// user must reach it when the benchmark runs as root.
	dir, err := os.MkdirTemp("", "pixelpals-bench-pg-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	cluster, err := pgembed.New(dir, pgembed.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := cluster.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cluster.Stop(context.Background()) })
	admin, err := store.Open(ctx, cluster.ConnString("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	_, err = admin.Pool.Exec(ctx, "CREATE DATABASE bench")
	admin.Close()
	if err != nil {
		b.Fatal(err)
	}
	// Enough connections for the widest round (pgx's default is 4 here).
	db, err := store.Open(ctx, cluster.ConnString("bench")+" pool_max_conns=40")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	m, err := migrations.New(db.Pool, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		b.Fatal(err)
	}
	u, err := db.CreateAdmin(ctx, nil, "ops@example.com", "!", "Ops")
	if err != nil {
		b.Fatal(err)
	}
	// The raw PostgreSQL side: the same table shape, no triggers.
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE raw_audit (LIKE audit_logs INCLUDING DEFAULTS INCLUDING INDEXES)`); err != nil {
		b.Fatal(err)
	}
	return db, u.ID
}

// BenchmarkAuditInsert measures what ordering the audit chain costs: n
// concurrent writers each commit transactions that write one audit row
// (and, in the "+row" shape, one more row after it, as real actions do:
// the chain head stays locked until commit). Each b.N iteration is one
// round of every variant on a durable cluster:
//
//	chain     the migrated audit_logs, chain trigger on (after 00010)
//	nochain   the same table with the chain trigger disabled (before)
//	raw       an identical table without any trigger (raw PostgreSQL)
//
// Reported: median rows/s over rounds and median latency per transaction.
func BenchmarkAuditInsert(b *testing.B) {
	const total = 240 // transactions per round and variant
	db, actor := durableDB(b)
	ctx := context.Background()
	insert := map[string]string{
		"chain":   `INSERT INTO audit_logs (actor_id, action, entity_type, entity_id, after_json) VALUES ($1, 'bench.audit', 'user', $2, '{"x": 1}')`,
		"nochain": `INSERT INTO audit_logs (actor_id, action, entity_type, entity_id, after_json) VALUES ($1, 'bench.audit', 'user', $2, '{"x": 1}')`,
		"raw":     `INSERT INTO raw_audit (actor_id, action, entity_type, entity_id, after_json) VALUES ($1, 'bench.audit', 'user', $2, '{"x": 1}')`,
	}
	setChain := func(on bool) {
		verb := "DISABLE"
		if on {
			verb = "ENABLE"
		}
		if _, err := db.Pool.Exec(ctx, `ALTER TABLE audit_logs `+verb+` TRIGGER audit_logs_chain`); err != nil {
			b.Fatal(err)
		}
	}
	defer setChain(true)
	for _, shape := range []string{"audit", "audit+row"} {
		for _, n := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("shape=%s/writers=%d", shape, n), func(b *testing.B) {
				rates := map[string][]float64{}
				lats := map[string][]time.Duration{}
				for b.Loop() {
					for _, variant := range []string{"chain", "nochain", "raw"} {
						setChain(variant == "chain")
						start := time.Now()
						lat, err := auditRound(ctx, db, n, total, func(i int) []string {
							q := []string{insert[variant]}
							if shape == "audit+row" {
								q = append(q, `INSERT INTO raw_audit (actor_id, action, entity_type, entity_id) VALUES ($1, 'bench.other', 'user', $2)`)
							}
							return q
						}, actor)
						if err != nil {
							b.Fatal(err)
						}
						rates[variant] = append(rates[variant], float64(total)/time.Since(start).Seconds())
						lats[variant] = append(lats[variant], lat...)
					}
				}
				for _, v := range []string{"chain", "nochain", "raw"} {
					b.ReportMetric(median(rates[v]), v+"-tx/s")
					b.ReportMetric(ms(percentile(lats[v], 0.5)), v+"-p50-ms")
				}
				b.ReportMetric(median(rates["nochain"])/median(rates["chain"]), "nochain/chain")
			})
		}
	}
}

// auditRound runs total transactions over n workers; each transaction runs
// the statements of stmts(i) with args (actor, i) and commits.
func auditRound(ctx context.Context, db *store.DB, n, total int, stmts func(i int) []string, actor int64) ([]time.Duration, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += n {
				t0 := time.Now()
				tx, err := db.Pool.Begin(ctx)
				if err == nil {
					for _, q := range stmts(i) {
						if _, err = tx.Exec(ctx, q, actor, i); err != nil {
							break
						}
					}
					if err == nil {
						err = tx.Commit(ctx)
					} else {
						tx.Rollback(ctx)
					}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat, firstErr
}
