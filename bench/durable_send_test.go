package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/migrations"
	"pixelpals/internal/pgembed"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// bankSize is how many children (each in a direct conversation with their
// parent) the sends rotate through, so that no child sends often enough for
// the per-user flood control to be what is measured.
const bankSize = 2000

// cluster is one PostgreSQL server the send benchmark runs on.
type cluster struct {
	name string
	url  string // of a migrated database for this benchmark
}

// durableCluster starts a private cluster with the defaults users run
// (fsync, synchronous_commit and full_page_writes on) and migrates a
// database on it.
func durableCluster(b *testing.B) cluster {
	b.Helper()
	ctx := context.Background()
	parent, err := os.MkdirTemp("", "pixelpals-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(parent) })
	if err := pgembed.PrepareParent(parent); err != nil {
		b.Fatal(err)
	}
	c, err := pgembed.New(filepath.Join(parent, "pg"), pgembed.Options{Durable: true, BinDir: os.Getenv("PIXELPALS_PG_BINDIR")})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Stop(context.Background()) })
	admin, err := store.Open(ctx, c.ConnString("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	var fsync, syncCommit string
	if err := admin.Pool.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&fsync, &syncCommit); err != nil {
		b.Fatal(err)
	}
	if fsync != "on" || syncCommit != "on" {
		b.Fatalf("durable cluster has fsync=%s synchronous_commit=%s", fsync, syncCommit)
	}
	if os.Getenv("PIXELPALS_BENCH_STATEMENTS") != "" {
		// Load pg_stat_statements (a restart) so statementReport can say
		// where PostgreSQL's time went.
		if _, err := admin.Pool.Exec(ctx, `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`); err != nil {
			b.Fatal(err)
		}
		admin.Close()
		if err := c.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if admin, err = store.Open(ctx, c.ConnString("postgres")); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Pool.Exec(ctx, `ALTER SYSTEM SET pg_stat_statements.track_planning = on`); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Pool.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
			b.Fatal(err)
		}
	}
	if stagesOn() {
		// The mean WAL flush, for the breakdown by stage (stages_test.go).
		if _, err := admin.Pool.Exec(ctx, `ALTER SYSTEM SET track_wal_io_timing = on`); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Pool.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := admin.Pool.Exec(ctx, `CREATE DATABASE bench`); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, c.ConnString("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m, err := migrations.New(db.Pool, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("PIXELPALS_BENCH_STATEMENTS") != "" {
		if _, err := db.Pool.Exec(ctx, `CREATE EXTENSION pg_stat_statements`); err != nil {
			b.Fatal(err)
		}
	}
	return cluster{name: "durable", url: c.ConnString("bench")}
}

// bankSender is one child who can send: a session token, and the direct
// conversation with their parent.
type bankSender struct {
	userID, convID int64
	token          string
}

// makeBank creates n approved families straight in SQL (through the API
// it would take minutes on a durable cluster), each child with a session
// and a direct conversation with their parent.
func makeBank(b *testing.B, db *store.DB, n int) []bankSender {
	b.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `
		WITH p AS (
			INSERT INTO users (email, password_hash, role, approved_by_admin)
			SELECT 'bench-parent-' || g || '@example.com', 'x', 'PARENT', true FROM generate_series(1, $1) g
			RETURNING id, email),
		k AS (
			INSERT INTO users (email, password_hash, role, parent_id, approved_by_admin)
			SELECT 'benchkid' || substr(p.email, 14), 'x', 'CHILD', p.id, false FROM p
			RETURNING id, parent_id),
		s AS (
			INSERT INTO sessions (user_id, token_hash, expires_at)
			SELECT k.id, sha256(convert_to('bench-token-' || k.id, 'UTF8')), CURRENT_TIMESTAMP + interval '1 day' FROM k)
		SELECT k.id, k.parent_id FROM k ORDER BY k.id`, n)
	if err != nil {
		b.Fatal(err)
	}
	type fam struct{ child, parent int64 }
	var fams []fam
	for rows.Next() {
		var f fam
		if err := rows.Scan(&f.child, &f.parent); err != nil {
			b.Fatal(err)
		}
		fams = append(fams, f)
	}
	if rows.Err() != nil {
		b.Fatal(rows.Err())
	}
	out := make([]bankSender, len(fams))
	for i, f := range fams {
		var conv int64
		err := db.Pool.QueryRow(ctx, `
			WITH c AS (INSERT INTO conversations (is_group, created_by) VALUES (false, $1) RETURNING id),
			m AS (INSERT INTO conversation_members (conversation_id, user_id) SELECT c.id, u FROM c, unnest(array[$1::int, $2::int]) u)
			SELECT id FROM c`, f.child, f.parent).Scan(&conv)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = bankSender{userID: f.child, convID: conv, token: "bench-token-" + strconv.FormatInt(f.child, 10)}
	}
	return out
}

// counters are cumulative server and process figures read around a phase.
type counters struct {
	commits, walSyncs, xid int64
	walSyncMs              float64 // with track_wal_io_timing
	selfCPU, pgCPU         time.Duration
}

// settle lets idle backends flush their pending statistics (at most once a
// second in PostgreSQL 15) before the counters are read.
const settle = 1100 * time.Millisecond

func readCounters(b *testing.B, db *store.DB) (c counters, postmaster int) {
	b.Helper()
	var backend int
	err := db.Pool.QueryRow(context.Background(), `
		SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
		       (SELECT wal_sync FROM pg_stat_wal), (SELECT wal_sync_time FROM pg_stat_wal),
		       pg_snapshot_xmax(pg_current_snapshot())::text::bigint, pg_backend_pid()`).Scan(&c.commits, &c.walSyncs, &c.walSyncMs, &c.xid, &backend)
	if err != nil {
		b.Fatal(err)
	}
	postmaster = parentPID(backend)
	c.selfCPU = processCPU(os.Getpid())
	c.pgCPU = postgresCPU(postmaster)
	return c, postmaster
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's CPU times.
const clockTick = 100

// procStat returns the fields of /proc/<pid>/stat after the command name
// (which may hold spaces, in parentheses), or nil.
func procStat(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(raw)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
}

func parentPID(pid int) int {
	f := procStat(pid)
	if f == nil {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// processCPU is the user+system CPU time pid has used.
func processCPU(pid int) time.Duration {
	f := procStat(pid)
	if f == nil {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTick
}

// postgresCPU is the CPU time of the postmaster and of its live children
// (backends, WAL writer, checkpointer). A backend that exited during the
// round is not counted: the pools keep theirs open.
func postgresCPU(postmaster int) time.Duration {
	if postmaster <= 1 {
		return 0
	}
	total := processCPU(postmaster)
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if pid, err := strconv.Atoi(p.Name()); err == nil && parentPID(pid) == postmaster {
			total += processCPU(pid)
		}
	}
	return total
}

// phase is what one side (API or raw) measured in one round.
type phase struct {
	round
	d counters // deltas over the round
}

func measure(b *testing.B, db *store.DB, do func() (round, error)) phase {
	b.Helper()
	time.Sleep(settle)
	before, postmaster := readCounters(b, db)
	r, err := do()
	if err != nil {
		b.Fatal(err)
	}
	cpuSelf, cpuPG := processCPU(os.Getpid()), postgresCPU(postmaster)
	time.Sleep(settle)
	after, _ := readCounters(b, db)
	return phase{round: r, d: counters{
		commits: after.commits - before.commits, walSyncs: after.walSyncs - before.walSyncs, xid: after.xid - before.xid,
		walSyncMs: after.walSyncMs - before.walSyncMs, selfCPU: cpuSelf - before.selfCPU, pgCPU: cpuPG - before.pgCPU,
	}}
}

// BenchmarkSendDurable sends text messages through POST
// /conversations/{id}/messages with 1, 8 and 32 concurrent senders and, in
// the same round, as many single-row INSERTs straight into messages over
// a pgx pool with one connection per sender, first on a durable cluster
// (fsync and synchronous_commit on, the defaults users run) and then on the
// test cluster (fsync off). Every message comes from another of bankSize
// children in turn. Each b.N iteration is one round of both sides; it
// reports medians over rounds (throughput, commits and CPU per message)
// and over all requests (latency):
//
//	go test -run='^$' -bench=SendDurable -benchtime=3x -timeout=30m ./bench/
//
// commits/msg counts every committed transaction of the database
// (pg_stat_database.xact_commit, read-only ones included), xids/msg the
// writing ones, fsyncs/msg the WAL flushes (pg_stat_wal.wal_sync). CPU is
// per message in microseconds: go = this process (the API server and the
// load generator; for raw only the load generator and pgx), pg = the
// postmaster and its children. floor is an HTTP request that reads
// nothing (getIndex), in the same rounds: floor/raw bounds what api/raw
// could reach. PIXELPALS_BENCH_STAGES=1 also logs where an API send's time goes, by
// stage (stages_test.go).
func BenchmarkSendDurable(b *testing.B) {
	clusters := []struct {
		name  string
		start func(*testing.B) cluster
	}{
		{"durable", durableCluster},
		{"fsync-off", func(b *testing.B) cluster { return cluster{name: "fsync-off", url: pgtest.URL(b)} }},
	}
	for _, c := range clusters {
		cl := c.start(b)
		url := cl.url
		if n := os.Getenv("PIXELPALS_DB_MAX_CONNS"); n != "" { // the API's pool, as serve takes it
			url += " pool_max_conns=" + n
		}
		var tracer *stageTracer
		var db *store.DB
		if stagesOn() {
			tracer = &stageTracer{}
			db = openTraced(b, url, tracer)
		} else {
			db = pgtest.Open(b, url)
		}
		env := apitest.New(b, apitest.Options{DB: db})
		if tracer != nil { // before the first request
			env.Server.Config.Handler = tracer.timeHandler(env.Server.Config.Handler)
		}
		// One keep-alive connection per concurrent client, as real clients have.
		env.Server.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
		bank := makeBank(b, db, bankSize)
		var next atomic.Int64 // rotates through the bank across rounds
		for _, n := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/senders=%d", c.name, n), func(b *testing.B) {
				sendRounds(b, cl, env, bank, n, &next, tracer)
			})
		}
	}
}

// sendRounds runs b.N rounds of both sides at n concurrent senders.
// tracer, when not nil, times the API's sends by stage (stages_test.go).
func sendRounds(b *testing.B, cl cluster, env *apitest.Env, bank []bankSender, n int, next *atomic.Int64, tracer *stageTracer) {
	const total = 960 // messages per round and side: divisible by 1, 8 and 32
	ctx := context.Background()
	raw := pgtest.Open(b, cl.url+" pool_max_conns="+strconv.Itoa(n))
	if err := raw.Ping(ctx); err != nil {
		b.Fatal(err)
	}
	client := env.Server.Client()
	base := env.Server.URL + "/api/v1"
	// pick names the next child and a client id no other send of theirs has.
	pick := func() (bankSender, int64) { seq := next.Add(1); return bank[int(seq)%len(bank)], seq }
	send := func(_ sender, i int) error { s, seq := pick(); return apiSend(client, base, s, i, seq) }
	// Warm up: every child of the bank sends once, untimed, so that the
	// rounds measure a chat's steady state, in which a child's send finds
	// their session lookup of the last 30 s remembered (the API's
	// send-session cache); a sender's first send in 30 s costs one more
	// round trip (docs/benchmarks.md).
	if _, err := run(make([]sender, n), len(bank)/n, send); err != nil {
		b.Fatal(err)
	}
	var api, direct, floor []phase
	var spans []span
	for b.Loop() {
		perSender := total / n
		api = append(api, measure(b, env.DB, func() (round, error) {
			if tracer != nil {
				tracer.recording.Store(true)
				defer func() { tracer.recording.Store(false); spans = append(spans, tracer.take()...) }()
			}
			return run(make([]sender, n), perSender, func(s sender, i int) error {
				if tracer != nil {
					defer func(start time.Time) { tracer.add(span{kind: "request", start: start, end: time.Now()}) }(time.Now())
				}
				return send(s, i)
			})
		}))
		floor = append(floor, measure(b, env.DB, func() (round, error) {
			return run(make([]sender, n), perSender, func(sender, int) error { return getIndex(client, base) })
		}))
		direct = append(direct, measure(b, env.DB, func() (round, error) {
			return run(make([]sender, n), perSender, func(_ sender, i int) error {
				s, seq := pick()
				_, err := raw.Pool.Exec(ctx, `
					INSERT INTO messages (conversation_id, sender_id, type, content, client_id, created_at)
					VALUES ($1, $2, 'text', $3, $4, clock_timestamp())`,
					s.convID, s.userID, fmt.Sprintf("hello %d", i), fmt.Sprintf("raw-%d", seq))
				return err
			})
		}))
	}
	report(b, total, api, direct)
	reportFloor(b, total, floor, direct)
	if tracer != nil {
		var syncs, syncMs float64
		for _, p := range api {
			syncs, syncMs = syncs+float64(p.d.walSyncs), syncMs+p.d.walSyncMs
		}
		logStages(b, n, total*len(api), spans, syncMs/max(syncs, 1))
	}
	if os.Getenv("PIXELPALS_BENCH_STATEMENTS") != "" && cl.name == "durable" {
		statementReport(b, env.DB)
	}
}

// apiSend sends the i-th text message of a round as s, with a client id
// made of seq, through POST /conversations/{id}/messages.
func apiSend(client *http.Client, base string, s bankSender, i int, seq int64) error {
	body := fmt.Sprintf(`{"type":"text","content":"hello %d","client_id":"api-%d"}`, i, seq)
	req, err := http.NewRequest("POST", fmt.Sprintf("%s/conversations/%d/messages", base, s.convID), strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("send: %d %s", resp.StatusCode, msg)
	}
	return nil
}

// getIndex is the floor of an API request: GET /api/v1 over the same
// client, which reads nothing and writes a small JSON answer. No send can
// be faster than it plus one INSERT with its WAL flush.
func getIndex(client *http.Client, base string) error {
	resp, err := client.Get(base)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", base, resp.StatusCode)
	}
	return nil
}

// reportFloor reports the floor's rate and p50 (getIndex) and its ratio
// to the raw INSERTs of the same rounds: what an API send would reach if
// all it did were an HTTP request that reads nothing.
func reportFloor(b *testing.B, total int, floor, direct []phase) {
	rates, ratios := make([]float64, len(floor)), make([]float64, len(floor))
	var lat []time.Duration
	for i := range floor {
		rates[i], ratios[i] = floor[i].rate(total), floor[i].rate(total)/direct[i].rate(total)
		lat = append(lat, floor[i].latencies...)
	}
	b.ReportMetric(median(rates), "floor-reqs/s")
	b.ReportMetric(ms(percentile(lat, 0.5)), "floor-p50-ms")
	b.ReportMetric(median(ratios), "floor/raw")
}

// statementReport logs the statements PostgreSQL spent most time on since
// the last report (PIXELPALS_BENCH_STATEMENTS=1, durable cluster only).
func statementReport(b *testing.B, db *store.DB) {
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `
		SELECT calls, round(total_exec_time::numeric, 1), round(total_plan_time::numeric, 1), rows,
		       left(regexp_replace(query, '\s+', ' ', 'g'), 90)
		FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 12`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var calls, nrows int64
		var exec, plan float64
		var q string
		if err := rows.Scan(&calls, &exec, &plan, &nrows, &q); err != nil {
			b.Fatal(err)
		}
		b.Logf("%8d calls %9.1f ms exec %8.1f ms plan %8d rows  %s", calls, exec, plan, nrows, q)
	}
	if _, err := db.Pool.Exec(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		b.Fatal(err)
	}
}

// report prints the medians of both sides.
func report(b *testing.B, total int, api, direct []phase) {
	per := func(ps []phase, f func(phase) float64) float64 {
		xs := make([]float64, len(ps))
		for i, p := range ps {
			xs[i] = f(p)
		}
		return median(xs)
	}
	lat := func(ps []phase) []time.Duration {
		var out []time.Duration
		for _, p := range ps {
			out = append(out, p.latencies...)
		}
		return out
	}
	m := float64(total)
	for _, side := range []struct {
		name string
		ps   []phase
	}{{"api", api}, {"raw", direct}} {
		b.ReportMetric(per(side.ps, func(p phase) float64 { return p.rate(total) }), side.name+"-msgs/s")
		b.ReportMetric(ms(percentile(lat(side.ps), 0.5)), side.name+"-p50-ms")
		b.ReportMetric(ms(percentile(lat(side.ps), 0.99)), side.name+"-p99-ms")
		b.ReportMetric(per(side.ps, func(p phase) float64 { return float64(p.d.commits) / m }), side.name+"-commits/msg")
		b.ReportMetric(per(side.ps, func(p phase) float64 { return float64(p.d.xid) / m }), side.name+"-xids/msg")
		b.ReportMetric(per(side.ps, func(p phase) float64 { return float64(p.d.walSyncs) / m }), side.name+"-fsyncs/msg")
		b.ReportMetric(per(side.ps, func(p phase) float64 { return float64(p.d.selfCPU.Microseconds()) / m }), side.name+"-go-cpu-us/msg")
		b.ReportMetric(per(side.ps, func(p phase) float64 { return float64(p.d.pgCPU.Microseconds()) / m }), side.name+"-pg-cpu-us/msg")
	}
	ratios := make([]float64, len(api))
	for i := range api {
		ratios[i] = api[i].rate(total) / direct[i].rate(total)
	}
	b.ReportMetric(median(ratios), "api/raw")
}
