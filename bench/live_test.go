package bench

// Live events (docs/live.md), measured:
//
//	go test -run='^$' -bench=Live -benchtime=1x -timeout=20m ./bench/
//
// BenchmarkLiveFanout: from a send's 201 to the message.created event on
// every socket of a full group, beside raw PostgreSQL's own LISTEN/NOTIFY
// round trip; BenchmarkLiveIdleSockets: the memory of a real `pixelpals
// serve` process holding 10,000 idle authenticated sockets (and of
// another build's, alternately: PIXELPALS_BENCH_BEFORE);
// BenchmarkLiveThroughput: events delivered per second to 1,000 clients.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
	"pixelpals/internal/auth"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// sessions makes n sessions spread over users, straight in the database
// (logging in 10,000 times would measure Argon2id), and returns their
// tokens.
func sessions(b *testing.B, db *store.DB, users []int64, n int) []string {
	b.Helper()
	tokens := make([]string, n)
	hashes := make([][]byte, n)
	owners := make([]int64, n)
	for i := range n {
		tok, hash, err := auth.NewToken()
		if err != nil {
			b.Fatal(err)
		}
		tokens[i], hashes[i], owners[i] = tok, hash, users[i%len(users)]
	}
	_, err := db.Pool.Exec(context.Background(), `
		INSERT INTO sessions (user_id, token_hash, expires_at)
		SELECT u, h, CURRENT_TIMESTAMP + interval '1 day' FROM unnest($1::int[], $2::bytea[]) AS t(u, h)`, owners, hashes)
	if err != nil {
		b.Fatal(err)
	}
	return tokens
}

// parents inserts n approved parents.
func parents(b *testing.B, db *store.DB, n int) []int64 {
	b.Helper()
	rows, err := db.Pool.Query(context.Background(), `
		INSERT INTO users (email, password_hash, role, approved_by_admin)
		SELECT 'bench' || g || '@example.com', '!', 'PARENT', true FROM generate_series(1, $1) g
		RETURNING id`, n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func dialAll(b *testing.B, base string, tokens []string) []*apitest.Socket {
	b.Helper()
	socks := make([]*apitest.Socket, len(tokens))
	var wg sync.WaitGroup
	var failed atomic.Int64
	sem := make(chan struct{}, 64)
	for i, tok := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, _, err := apitest.DialSocket(ctx, base, tok, "", nil)
			if err != nil {
				failed.Add(1)
				return
			}
			socks[i] = s
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d sockets failed to open", n, len(tokens))
	}
	b.Cleanup(func() {
		for _, s := range socks {
			s.Conn.CloseNow()
		}
	})
	return socks
}

// BenchmarkLiveFanout: a group at the size limit (50 children of 50
// families, every two approved contacts) and the 50 parents: 100 sockets.
// Each round one child sends; the latency is from the 201 to the event on
// each socket, and to the last of the 100.
func BenchmarkLiveFanout(b *testing.B) {
	env := apitest.New(b)
	admin := env.Admin()
	ctx := context.Background()
	var kids, socketsOf []*apitest.Client
	for range store.MaxGroupMembers {
		f := env.Family(admin, 1)
		kids = append(kids, f.Child())
		socketsOf = append(socketsOf, f.Child(), f.Parent)
	}
	var ids []int64
	for _, k := range kids {
		ids = append(ids, k.UserID)
	}
	if _, err := env.DB.Pool.Exec(ctx, `
		INSERT INTO contacts (child_a_id, child_b_id, requested_by, a_approved_at, b_approved_at)
		SELECT a, b, a, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM unnest($1::int[]) a, unnest($1::int[]) b WHERE a < b`, ids); err != nil {
		b.Fatal(err)
	}
	var g struct{ ID int64 }
	kids[0].Must(201, "POST", "/conversations", map[string]any{"member_ids": ids[1:], "is_group": true, "title": "all"}, &g)
	var tokens []string
	for _, c := range socketsOf {
		tokens = append(tokens, c.Token)
	}
	socks := dialAll(b, env.Server.URL, tokens)

	const rounds = 200
	var each, last []time.Duration
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			var m struct{ ID int64 }
			kids[r%len(kids)].Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", g.ID),
				map[string]any{"type": "text", "content": "ping", "client_id": fmt.Sprintf("f%d-%d", b.N, r)}, &m)
			t0 := time.Now()
			var slowest time.Duration
			for _, s := range socks {
				for {
					f, err := s.Next(10 * time.Second)
					if err != nil {
						b.Fatal(err)
					}
					var d struct{ ID int64 }
					json.Unmarshal(f.Data, &d)
					if f.Type == "message.created" && d.ID == m.ID {
						break
					}
				}
				d := time.Since(t0)
				each = append(each, d)
				slowest = max(slowest, d)
			}
			last = append(last, slowest)
		}
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(last, 0.50)), "all100-p50-ms")
	b.ReportMetric(ms(percentile(last, 0.99)), "all100-p99-ms")
	b.ReportMetric(ms(percentile(each, 0.50)), "socket-p50-ms")
	b.ReportMetric(ms(percentile(each, 0.99)), "socket-p99-ms")

	// Raw PostgreSQL: a committed NOTIFY to a LISTENing connection.
	l, err := env.DB.Listen(ctx, "", "bench_raw")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(ctx)
	var raw []time.Duration
	for range rounds {
		t0 := time.Now()
		if _, err := env.DB.Pool.Exec(ctx, `SELECT pg_notify('bench_raw', 'x')`); err != nil {
			b.Fatal(err)
		}
		if _, _, err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		raw = append(raw, time.Since(t0))
	}
	b.ReportMetric(ms(percentile(raw, 0.50)), "raw-notify-p50-ms")
	b.ReportMetric(ms(percentile(raw, 0.99)), "raw-notify-p99-ms")
}

// BenchmarkLiveThroughput: 1,000 clients (of 1,000 users), each event
// addressed to all of them; events written in batches of 10 per
// transaction, as a busy service would; how many frames per second reach
// the clients.
func BenchmarkLiveThroughput(b *testing.B) {
	env := apitest.New(b, apitest.Options{})
	users := parents(b, env.DB, 1000)
	socks := dialAll(b, env.Server.URL, sessions(b, env.DB, users, 1000))
	ctx := context.Background()
	const events = 200
	b.ResetTimer()
	var rates []float64
	for range b.N {
		var wg sync.WaitGroup
		start := time.Now()
		for _, s := range socks {
			wg.Go(func() {
				for range events {
					if _, err := s.Next(60 * time.Second); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		for i := 0; i < events; i += 10 {
			tx, err := env.DB.Pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var evs []eventlog.Event
			for j := range 10 {
				evs = append(evs, eventlog.Event{Type: "bench.tick", To: users, Data: map[string]int{"n": i + j}})
			}
			if err := eventlog.Append(ctx, tx, evs); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
		rates = append(rates, float64(events*len(socks))/time.Since(start).Seconds())
	}
	b.StopTimer()
	b.ReportMetric(median(rates), "frames/s")
	b.ReportMetric(median(rates)/float64(len(socks)), "events/s")
}

// BenchmarkLiveIdleSockets runs the real binary as its own process and
// reads its memory before and after N idle authenticated sockets open
// (N sessions of N/10 users; PIXELPALS_BENCH_SOCKETS, default 10,000),
// all over 127.0.0.1. With PIXELPALS_BENCH_BEFORE=<a binary built from
// another commit> it runs that binary and this tree's alternately
// (before, after, before, after), so that both are measured in one run.
func BenchmarkLiveIdleSockets(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("PIXELPALS_BENCH_SOCKETS")); err == nil && v > 0 {
		n = v
	}
	raiseFileLimit(b, n+1000) // the server (which inherits it) and the clients each hold n
	after := filepath.Join(b.TempDir(), "pixelpals")
	if out, err := exec.Command("go", "build", "-o", after, "../cmd/pixelpals").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	before := os.Getenv("PIXELPALS_BENCH_BEFORE")
	if before == "" {
		idleSockets(b, after, n)
		return
	}
	for i := range 2 {
		b.Run(fmt.Sprintf("before-%d", i+1), func(b *testing.B) { idleSockets(b, before, n) })
		b.Run(fmt.Sprintf("after-%d", i+1), func(b *testing.B) { idleSockets(b, after, n) })
	}
}

// idleSockets measures one binary: RSS, Go heap and stacks and
// goroutines, without sockets and with n idle ones, and per socket.
func idleSockets(b *testing.B, bin string, n int) {
	url := pgtest.URL(b)
	db := pgtest.Open(b, url)
	base, pid := startServe(b, bin, url)
	tokens := sessions(b, db, parents(b, db, max(n/10, 1)), n)
	rss0, go0 := rss(b, pid), runtimeStats(b, base)
	b.ResetTimer()
	socks := dialAll(b, base, tokens)
	time.Sleep(10 * time.Second) // idle: let the server settle
	rss1, go1 := rss(b, pid), runtimeStats(b, base)
	b.StopTimer()
	per := func(a, z float64) float64 { return (z - a) / float64(len(socks)) }
	b.ReportMetric(float64(rss0)/1024, "rss-before-MiB")
	b.ReportMetric(float64(rss1)/1024, "rss-with-MiB")
	b.ReportMetric(per(float64(rss0), float64(rss1)), "KiB/socket")
	b.ReportMetric(per(go0["go_memstats_heap_inuse_bytes"], go1["go_memstats_heap_inuse_bytes"])/1024, "heap-KiB/socket")
	b.ReportMetric(per(go0["go_memstats_stack_inuse_bytes"], go1["go_memstats_stack_inuse_bytes"])/1024, "stack-KiB/socket")
	b.ReportMetric(per(go0["go_goroutines"], go1["go_goroutines"]), "goroutines/socket")
	b.ReportMetric(go1["go_memstats_heap_inuse_bytes"]/(1<<20), "heap-inuse-MiB")
	b.ReportMetric(go1["go_memstats_stack_inuse_bytes"]/(1<<20), "stack-inuse-MiB")
}

// startServe runs `bin serve` on 127.0.0.1 against the database at url,
// until the benchmark ends; it returns the base URL and the process id.
func startServe(b *testing.B, bin, url string) (string, int) {
	key, err := vault.GenerateKeyLine(1)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	// The request log (one line a handshake) goes nowhere it would be kept.
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "PIXELPALS_VAULT_KEYS="+key)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "pixelpals listening" {
				addr <- rec.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a, cmd.Process.Pid
	case <-time.After(60 * time.Second):
		b.Fatal("serve did not come up")
	}
	return "", 0
}

// runtimeStats reads the Go runtime's figures from the server's /metrics.
func runtimeStats(b *testing.B, base string) map[string]float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && strings.HasPrefix(f[0], "go_") {
			out[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return out
}

// raiseFileLimit lifts this process's open-file limit (inherited by the
// server it starts) to at least n, within the hard limit.
func raiseFileLimit(b *testing.B, n int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	if lim.Cur >= uint64(n) {
		return
	}
	lim.Cur = min(uint64(n), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < uint64(n) {
		b.Skipf("open-file limit %d, below the %d this benchmark needs (%v)", lim.Cur, n, err)
	}
}

// rss is a process's resident set in KiB.
func rss(b *testing.B, pid int) int64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
