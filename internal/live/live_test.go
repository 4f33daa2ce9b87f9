package live_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/live"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/retention"
	"pixelpals/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const wait = 10 * time.Second

func appendEvent(t *testing.T, tx pgx.Tx, typ eventlog.Type, to int64, n int) {
	t.Helper()
	if err := eventlog.Append(context.Background(), tx, []eventlog.Event{{Type: typ, To: []int64{to}, Data: map[string]int{"n": n}}}); err != nil {
		t.Fatal(err)
	}
}

func begin(t *testing.T, env *apitest.Env) pgx.Tx {
	t.Helper()
	tx, err := env.DB.Pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return tx
}

func commit(t *testing.T, tx pgx.Tx) {
	t.Helper()
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, s *apitest.Socket) apitest.Frame {
	t.Helper()
	f, err := s.Next(wait)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func number(f apitest.Frame) int {
	var d struct{ N int }
	json.Unmarshal(f.Data, &d)
	return d.N
}

// TestOutOfOrderCommit commits an event with a higher id before one with
// a lower id. A reader keyed on ids would deliver 2, move its cursor past
// 1, and lose 1 when it commits; the hub holds 2 back until 1's
// transaction ends, then delivers both, in order, once, and the cursors
// replay consistently.
func TestOutOfOrderCommit(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	s := p.Socket("")

	tx1 := begin(t, env)
	appendEvent(t, tx1, "test.first", p.UserID, 1) // lower id, commits last
	tx2 := begin(t, env)
	appendEvent(t, tx2, "test.second", p.UserID, 2)
	commit(t, tx2)

	var ids []int64
	if err := env.DB.Pool.QueryRow(context.Background(),
		`SELECT array_agg(id ORDER BY id) FROM live_events WHERE type LIKE 'test.%'`).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("committed test events: %v", ids)
	}
	// 2 is committed and visible, but must not be delivered ahead of 1.
	if f, err := s.Next(300 * time.Millisecond); err == nil {
		t.Fatalf("delivered %s while an older transaction was open", f.Type)
	}
	commit(t, tx1)
	f1, f2 := next(t, s), next(t, s)
	if number(f1) != 1 || number(f2) != 2 {
		t.Fatalf("got %s then %s, want test.first then test.second", f1.Type, f2.Type)
	}
	if f, err := s.Next(200 * time.Millisecond); err == nil {
		t.Fatalf("duplicate or extra frame %s", f.Type)
	}
	s.Close()

	// Replays from each cursor agree with the live stream.
	s = p.Socket(f1.ID)
	if f := next(t, s); f.ID != f2.ID {
		t.Fatalf("since first: %s, want %s", f.ID, f2.ID)
	}
	s.Close()
	s = p.Socket(f2.ID)
	if f, err := s.Next(200 * time.Millisecond); err == nil {
		t.Fatalf("since second: extra %s", f.Type)
	}
}

// TestConcurrentCommitsExactlyOnce runs many writers whose transactions
// take random time and sometimes roll back, while a client reconnects with
// its cursor now and then: it must receive every committed event exactly
// once and none rolled back, in the order a full replay gives.
func TestConcurrentCommitsExactlyOnce(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	const writers, each = 6, 25
	s := p.Socket("") // before any write: from now on, everything
	var mu sync.Mutex
	var committed []int
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range each {
				n := w*1000 + i
				tx, err := env.DB.Pool.Begin(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(2) == 0 { // take the xid early, write late
					tx.Exec(context.Background(), `SELECT pg_current_xact_id()`)
				}
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				if err := eventlog.Append(context.Background(), tx, []eventlog.Event{{Type: "test.n", To: []int64{p.UserID}, Data: map[string]int{"n": n}}}); err != nil {
					t.Error(err)
					tx.Rollback(context.Background())
					return
				}
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				if rng.IntN(5) == 0 {
					tx.Rollback(context.Background())
					continue
				}
				if err := tx.Commit(context.Background()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed = append(committed, n)
				mu.Unlock()
			}
		})
	}
	var got []int
	var cursor string
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for stop := false; !stop; {
		select {
		case <-done:
			stop = true
		default:
		}
		// Read a few, then reconnect from the cursor.
		for range 10 {
			f, err := s.Next(50 * time.Millisecond)
			if err != nil {
				break
			}
			got = append(got, number(f))
			cursor = f.ID
		}
		if cursor == "" {
			continue // nothing read yet: a reconnect "from now" would skip what commits meanwhile
		}
		s.Close()
		s = p.Socket(cursor)
	}
	mu.Lock()
	want := len(committed)
	mu.Unlock()
	for len(got) < want {
		f := next(t, s)
		got = append(got, number(f))
	}
	if f, err := s.Next(300 * time.Millisecond); err == nil {
		t.Fatalf("extra frame %s", f.Data)
	}
	gotSorted, wantSorted := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(committed))
	if !slices.Equal(gotSorted, wantSorted) {
		t.Fatalf("received %d events, committed %d:\n got %v\nwant %v", len(got), want, gotSorted, wantSorted)
	}
	// The stream's order is the outbox's reading order, (xact, id).
	var order []int
	if err := env.DB.Pool.QueryRow(context.Background(), `
		SELECT array_agg((data->>'n')::int ORDER BY xact, id) FROM live_events WHERE type = 'test.n'`).Scan(&order); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, order) {
		t.Fatalf("stream order differs from (xact, id) order:\n got %v\nwant %v", got, order)
	}
}

// TestListenerDropLosesNothing kills the instance's LISTEN connection
// (as a PostgreSQL restart or a network cut would) and sends meanwhile;
// with the timer poll switched off, only the reconnect's catch-up from
// the table can deliver what was announced while it was down.
func TestListenerDropLosesNothing(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{PollInterval: time.Hour}})
	admin := env.Admin()
	f := env.Family(admin, 0)
	p := f.Parent
	s := p.Socket("")
	ctx := context.Background()
	n := 0
	for round := range 3 {
		waitFor(t, func() bool { return env.Hub.Listens() == int64(round+1) && listenerPID(t, env) != 0 })
		if _, err := env.DB.Pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, listenerPID(t, env)); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			n++
			tx := begin(t, env)
			appendEvent(t, tx, "test.n", p.UserID, n)
			commit(t, tx)
		}
		for i := n - 4; i <= n; i++ {
			if got := number(next(t, s)); got != i {
				t.Fatalf("round %d: got event %d, want %d", round, got, i)
			}
		}
	}
	waitFor(t, func() bool { return env.Hub.Listens() >= 4 })
	// Live again through the new connection.
	tx := begin(t, env)
	appendEvent(t, tx, "test.n", p.UserID, n+1)
	commit(t, tx)
	if got := number(next(t, s)); got != n+1 {
		t.Fatalf("after reconnects: %d", got)
	}
}

func listenerPID(t *testing.T, env *apitest.Env) int {
	t.Helper()
	var pid int
	err := env.DB.Pool.QueryRow(context.Background(), `
		SELECT coalesce(max(pid), 0) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, store.ListenerAppName).Scan(&pid)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRetentionDeletesOldEvents: the purge removes events past the replay
// window, and a cursor on one of them gets resync.
func TestRetentionDeletesOldEvents(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	s := p.Socket("")
	tx := begin(t, env)
	appendEvent(t, tx, "test.old", p.UserID, 1)
	commit(t, tx)
	old := next(t, s)
	tx = begin(t, env)
	appendEvent(t, tx, "test.new", p.UserID, 2)
	commit(t, tx)
	next(t, s)
	ctx := context.Background()
	if _, err := env.DB.Pool.Exec(ctx, `UPDATE live_events SET at = at - interval '8 days' WHERE type = 'test.old'`); err != nil {
		t.Fatal(err)
	}
	job := &retention.Job{DB: env.DB, Steps: []retention.Step{retention.LiveEventsStep(env.DB, live.DefaultWindow)},
		Logger: slog.New(slog.DiscardHandler)}
	rep, err := job.Run(ctx)
	if err != nil || !rep.Ran || len(rep.Results) != 1 || rep.Results[0].Rows != 1 {
		t.Fatalf("purge: %+v %v", rep, err)
	}
	var left []string
	env.DB.Pool.QueryRow(ctx, `SELECT array_agg(type) FROM live_events WHERE type LIKE 'test.%'`).Scan(&left)
	if !slices.Equal(left, []string{"test.new"}) {
		t.Fatalf("left: %v", left)
	}
	if f := next(t, p.Socket(old.ID)); f.Type != "resync" {
		t.Fatalf("cursor on a purged event: %s", f.Type)
	}
}

// TestIdleSkipRacesRegister: with no socket open, the hub moves its
// position to the frontier without reading the events. A socket that
// registers while it does so must still get every event, in its replay or
// its queue. One writer commits numbered events without pause (but at
// most maxAhead past what the client read); a client
// reconnects with its cursor (the instance has no socket left meanwhile,
// so the hub skips), reads on until events committed after its
// registration, and closes, many times: it must see 1, 2, 3, ... with no
// gap and no repeat.
func TestIdleSkipRacesRegister(t *testing.T) {
	const maxAhead = 64 // well inside a socket's queue of 256
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var committed, read atomic.Int64
	wg.Go(func() {
		for n := 1; ctx.Err() == nil; n++ {
			// Stay at most maxAhead events ahead of the reader once it
			// reads: a writer racing ahead of a reader starved by a
			// loaded machine overflows the socket's queue and is told
			// too_slow, rightly, but the race under test is another.
			for r := read.Load(); r > 0 && int64(n)-r > maxAhead && ctx.Err() == nil; r = read.Load() {
				time.Sleep(time.Millisecond)
			}
			tx, err := env.DB.Pool.Begin(ctx)
			if err != nil {
				return
			}
			if err := eventlog.Append(ctx, tx, []eventlog.Event{{Type: "test.n", To: []int64{p.UserID}, Data: map[string]int{"n": n}}}); err != nil {
				tx.Rollback(context.Background())
				return
			}
			if tx.Commit(ctx) != nil {
				return
			}
			committed.Store(int64(n))
		}
	})
	s := p.Socket("") // from now on
	last, cursor := 0, ""
	readPast := func(n int) {
		t.Helper()
		for last <= n {
			f := next(t, s)
			if got := number(f); got == 0 || last != 0 && got != last+1 {
				t.Fatalf("after event %d got %d (%s)", last, got, f.Type)
			}
			last, cursor = number(f), f.ID
			read.Store(int64(last))
		}
	}
	readPast(0)
	for round := range 50 {
		s.Close()
		waitFor(t, func() bool { return env.Hub.Sockets() == 0 })
		// Let the hub skip a few notifications with nobody to deliver to.
		time.Sleep(time.Duration(round%4) * time.Millisecond)
		s = p.Socket(cursor)
		// Past the events committed by the time the socket is open, so
		// that whatever a wrong skip left out falls in what is read.
		readPast(int(committed.Load()))
	}
	s.Close()
}
