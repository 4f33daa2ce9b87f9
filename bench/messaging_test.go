// Package bench measures Pixel Pals against raw PostgreSQL on the same
// machine, in the same run: message sends through the real HTTP API beside
// single-row INSERTs of the same messages at the same concurrency, and
// history pages at 10k and 1M messages in one conversation. Nothing here is
// a pass/fail test; run it with
//
//	go test -run='^$' -bench=. -benchtime=5x ./bench/
//
// and read the medians it reports. The machine is shared and noisy: compare
// figures from one run only.
package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sender is one child chatting with their parent in a direct conversation.
type sender struct {
	client *apitest.Client
	convID int64
}

func setup(b *testing.B, n int) (*apitest.Env, []sender) {
	b.Helper()
	env := apitest.New(b)
	// One keep-alive connection per concurrent client, as real clients have.
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

// round is one measured burst: every sender sends perSender messages.
type round struct {
	elapsed   time.Duration
	latencies []time.Duration
}

func (r round) rate(total int) float64 { return float64(total) / r.elapsed.Seconds() }

// run sends perSender messages from each sender concurrently with send.
func run(senders []sender, perSender int, send func(s sender, seq int) error) (round, error) {
	var mu sync.Mutex
	var r round
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, perSender)
			for i := range perSender {
				t0 := time.Now()
				err := send(s, i)
				lat = append(lat, time.Since(t0))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
			mu.Lock()
			r.latencies = append(r.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r, firstErr
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkSend sends text messages through POST
// /conversations/{id}/messages with 1, 8 and 32 concurrent senders, and
// in the same round inserts as many rows straight into messages over a
// pool of the same size. Each b.N iteration is one round of both; the
// reported figures are medians over rounds (throughput) and over all
// requests (latency).
func BenchmarkSend(b *testing.B) {
	const total = 960 // messages per round and side: divisible by 1, 8 and 32
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("senders=%d", n), func(b *testing.B) {
			env, senders := setup(b, n)
			raw, err := store.Open(context.Background(), env.DB.Pool.Config().ConnString())
			if err != nil {
				b.Fatal(err)
			}
			defer raw.Close()
			perSender := total / n
			var apiRates, rawRates []float64
			var apiLat, rawLat []time.Duration
			roundNo := 0
			for b.Loop() {
				roundNo++
				api, err := run(senders, perSender, func(s sender, i int) error {
					r := s.client.Do("POST", fmt.Sprintf("/conversations/%d/messages", s.convID), map[string]string{
						"type": "text", "content": fmt.Sprintf("hello %d", i), "client_id": fmt.Sprintf("api-%d-%d", roundNo, i)})
					if r.Status != 201 {
						return fmt.Errorf("send: %d %s", r.Status, r.Body)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				direct, err := run(senders, perSender, func(s sender, i int) error {
					_, err := raw.Pool.Exec(context.Background(), `
						INSERT INTO messages (conversation_id, sender_id, type, content, client_id, created_at)
						VALUES ($1, $2, 'text', $3, $4, clock_timestamp())`,
						s.convID, s.client.UserID, fmt.Sprintf("hello %d", i), fmt.Sprintf("raw-%d-%d", roundNo, i))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				apiRates, rawRates = append(apiRates, api.rate(total)), append(rawRates, direct.rate(total))
				apiLat, rawLat = append(apiLat, api.latencies...), append(rawLat, direct.latencies...)
			}
			b.ReportMetric(median(apiRates), "api-msgs/s")
			b.ReportMetric(median(rawRates), "raw-msgs/s")
			b.ReportMetric(median(rawRates)/median(apiRates), "raw/api")
			b.ReportMetric(ms(percentile(apiLat, 0.5)), "api-p50-ms")
			b.ReportMetric(ms(percentile(apiLat, 0.99)), "api-p99-ms")
			b.ReportMetric(ms(percentile(rawLat, 0.5)), "raw-p50-ms")
			b.ReportMetric(ms(percentile(rawLat, 0.99)), "raw-p99-ms")
		})
	}
}

// BenchmarkHistoryPage reads 50-message pages of one conversation holding
// 10k and then 1M messages (among other conversations' messages), through
// GET /conversations/{id}/messages: the newest page and a page half way
// back (by cursor), beside the same keyset query run straight on
// PostgreSQL. p50-ms is the median time of one page; run it with more
// iterations than BenchmarkSend (-bench=History -benchtime=300x).
func BenchmarkHistoryPage(b *testing.B) {
	env, senders := setup(b, 2)
	ctx := context.Background()
	s, other := senders[0], senders[1]
	have := 0
	for _, size := range []int{10_000, 1_000_000} {
		// Grow the conversation to size, with as many messages elsewhere,
		// one second apart per conversation, then refresh statistics.
		for _, c := range []sender{s, other} {
			_, err := env.DB.Pool.Exec(ctx, `
				INSERT INTO messages (conversation_id, sender_id, type, content, created_at)
				SELECT $1, $2, 'text', 'message ' || g, timestamp '2026-01-01' + make_interval(secs => g)
				FROM generate_series($3::int + 1, $4::int) g`, c.convID, c.client.UserID, have, size)
			if err != nil {
				b.Fatal(err)
			}
		}
		have = size
		if _, err := env.DB.Pool.Exec(ctx, `ANALYZE messages`); err != nil {
			b.Fatal(err)
		}
		var midMicros, midID int64
		err := env.DB.Pool.QueryRow(ctx, `
			SELECT (extract(epoch FROM created_at) * 1000000)::bigint, id FROM messages
			WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
			s.convID, size/2).Scan(&midMicros, &midID)
		if err != nil {
			b.Fatal(err)
		}
		cursor := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("v1|%d|%d", midMicros, midID)))
		path := fmt.Sprintf("/conversations/%d/messages?limit=50", s.convID)
		label := map[int]string{10_000: "10k", 1_000_000: "1M"}[size]

		b.Run(label+"/api-newest", func(b *testing.B) {
			timed(b, func() { s.client.Must(200, "GET", path, nil, nil) })
		})
		b.Run(label+"/api-middle", func(b *testing.B) {
			timed(b, func() { s.client.Must(200, "GET", path+"&cursor="+cursor, nil, nil) })
		})
		b.Run(label+"/raw-middle", func(b *testing.B) {
			mid := time.UnixMicro(midMicros).UTC()
			timed(b, func() {
				rows, err := env.DB.Pool.Query(ctx, `
					SELECT id, sender_id, type, content, created_at FROM messages
					WHERE conversation_id = $1 AND (created_at, id) < ($2, $3)
					ORDER BY created_at DESC, id DESC LIMIT 50`, s.convID, mid, midID)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				if rows.Err() != nil || n != 50 {
					b.Fatalf("raw page: %d rows, %v", n, rows.Err())
				}
			})
		})
	}
}

// timed runs page once per iteration and reports the median page time.
func timed(b *testing.B, page func()) {
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		page()
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
}
