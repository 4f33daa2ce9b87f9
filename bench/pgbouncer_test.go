package bench

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/deploytest"
	"pixelpals/internal/domain"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// pooledSetup is one way of reaching PostgreSQL, with its own service and
// senders on its own database.
type pooledSetup struct {
	name    string
	env     *apitest.Env
	senders []sender
	raw     *store.DB
}

// BenchmarkPgBouncer measures what PgBouncer in transaction pooling mode
// costs the service, in one run, round by round in turn:
//
//   - direct: pgx's default query mode (cache_statement: named prepared
//     statements) straight to PostgreSQL, as without a pooler;
//   - direct-describe: cache_describe straight to PostgreSQL — the query
//     mode PgBouncer needs, without PgBouncer, to separate its cost from
//     the extra hop's;
//   - bouncer: cache_describe through PgBouncer 1.18 (transaction mode,
//     as many server connections as the service's pool).
//
// Each round, 8 children send 40 messages each through the API, then read
// 40 pages of 50 messages of their conversation, and the same messages are
// inserted with plain INSERTs over a pool of the same URL (raw). Reported:
// medians over rounds of msgs/s, and medians over requests of latency.
// Run it with
//
//	go test -run='^$' -bench=PgBouncer -benchtime=5x ./bench/
func BenchmarkPgBouncer(b *testing.B) {
	const senders, perSender, pages = 8, 40, 40
	ctx := context.Background()
	direct := pgtest.URL(b)
	describe := pgtest.URL(b) + " default_query_exec_mode=cache_describe"
	bouncer := deploytest.StartPgBouncerPool(b, pgtest.URL(b), 4).URL("cache_describe")
	var setups []*pooledSetup
	for _, s := range []struct{ name, url string }{{"direct", direct}, {"direct-describe", describe}, {"bouncer", bouncer}} {
		env, ss := setupOn(b, apitest.Options{DatabaseURL: s.url}, senders)
		raw, err := store.Open(ctx, s.url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(raw.Close)
		setups = append(setups, &pooledSetup{s.name, env, ss, raw})
	}
	rates := map[string][]float64{}
	lat := map[string][]time.Duration{}
	roundNo := 0
	for b.Loop() {
		roundNo++
		for _, s := range setups {
			api, err := run(s.senders, perSender, func(snd sender, i int) error {
				r := snd.client.Do("POST", fmt.Sprintf("/conversations/%d/messages", snd.convID), map[string]string{
					"type": "text", "content": fmt.Sprintf("hello %d", i), "client_id": fmt.Sprintf("api-%d-%d", roundNo, i)})
				if r.Status != 201 {
					return fmt.Errorf("send: %d %s", r.Status, r.Body)
				}
				return nil
			})
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			read, err := run(s.senders, pages, func(snd sender, i int) error {
				r := snd.client.Do("GET", fmt.Sprintf("/conversations/%d/messages?limit=50", snd.convID), nil)
				if r.Status != 200 {
					return fmt.Errorf("history: %d %s", r.Status, r.Body)
				}
				return nil
			})
			if err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			raw, err := run(s.senders, perSender, func(snd sender, i int) error {
				_, err := s.raw.Pool.Exec(ctx, `
					INSERT INTO messages (conversation_id, sender_id, type, content, client_id, created_at)
					VALUES ($1, $2, 'text', $3, $4, clock_timestamp())`,
					snd.convID, snd.client.UserID, fmt.Sprintf("hello %d", i), fmt.Sprintf("raw-%d-%d", roundNo, i))
				return err
			})
			if err != nil {
				b.Fatalf("%s raw: %v", s.name, err)
			}
			rates[s.name+"-send"] = append(rates[s.name+"-send"], api.rate(senders*perSender))
			rates[s.name+"-raw"] = append(rates[s.name+"-raw"], raw.rate(senders*perSender))
			lat[s.name+"-send"] = append(lat[s.name+"-send"], api.latencies...)
			lat[s.name+"-page"] = append(lat[s.name+"-page"], read.latencies...)
			lat[s.name+"-raw"] = append(lat[s.name+"-raw"], raw.latencies...)
		}
	}
	for _, s := range setups {
		b.ReportMetric(median(rates[s.name+"-send"]), s.name+"-api-msgs/s")
		b.ReportMetric(median(rates[s.name+"-raw"]), s.name+"-raw-msgs/s")
		b.ReportMetric(ms(percentile(lat[s.name+"-send"], 0.5)), s.name+"-send-p50-ms")
		b.ReportMetric(ms(percentile(lat[s.name+"-page"], 0.5)), s.name+"-page-p50-ms")
		b.ReportMetric(ms(percentile(lat[s.name+"-raw"], 0.5)), s.name+"-raw-p50-ms")
	}
}

// setupOn is setup on the database that opts names.
func setupOn(b *testing.B, opts apitest.Options, n int) (*apitest.Env, []sender) {
	b.Helper()
	env := apitest.New(b, opts)
	env.Server.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	admin := env.Admin()
	out := make([]sender, n)
	for i := range out {
		fam := env.Family(admin, 1)
		var conv struct{ ID int64 }
		fam.Child().Must(201, "POST", "/conversations",
			map[string]any{"member_ids": []int64{fam.Parent.UserID}, "is_group": false}, &conv)
		out[i] = sender{fam.Child(), conv.ID}
	}
	return env, out
}

// BenchmarkQueryMode isolates what BenchmarkPgBouncer's difference between
// direct and direct-describe comes from: one store.History call (the
// conversation access check, then the newest 50 messages) on one
// database, with named prepared statements (cache_statement: parsed and
// planned once per connection, then a cached generic plan) and without
// (cache_describe: parsed and planned on every execution). Run it with
//
//	go test -run='^$' -bench=QueryMode -benchtime=1000x ./bench/
func BenchmarkQueryMode(b *testing.B) {
	ctx := context.Background()
	url := pgtest.URL(b)
	_, ss := setupOn(b, apitest.Options{DatabaseURL: url}, 1)
	s := ss[0]
	for i := range 60 {
		s.client.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", s.convID),
			map[string]string{"type": "text", "content": fmt.Sprint("hello ", i), "client_id": fmt.Sprint(i)}, nil)
	}
	actor := &domain.Actor{UserID: s.client.UserID, Role: domain.RoleChild}
	for _, mode := range []string{"cache_statement", "cache_describe"} {
		b.Run(mode, func(b *testing.B) {
			db, err := store.Open(ctx, url+" default_query_exec_mode="+mode)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			for range 20 { // warm the statement caches and the plan cache
				if _, err := db.History(ctx, actor, s.convID, nil, 50); err != nil {
					b.Fatal(err)
				}
			}
			timed(b, func() {
				if _, err := db.History(ctx, actor, s.convID, nil, 50); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
