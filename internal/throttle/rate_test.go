package throttle

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func wantRate(t *testing.T, r *Rate, key string, now time.Time, want bool) time.Duration {
	t.Helper()
	ok, retry := r.Allow(key, now)
	if ok != want {
		t.Fatalf("Allow(%q, t0+%v) = %v, want %v", key, now.Sub(t0), ok, want)
	}
	if ok && retry != 0 || !ok && retry <= 0 {
		t.Fatalf("Allow(%q, t0+%v) = %v with retryAfter %v", key, now.Sub(t0), ok, retry)
	}
	return retry
}

func TestRateBurstThenRefill(t *testing.T) {
	r := NewRate(2, 5) // 2 a second, bursts of 5
	for range 5 {
		wantRate(t, r, "u1", t0, true)
	}
	if got := wantRate(t, r, "u1", t0, false); got != 500*time.Millisecond {
		t.Errorf("retryAfter on empty bucket = %v, want 500ms", got)
	}
	if got := wantRate(t, r, "u1", t0.Add(200*time.Millisecond), false); got != 300*time.Millisecond {
		t.Errorf("retryAfter 200ms later = %v, want 300ms", got)
	}
	wantRate(t, r, "u1", t0.Add(500*time.Millisecond), true)
	wantRate(t, r, "u1", t0.Add(500*time.Millisecond), false)

	// Another key has its own bucket.
	wantRate(t, r, "u2", t0, true)

	// After a long pause the bucket is full again, but no fuller.
	later := t0.Add(time.Hour)
	for range 5 {
		wantRate(t, r, "u1", later, true)
	}
	wantRate(t, r, "u1", later, false)
}

func TestRateSteadyState(t *testing.T) {
	r := NewRate(10, 1)
	allowed := 0
	for i := range 1000 { // 10 seconds in 10ms steps
		if ok, _ := r.Allow("u", t0.Add(time.Duration(i)*10*time.Millisecond)); ok {
			allowed++
		}
	}
	if allowed != 100 {
		t.Errorf("allowed %d in 10s at 10/s, want 100", allowed)
	}
}

func TestRateRetryAfterIsEnough(t *testing.T) {
	r := NewRate(3, 1)
	wantRate(t, r, "u", t0, true)
	retry := wantRate(t, r, "u", t0, false)
	wantRate(t, r, "u", t0.Add(retry-time.Nanosecond), false)
	wantRate(t, r, "u", t0.Add(retry), true)
}

// Callers read the clock before taking the lock, so times can arrive out of
// order; an earlier time is simply judged as that time.
func TestRateClockGoingBackwards(t *testing.T) {
	r := NewRate(1, 2)
	wantRate(t, r, "u", t0.Add(time.Second), true)
	if got := wantRate(t, r, "u", t0, false); got != time.Second {
		t.Errorf("retryAfter = %v, want 1s", got)
	}
	wantRate(t, r, "u", t0.Add(time.Second), true)
	wantRate(t, r, "u", t0.Add(time.Second), false)
}

func TestRatePrunesFullBuckets(t *testing.T) {
	r := NewRate(1, 10) // refills in 10s
	for i := range 1000 {
		r.Allow(fmt.Sprintf("u%d", i), t0)
	}
	if n := r.Len(); n != 1000 {
		t.Fatalf("Len = %d, want 1000", n)
	}
	r.Allow("u0", t0.Add(9*time.Second))
	if n := r.Len(); n != 1000 {
		t.Fatalf("Len before refill = %d, want 1000", n)
	}
	r.Allow("x", t0.Add(10*time.Second))
	if n := r.Len(); n != 2 {
		t.Errorf("Len after refill = %d, want 2 (u0, x)", n)
	}
}

func TestRateCapsTrackedKeys(t *testing.T) {
	r := NewRate(1, 1)
	r.keys.max = 50
	for i := range 500 {
		r.Allow(fmt.Sprintf("u%d", i), t0)
	}
	if n := r.Len(); n != 50 {
		t.Errorf("Len = %d, want cap 50", n)
	}
	wantRate(t, r, "u499", t0, false) // recent keys kept
}

func TestRateConcurrent(t *testing.T) {
	r := NewRate(1, 100)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if ok, _ := r.Allow("shared", t0); ok {
					allowed.Add(1)
				}
				r.Allow(fmt.Sprintf("own%d", g), t0.Add(time.Duration(i)*time.Millisecond))
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 100 {
		t.Errorf("allowed %d of 800 at one instant with burst 100", n)
	}
}

func TestNewRatePanicsOnBadArguments(t *testing.T) {
	for _, args := range []struct {
		per   float64
		burst int
	}{{0, 1}, {-1, 1}, {1, 0}, {math.Inf(1), 1}, {math.NaN(), 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRate(%v, %d) did not panic", args.per, args.burst)
				}
			}()
			NewRate(args.per, args.burst)
		}()
	}
}
