package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func wantAllow(t *testing.T, l *Limiter, key string, now time.Time, want bool) time.Duration {
	t.Helper()
	ok, retry := l.Allow(key, now)
	if ok != want {
		t.Fatalf("Allow(%q, t0+%v) = %v, want %v", key, now.Sub(t0), ok, want)
	}
	if ok && retry != 0 || !ok && retry <= 0 {
		t.Fatalf("Allow(%q, t0+%v) = %v with retryAfter %v", key, now.Sub(t0), ok, retry)
	}
	return retry
}

func TestLimiterLocksOutAfterMaxFailures(t *testing.T) {
	l := New(5, 15*time.Minute, 10*time.Minute)
	const key = "acct:alice@example.com"
	now := t0
	for range 4 {
		wantAllow(t, l, key, now, true)
		l.Fail(key, now)
		now = now.Add(time.Minute)
	}
	wantAllow(t, l, key, now, true)
	l.Fail(key, now) // fifth failure at t0+4m: locked until t0+14m
	lockedAt := now

	r1 := wantAllow(t, l, key, now, false)
	if r1 != 10*time.Minute {
		t.Errorf("retryAfter right after lockout = %v, want 10m", r1)
	}
	r2 := wantAllow(t, l, key, now.Add(3*time.Minute), false)
	if r2 != 7*time.Minute {
		t.Errorf("retryAfter 3m into lockout = %v, want 7m", r2)
	}
	r3 := wantAllow(t, l, key, lockedAt.Add(10*time.Minute-time.Nanosecond), false)
	if r3 != time.Nanosecond {
		t.Errorf("retryAfter at the last instant = %v, want 1ns", r3)
	}
	wantAllow(t, l, key, lockedAt.Add(10*time.Minute), true)

	// Other keys are unaffected.
	wantAllow(t, l, "acct:bob@example.com", now, true)
	wantAllow(t, l, "ip:192.0.2.1", now, true)
}

func TestLimiterFreshCountAfterLockout(t *testing.T) {
	l := New(3, time.Hour, time.Minute)
	const key = "k"
	for range 3 {
		l.Fail(key, t0)
	}
	wantAllow(t, l, key, t0, false)
	after := t0.Add(time.Minute)
	wantAllow(t, l, key, after, true)
	l.Fail(key, after)
	l.Fail(key, after)
	wantAllow(t, l, key, after, true) // two of three: not yet
	l.Fail(key, after)
	wantAllow(t, l, key, after, false)
}

func TestLimiterFailuresWhileLockedDoNotExtend(t *testing.T) {
	l := New(2, time.Hour, 10*time.Minute)
	l.Fail("k", t0)
	l.Fail("k", t0)
	for i := range 5 {
		l.Fail("k", t0.Add(time.Duration(i)*time.Minute))
	}
	wantAllow(t, l, "k", t0.Add(10*time.Minute), true)
}

func TestLimiterWindowSlides(t *testing.T) {
	l := New(3, 10*time.Minute, time.Hour)
	const key = "ip:192.0.2.1"
	l.Fail(key, t0)
	l.Fail(key, t0.Add(5*time.Minute))
	// At t0+10m the first failure has left the window: two remain.
	l.Fail(key, t0.Add(10*time.Minute))
	wantAllow(t, l, key, t0.Add(10*time.Minute), true)
	// At t0+12m the failures at 5m, 10m and 12m are all within 10 minutes.
	l.Fail(key, t0.Add(12*time.Minute))
	wantAllow(t, l, key, t0.Add(12*time.Minute), false)
}

func TestLimiterSpreadOutFailuresNeverLock(t *testing.T) {
	l := New(3, 10*time.Minute, time.Hour)
	now := t0
	for range 100 {
		l.Fail("k", now)
		wantAllow(t, l, "k", now, true)
		now = now.Add(5*time.Minute + time.Second)
	}
}

func TestLimiterReset(t *testing.T) {
	l := New(2, time.Hour, time.Hour)
	l.Fail("a", t0)
	l.Fail("a", t0)
	l.Fail("b", t0)
	wantAllow(t, l, "a", t0, false)
	l.Reset("a")
	wantAllow(t, l, "a", t0, true)
	l.Reset("b")
	l.Fail("b", t0) // the earlier failure was forgotten
	wantAllow(t, l, "b", t0, true)
	l.Reset("never seen")
}

func TestLimiterPrunesStaleKeys(t *testing.T) {
	l := New(5, time.Minute, 2*time.Minute)
	for i := range 1000 {
		l.Fail(fmt.Sprintf("ip:%d", i), t0)
	}
	if n := l.Len(); n != 1000 {
		t.Fatalf("Len = %d, want 1000", n)
	}
	// Once window and lockout have both passed, any Fail sweeps them out.
	l.Fail("new", t0.Add(2*time.Minute))
	if n := l.Len(); n != 1 {
		t.Errorf("Len after expiry = %d, want 1", n)
	}
}

func TestLimiterPruneKeepsLockedKeys(t *testing.T) {
	l := New(1, time.Minute, time.Hour)
	l.Fail("locked", t0)
	l.Fail("other", t0.Add(30*time.Minute))
	wantAllow(t, l, "locked", t0.Add(30*time.Minute), false)
	l.Fail("other2", t0.Add(time.Hour))
	wantAllow(t, l, "locked", t0.Add(time.Hour), true)
	if n := l.Len(); n != 2 {
		t.Errorf("Len = %d, want 2 (other, other2)", n)
	}
}

func TestLimiterCapsTrackedKeys(t *testing.T) {
	l := New(2, time.Hour, time.Hour)
	l.keys.max = 100
	for i := range 1000 {
		l.Fail(fmt.Sprintf("ip:%d", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("Len = %d, want cap 100", n)
	}
	// The most recently failed keys are the ones kept.
	l.Fail("ip:999", t0.Add(time.Second))
	wantAllow(t, l, "ip:999", t0.Add(time.Second), false)
	l.Fail("ip:0", t0.Add(time.Second))
	wantAllow(t, l, "ip:0", t0.Add(time.Second), true)
}

func TestLimiterConcurrent(t *testing.T) {
	l := New(1000, time.Hour, time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				now := t0.Add(time.Duration(i) * time.Millisecond)
				l.Fail("shared", now)
				l.Fail(fmt.Sprintf("own:%d:%d", g, i%10), now)
				l.Allow("shared", now)
				if i%50 == 0 {
					l.Reset(fmt.Sprintf("own:%d:%d", g, i%10))
				}
			}
		})
	}
	wg.Wait()
	// 8×500 = 4000 failures on "shared" in under a second: locked.
	wantAllow(t, l, "shared", t0.Add(time.Second), false)
}

func TestNewPanicsOnBadArguments(t *testing.T) {
	for _, args := range []struct {
		n       int
		w, lock time.Duration
	}{{0, time.Minute, time.Minute}, {1, 0, time.Minute}, {1, time.Minute, -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, %v, %v) did not panic", args.n, args.w, args.lock)
				}
			}()
			New(args.n, args.w, args.lock)
		}()
	}
}
