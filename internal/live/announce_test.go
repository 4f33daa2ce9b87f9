package live_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/live"
)

// TestAnnouncedAfterCommit: events whose transactions keep the outbox's
// trigger silent (eventlog.AnnounceAfterCommitSQL, as the send batches
// do) reach a socket on this instance through Announce's direct wake and
// one on another instance through its NOTIFY, with both instances' polls
// off: every wake comes after its commit, so none is lost, however the
// commits of concurrent writers fall against the reads they race with,
// and each event arrives once.
func TestAnnouncedAfterCommit(t *testing.T) {
	slow := apitest.Options{Live: live.Config{PollInterval: time.Hour}}
	env := apitest.New(t, slow)
	slow.DB = env.DB
	other := apitest.New(t, slow) // a second instance on the same database
	p := env.Family(env.Admin(), 0).Parent
	here := p.Socket("")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	there, _, err := apitest.DialSocket(ctx, other.Server.URL, p.Token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer there.Close()
	waitFor(t, func() bool { return other.Hub.Listens() >= 1 })

	const writers, each = 4, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				tx, err := env.DB.Pool.Begin(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := tx.Exec(context.Background(), eventlog.AnnounceAfterCommitSQL); err != nil {
					t.Error(err)
					return
				}
				ev := []eventlog.Event{{Type: "test.n", To: []int64{p.UserID}, Data: map[string]int{"n": w*1000 + i}}}
				if err := eventlog.Append(context.Background(), tx, ev); err != nil {
					t.Error(err)
					return
				}
				if err := tx.Commit(context.Background()); err != nil {
					t.Error(err)
					return
				}
				env.Hub.Announce()
			}
		})
	}
	wg.Wait()
	var want []int
	for w := range writers {
		for i := range each {
			want = append(want, w*1000+i)
		}
	}
	for name, s := range map[string]*apitest.Socket{"this instance": here, "another instance": there} {
		var got []int
		for range want {
			f, err := s.Next(wait)
			if err != nil {
				t.Fatalf("%s: after %d of %d events: %v", name, len(got), len(want), err)
			}
			got = append(got, number(f))
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), want) {
			t.Fatalf("%s received %v", name, got)
		}
		if f, err := s.Next(200 * time.Millisecond); err == nil {
			t.Fatalf("%s: extra frame %s", name, f.Data)
		}
	}
}

// TestAnnounceAfterCommitKeepsTriggerSilent: a transaction that runs
// AnnounceAfterCommitSQL notifies nobody at its commit; one that does
// not is announced by the trigger, as before. Notifications arrive in
// commit order, so the first one a listener gets after the silent commit
// tells.
func TestAnnounceAfterCommitKeepsTriggerSilent(t *testing.T) {
	env := apitest.New(t)
	p := env.Family(env.Admin(), 0).Parent
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	l, err := env.DB.Listen(ctx, "", eventlog.Channel)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	tx := begin(t, env)
	if _, err := tx.Exec(ctx, eventlog.AnnounceAfterCommitSQL); err != nil {
		t.Fatal(err)
	}
	appendEvent(t, tx, "test.silent", p.UserID, 1)
	commit(t, tx)
	if _, err := env.DB.Pool.Exec(ctx, `SELECT pg_notify($1, 'marker')`, eventlog.Channel); err != nil {
		t.Fatal(err)
	}
	tx = begin(t, env)
	appendEvent(t, tx, "test.loud", p.UserID, 2)
	commit(t, tx)
	for _, want := range []string{"marker", ""} {
		_, payload, err := l.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if payload != want {
			t.Fatalf("notification %q, want %q: the silent transaction notified, or the trigger did not", payload, want)
		}
	}
}

// TestAnnouncedOnlyWhileAnotherListens: a lone instance sends no NOTIFY
// for the events it announces (nobody else listens; its own reader is
// woken directly), only its hello. A second instance's hello makes it
// answer, which wakes the second's reader, so an event announced before
// the first knew of it still reaches the second's socket with both polls
// off; from then on the first notifies for each announcement.
func TestAnnouncedOnlyWhileAnotherListens(t *testing.T) {
	slow := apitest.Options{Live: live.Config{PollInterval: time.Hour}}
	env := apitest.New(t, slow)
	p := env.Family(env.Admin(), 0).Parent
	waitFor(t, func() bool { sent, _ := env.Hub.Announcements(); return sent >= 1 }) // its hello
	announce := func(n int) {
		t.Helper()
		tx := begin(t, env)
		if _, err := tx.Exec(context.Background(), eventlog.AnnounceAfterCommitSQL); err != nil {
			t.Fatal(err)
		}
		appendEvent(t, tx, "test.n", p.UserID, n)
		commit(t, tx)
		env.Hub.Announce()
	}
	announce(1)
	waitFor(t, func() bool { _, skipped := env.Hub.Announcements(); return skipped >= 1 })

	slow.DB = env.DB
	other := apitest.New(t, slow)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	there, _, err := apitest.DialSocket(ctx, other.Server.URL, p.Token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer there.Close()
	announce(2) // perhaps before the first instance heard the hello
	if n := number(next(t, there)); n != 2 {
		t.Fatalf("the other instance's socket got event %d, want 2", n)
	}
	waitFor(t, func() bool { sent, _ := env.Hub.Announcements(); return sent >= 2 }) // the answer to the hello
	sent, skipped := env.Hub.Announcements()
	announce(3)
	if n := number(next(t, there)); n != 3 {
		t.Fatalf("the other instance's socket got event %d, want 3", n)
	}
	waitFor(t, func() bool { now, _ := env.Hub.Announcements(); return now > sent })
	if _, now := env.Hub.Announcements(); now != skipped {
		t.Fatalf("skipped %d announcements with another instance listening", now-skipped)
	}
}

// TestIdleHubReadsFrontierOncePerPoll: a hub without sockets does not
// read the outbox's frontier at every announcement (every send batch's),
// only once per poll; the events it left unread meanwhile still reach a
// socket that opens later with a cursor before them, at once, in order,
// once, with the poll off: its registration asks for the read.
func TestIdleHubReadsFrontierOncePerPoll(t *testing.T) {
	env := apitest.New(t, apitest.Options{Live: live.Config{PollInterval: time.Hour}})
	p := env.Family(env.Admin(), 0).Parent
	waitFor(t, func() bool { reads, _ := env.Hub.IdleReads(); return reads >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	tx := begin(t, env)
	appendEvent(t, tx, "test.n", p.UserID, 0) // a cursor is an event's
	commit(t, tx)
	before, err := eventlog.Frontier(ctx, env.DB.Pool)
	if err != nil {
		t.Fatal(err)
	}
	reads, _ := env.Hub.IdleReads()
	const n = 5
	for i := 1; i <= n; i++ {
		tx := begin(t, env)
		if _, err := tx.Exec(ctx, eventlog.AnnounceAfterCommitSQL); err != nil {
			t.Fatal(err)
		}
		appendEvent(t, tx, "test.n", p.UserID, i)
		commit(t, tx)
		env.Hub.Announce()
	}
	waitFor(t, func() bool { _, skipped := env.Hub.IdleReads(); return skipped >= 1 })
	if now, _ := env.Hub.IdleReads(); now > reads+1 {
		t.Fatalf("an idle hub read the frontier %d times for %d announcements within its poll", now-reads, n)
	}
	s, _, err := apitest.DialSocket(ctx, env.Server.URL, p.Token, before.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 1; i <= n; i++ {
		if f := next(t, s); number(f) != i {
			t.Fatalf("event %d: got %s %s", i, f.Type, f.Data)
		}
	}
	if f, err := s.Next(200 * time.Millisecond); err == nil {
		t.Fatalf("extra frame %s", f.Data)
	}
}
