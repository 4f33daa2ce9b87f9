package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

func take(t *testing.T, db *store.DB, l ratelimit.Rate, subject string) (bool, time.Duration) {
	t.Helper()
	ok, wait, err := ratelimit.TakeToken(context.Background(), db.Pool, l, subject)
	if err != nil {
		t.Fatal(err)
	}
	return ok, wait
}

// TestTokenBucketBurstThenRefill: a new bucket gives its burst, then says
// how long until the next token, and that wait is enough. Buckets are
// per subject.
func TestTokenBucketBurstThenRefill(t *testing.T) {
	db := pgtest.DB(t)
	l := ratelimit.Rate{PerSecond: 1, Burst: 3}
	for i := range 3 {
		if ok, _ := take(t, db, l, "send:1"); !ok {
			t.Fatalf("take %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := take(t, db, l, "send:1")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th take: ok=%v wait=%v, want refused with a wait in (0, 1s]", ok, wait)
	}
	if ok, _ := take(t, db, l, "send:2"); !ok {
		t.Fatal("another subject's bucket was spent")
	}
	time.Sleep(wait)
	if ok, wait := take(t, db, l, "send:1"); !ok {
		t.Fatalf("after the wait it was told: refused again (wait %v)", wait)
	}
}

// TestTokenBucketAcrossPools: takes through two pools (as two instances
// hold) at once share one budget.
func TestTokenBucketAcrossPools(t *testing.T) {
	url := pgtest.URL(t)
	a, b := pgtest.Open(t, url), pgtest.Open(t, url)
	l := ratelimit.Rate{PerSecond: 0.001, Burst: 10}
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for i := range 40 {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Go(func() {
			ok, _, err := ratelimit.TakeToken(context.Background(), db.Pool, l, "upload:7")
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				granted++
			}
		})
	}
	wg.Wait()
	if granted != 10 {
		t.Fatalf("%d of 40 takes granted, want the burst of 10", granted)
	}
}

func lockedOut(t *testing.T, db *store.DB, subject string) time.Duration {
	t.Helper()
	waits, err := ratelimit.LockedOut(context.Background(), db.Pool, subject)
	if err != nil {
		t.Fatal(err)
	}
	return waits[0]
}

func fail(t *testing.T, db *store.DB, l ratelimit.FailureLimit, subject string) {
	t.Helper()
	if err := ratelimit.RecordFailures(context.Background(), db.Pool, ratelimit.Failure{Limit: l, Subject: subject}); err != nil {
		t.Fatal(err)
	}
}

// TestFailureLockout: the Max-th failure within the window locks the
// subject out for Lockout; failures while locked out do not extend it;
// clearing forgets the subject.
func TestFailureLockout(t *testing.T) {
	db := pgtest.DB(t)
	l := ratelimit.FailureLimit{Max: 3, Window: time.Minute, Lockout: time.Minute}
	for i := range 2 {
		fail(t, db, l, "acct:alice")
		if w := lockedOut(t, db, "acct:alice"); w != 0 {
			t.Fatalf("locked out for %v after %d failures of 3", w, i+1)
		}
	}
	fail(t, db, l, "acct:alice")
	first := lockedOut(t, db, "acct:alice")
	if first < 50*time.Second || first > time.Minute {
		t.Fatalf("after 3 failures locked out for %v, want about a minute", first)
	}
	if w := lockedOut(t, db, "acct:bob"); w != 0 {
		t.Fatalf("another subject locked out for %v", w)
	}
	time.Sleep(20 * time.Millisecond)
	fail(t, db, l, "acct:alice")
	if w := lockedOut(t, db, "acct:alice"); w > first {
		t.Fatalf("a failure while locked out extended the lockout from %v to %v", first, w)
	}
	if err := ratelimit.ClearFailures(context.Background(), db.Pool, "acct:alice"); err != nil {
		t.Fatal(err)
	}
	if w := lockedOut(t, db, "acct:alice"); w != 0 {
		t.Fatalf("cleared, still locked out for %v", w)
	}
}

// TestFailureWindowSlides: failures further apart than the window never
// lock; after a lockout ends the count starts afresh.
func TestFailureWindowSlides(t *testing.T) {
	db := pgtest.DB(t)
	short := ratelimit.FailureLimit{Max: 2, Window: 200 * time.Millisecond, Lockout: time.Hour}
	fail(t, db, short, "ip:192.0.2.2")
	time.Sleep(300 * time.Millisecond)
	fail(t, db, short, "ip:192.0.2.2")
	if w := lockedOut(t, db, "ip:192.0.2.2"); w != 0 {
		t.Fatalf("two failures a window apart locked out for %v", w)
	}

	l := ratelimit.FailureLimit{Max: 2, Window: time.Hour, Lockout: 300 * time.Millisecond}
	fail(t, db, l, "ip:192.0.2.1")
	fail(t, db, l, "ip:192.0.2.1")
	if w := lockedOut(t, db, "ip:192.0.2.1"); w == 0 {
		t.Fatal("two failures within the window did not lock out")
	}
	time.Sleep(400 * time.Millisecond)
	if w := lockedOut(t, db, "ip:192.0.2.1"); w != 0 {
		t.Fatalf("still locked out for %v after the lockout", w)
	}
	fail(t, db, l, "ip:192.0.2.1")
	if w := lockedOut(t, db, "ip:192.0.2.1"); w != 0 {
		t.Fatalf("the first failure after a lockout locked out again for %v", w)
	}
}

// TestRateLimitsStoreNoSubjectInClear: rows are keyed by a hash, never the
// login name or address.
func TestRateLimitsStoreNoSubjectInClear(t *testing.T) {
	db := pgtest.DB(t)
	fail(t, db, ratelimit.FailureLimit{Max: 5, Window: time.Minute, Lockout: time.Minute}, "acct:alice@example.com")
	take(t, db, ratelimit.Rate{PerSecond: 1, Burst: 1}, "ip:192.0.2.77")
	var n int
	if err := db.Pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM rate_failures WHERE position('alice' IN encode(key, 'escape')) > 0)
		     + (SELECT count(*) FROM rate_buckets WHERE position('192.0.2' IN encode(key, 'escape')) > 0)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows hold their subject in clear", n)
	}
}

// TestDeleteExpiredRateLimits: the purge deletes full buckets and
// failures past their window and lockout, nothing else.
func TestDeleteExpiredRateLimits(t *testing.T) {
	db := pgtest.DB(t)
	ctx := context.Background()
	fast, slow := ratelimit.Rate{PerSecond: 100, Burst: 1}, ratelimit.Rate{PerSecond: 0.001, Burst: 1}
	take(t, db, fast, "send:1")
	take(t, db, slow, "send:2")
	fail(t, db, ratelimit.FailureLimit{Max: 5, Window: 50 * time.Millisecond, Lockout: 50 * time.Millisecond}, "acct:a")
	fail(t, db, ratelimit.FailureLimit{Max: 5, Window: time.Hour, Lockout: time.Hour}, "acct:b")
	time.Sleep(200 * time.Millisecond)
	n, err := ratelimit.DeleteExpired(ctx, db.Pool, 500)
	if err != nil || n != 2 {
		t.Fatalf("purge: %d rows, %v; want 2", n, err)
	}
	if ok, _ := take(t, db, slow, "send:2"); ok {
		t.Fatal("the purge handed back a bucket that was not full")
	}
	if n, err := ratelimit.DeleteExpired(ctx, db.Pool, 500); err != nil || n != 0 {
		t.Fatalf("second purge: %d rows, %v; want 0", n, err)
	}
}
