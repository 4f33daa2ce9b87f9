// Package ratelimit keeps the limits shared by every instance: token
// buckets (sends, uploads) and failure lockouts (logins, friend-code
// guesses), in two UNLOGGED tables of the application's database.
package ratelimit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Rate limits shared by every instance (migration 00013, docs/schema.md).
// Each instance kept its own limits in memory, so two instances on one
// database let through twice the guesses and floods; the state now lives
// in two UNLOGGED tables that every instance reads and writes in single
// statements. Time is the database's clock (clock_timestamp()), never an
// instance's: instances whose clocks disagree still share one budget.
//
// A subject is the limit's name and what it limits ("acct:alice",
// "ip:192.0.2.1", "send:42"); it is stored as its SHA-256 only, so the
// tables hold no login name or address in clear. When the database cannot
// answer, the error is returned and the request fails (503): a limit that
// cannot be checked is not waived.

// Rate is a token bucket per subject: Burst actions at once, then
// PerSecond a second on average.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Check panics unless both numbers are positive and finite: limits are
// the program's constants, not input.
func (l Rate) Check() Rate {
	if !(l.PerSecond > 0) || math.IsInf(l.PerSecond, 1) || l.Burst < 1 {
		panic(fmt.Sprintf("rate limit %v/s in bursts of %d: both must be positive", l.PerSecond, l.Burst))
	}
	return l
}

// FailureLimit locks a subject out for Lockout once it has failed Max
// times within Window. Failures while locked out are not counted, so that
// someone hammering an account cannot keep its owner out for ever.
type FailureLimit struct {
	Max     int
	Window  time.Duration
	Lockout time.Duration
}

// Check panics unless every field is positive.
func (l FailureLimit) Check() FailureLimit {
	if l.Max < 1 || l.Window <= 0 || l.Lockout <= 0 {
		panic(fmt.Sprintf("failure limit %d in %v, lockout %v: all must be positive", l.Max, l.Window, l.Lockout))
	}
	return l
}

// Key is the stored key of a subject.
func Key(subject string) []byte {
	h := sha256.Sum256([]byte(subject))
	return h[:]
}

// TakeTokensSQL takes up to $2[i] tokens from the bucket of key $1[i],
// for buckets of $3 tokens that refill at $4 tokens a second, and returns
// per key how many it granted and how many seconds until the next token.
//
// One statement, so two instances taking from one bucket at once are
// serialized by its row lock: the second sees the first's take. A new key
// starts full. An existing one first refills by the database time since
// its last take (never past full), then gives what it has, whole tokens
// only; granted records the grant so that the send batch's INSERT can
// read it in the same transaction. full_at, when the bucket will be full
// again, is when the row can be purged: a missing row is a full bucket.
// Keys are taken in order, so two multi-key takes cannot deadlock. The
// send pipeline queues it in its batch's own round trip.
const TakeTokensSQL = `
	WITH p AS (SELECT $3::int AS burst, $4::float8 AS rate)
	INSERT INTO rate_buckets AS b (key, tokens, granted, updated_at, full_at)
	SELECT k.key, p.burst - g.n, g.n, c.now, c.now + g.n / p.rate * interval '1 second'
	FROM unnest($1::bytea[], $2::int[]) AS k(key, n)
	CROSS JOIN p
	CROSS JOIN (SELECT clock_timestamp() AS now) c
	CROSS JOIN LATERAL (SELECT least(k.n, p.burst) AS n) g
	ORDER BY k.key
	ON CONFLICT (key) DO UPDATE SET (tokens, granted, updated_at, full_at) = (
		SELECT r.tokens - g.n, g.n, c.now, c.now + (p.burst - r.tokens + g.n) / p.rate * interval '1 second'
		FROM p
		-- The row may have been taken from after this statement began
		-- (its lock was waited for): never count time backwards.
		CROSS JOIN (SELECT greatest(clock_timestamp(), b.updated_at) AS now) c
		CROSS JOIN LATERAL (SELECT least(p.burst, b.tokens + p.rate * extract(epoch FROM c.now - b.updated_at)::float8) AS tokens) r
		-- excluded.granted is what the new-key branch would have granted:
		-- the tokens asked for, at most a full bucket.
		CROSS JOIN LATERAL (SELECT least(excluded.granted, floor(r.tokens))::int AS n) g)
	RETURNING b.key, b.granted, (1 - b.tokens) / $4::float8`

// tokenTake is what TakeTokensSQL did for one key.
type tokenTake struct {
	granted int
	wait    time.Duration // until the next token, when it granted fewer than asked
}

// seconds converts a float number of seconds to a duration, at least 0.
func seconds(s float64) time.Duration {
	return time.Duration(max(0, s) * float64(time.Second))
}

// TakeToken takes one token of limit l from subject's bucket. If it has
// none, ok is false and wait is how long until it will.
func TakeToken(ctx context.Context, pool *pgxpool.Pool, l Rate, subject string) (ok bool, wait time.Duration, err error) {
	var key []byte
	var granted int
	var waitSecs float64
	err = pool.QueryRow(ctx, TakeTokensSQL, [][]byte{Key(subject)}, []int32{1}, l.Burst, l.PerSecond).
		Scan(&key, &granted, &waitSecs)
	if err != nil {
		return false, 0, fmt.Errorf("take a rate limit token: %w", err)
	}
	if granted == 1 {
		return true, 0, nil
	}
	return false, seconds(waitSecs), nil
}

// lockedOutSQL returns, of the keys $1, those locked out now and the
// seconds their lockout has left.
const lockedOutSQL = `
	SELECT key, extract(epoch FROM locked_until - clock_timestamp())::float8
	FROM rate_failures
	WHERE key = ANY($1::bytea[]) AND locked_until > clock_timestamp()`

// LockedOut tells for each subject how long it is still locked out
// (0: it is not), in the order given.
func LockedOut(ctx context.Context, pool *pgxpool.Pool, subjects ...string) ([]time.Duration, error) {
	keys := make([][]byte, len(subjects))
	for i, s := range subjects {
		keys[i] = Key(s)
	}
	rows, err := pool.Query(ctx, lockedOutSQL, keys)
	if err != nil {
		return nil, fmt.Errorf("read lockouts: %w", err)
	}
	waits := make([]time.Duration, len(subjects))
	var key []byte
	var secs float64
	_, err = pgx.ForEachRow(rows, []any{&key, &secs}, func() error {
		for i, k := range keys {
			if bytes.Equal(k, key) {
				waits[i] = max(seconds(secs), time.Microsecond)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read lockouts: %w", err)
	}
	return waits, nil
}

// recordFailureSQL counts a failure of key $1 under a limit of $2
// failures in $3 seconds, locking it out for $4 seconds at the $2-th.
//
// failures holds the key's failures within the window (oldest first):
// the one that makes them $2 locks the key out and starts a fresh count.
// While the key is locked out, the update's WHERE leaves the row as it
// is: failures then are not counted and do not extend the lockout.
// expires_at is when the row no longer matters (window and lockout
// passed), for the purge.
const recordFailureSQL = `
	WITH p AS (SELECT $2::int AS max, make_interval(secs => $3::float8) AS window,
	                  make_interval(secs => $4::float8) AS lockout)
	INSERT INTO rate_failures AS f (key, failures, locked_until, expires_at)
	SELECT $1::bytea, CASE WHEN p.max <= 1 THEN '{}' ELSE ARRAY[c.now] END,
	       CASE WHEN p.max <= 1 THEN c.now + p.lockout END,
	       c.now + CASE WHEN p.max <= 1 THEN p.lockout ELSE p.window END
	FROM p CROSS JOIN (SELECT clock_timestamp() AS now) c
	ON CONFLICT (key) DO UPDATE SET (failures, locked_until, expires_at) = (
		SELECT CASE WHEN w.full THEN '{}' ELSE w.recent END,
		       CASE WHEN w.full THEN c.now + p.lockout END,
		       c.now + CASE WHEN w.full THEN p.lockout ELSE p.window END
		FROM p
		CROSS JOIN (SELECT clock_timestamp() AS now) c
		-- The failures still within the window, and this one.
		CROSS JOIN LATERAL (SELECT ARRAY(SELECT t FROM unnest(f.failures) AS t WHERE t > c.now - p.window ORDER BY t) || c.now AS recent) r
		CROSS JOIN LATERAL (SELECT r.recent, cardinality(r.recent) >= p.max AS full) w)
	WHERE f.locked_until IS NULL OR f.locked_until <= clock_timestamp()`

// Failure is one failed attempt to count against a subject.
type Failure struct {
	Limit   FailureLimit
	Subject string
}

// RecordFailures counts each failure, in one round trip. They are written
// in key order, so that two requests counting the same keys cannot
// deadlock.
func RecordFailures(ctx context.Context, pool *pgxpool.Pool, fails ...Failure) error {
	type row struct {
		key []byte
		l   FailureLimit
	}
	rows := make([]row, len(fails))
	for i, f := range fails {
		rows[i] = row{Key(f.Subject), f.Limit}
	}
	slices.SortFunc(rows, func(a, b row) int { return bytes.Compare(a.key, b.key) })
	b := &pgx.Batch{}
	for _, r := range rows {
		b.Queue(recordFailureSQL, r.key, r.l.Max, r.l.Window.Seconds(), r.l.Lockout.Seconds())
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record failures: %w", err)
	}
	return nil
}

// ClearFailures forgets subject's failures, as after a successful login.
func ClearFailures(ctx context.Context, pool *pgxpool.Pool, subject string) error {
	if _, err := pool.Exec(ctx, `DELETE FROM rate_failures WHERE key = $1`, Key(subject)); err != nil {
		return fmt.Errorf("clear failures: %w", err)
	}
	return nil
}

// DeleteExpired deletes up to limit rows of each limits table
// that no longer matter: buckets full again (a missing row is a full
// bucket) and failures whose window and lockout have passed. It goes by
// the database's clock, as the limits do; deleting a row early would
// hand back a budget.
func DeleteExpired(ctx context.Context, pool *pgxpool.Pool, limit int) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `
		WITH buckets AS (
			DELETE FROM rate_buckets WHERE key IN (
				SELECT key FROM rate_buckets WHERE full_at < clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING 1
		), failures AS (
			DELETE FROM rate_failures WHERE key IN (
				SELECT key FROM rate_failures WHERE expires_at < clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM buckets) + (SELECT count(*) FROM failures)`, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("delete expired rate limits: %w", err)
	}
	return n, nil
}
