package throttle

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Rate is a per-key token bucket: each key may act burst times at once and
// then perSecond times a second on average. It is safe for concurrent use.
//
// It is implemented as the generic cell rate algorithm, which stores one
// time per key instead of a token count and last-update time, and keeps all
// arithmetic in exact integer durations.
type Rate struct {
	interval time.Duration // time one token takes to come back
	capacity time.Duration // interval × burst: time an empty bucket takes to fill

	mu sync.Mutex
	// Per key, the "theoretical arrival time": when the bucket will be full
	// again. A time at or before now means a full bucket.
	keys *tracked[time.Time]
}

// NewRate returns a Rate allowing perSecond events a second with bursts of
// up to burst. It panics unless both are positive and finite.
func NewRate(perSecond float64, burst int) *Rate {
	interval := time.Duration(math.Round(float64(time.Second) / perSecond))
	if !(perSecond > 0) || interval < 1 || burst < 1 || interval > math.MaxInt64/time.Duration(burst) {
		panic(fmt.Sprintf("throttle.NewRate(%v, %d): arguments out of range", perSecond, burst))
	}
	return &Rate{
		interval: interval,
		capacity: interval * time.Duration(burst),
		keys:     newTracked[time.Time](maxTrackedKeys),
	}
}

// Allow takes a token for key at now if one is available. If not, it
// reports how long until one will be.
func (r *Rate) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A key untouched for a full refill has a full bucket, the same as an
	// unknown key, so forgetting it changes nothing.
	r.keys.pruneUntouchedSince(now.Add(-r.capacity))

	full := now
	if e := r.keys.get(key); e != nil && e.val.After(now) {
		full = e.val
	}
	next := full.Add(r.interval)
	if allowAt := next.Add(-r.capacity); now.Before(allowAt) {
		return false, allowAt.Sub(now)
	}
	r.keys.touch(key, now).val = next
	return true, 0
}

// Len reports how many keys r is tracking.
func (r *Rate) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys.len()
}
