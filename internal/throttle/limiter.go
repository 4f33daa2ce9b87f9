package throttle

import (
	"fmt"
	"sync"
	"time"
)

// Limiter locks a key out for a while once it has failed too often within a
// sliding window. Keys are chosen by the caller, e.g. "acct:alice@example.com"
// and "ip:192.0.2.1". It is safe for concurrent use.
type Limiter struct {
	maxFailures int
	window      time.Duration
	lockout     time.Duration

	mu   sync.Mutex
	keys *tracked[failures]
}

// failures is one key's state. An entry is touched only by Fail, so its
// touch time is its latest failure and it can be forgotten once both the
// window and any lockout that failure started have passed.
type failures struct {
	times       []time.Time // failures within the window, oldest first; at most maxFailures-1
	lockedUntil time.Time
}

// New returns a Limiter that, once a key has maxFailures failures within
// window, refuses it for lockout. It panics unless all arguments are
// positive.
func New(maxFailures int, window, lockout time.Duration) *Limiter {
	if maxFailures < 1 || window <= 0 || lockout <= 0 {
		panic(fmt.Sprintf("throttle.New(%d, %v, %v): arguments must be positive", maxFailures, window, lockout))
	}
	return &Limiter{
		maxFailures: maxFailures,
		window:      window,
		lockout:     lockout,
		keys:        newTracked[failures](maxTrackedKeys),
	}
}

// Allow reports whether key may try now. If not, retryAfter is how long
// until its lockout ends.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys.get(key)
	if e == nil || !now.Before(e.val.lockedUntil) {
		return true, 0
	}
	return false, e.val.lockedUntil.Sub(now)
}

// Fail records a failed attempt for key at now. The failure that brings the
// count within the window to maxFailures locks key out until now+lockout and
// starts a fresh count. Failures while locked out are ignored, so that
// someone hammering an account cannot keep its owner locked out forever by
// extending the lockout.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys.pruneUntouchedSince(now.Add(-max(l.window, l.lockout)))

	if e := l.keys.get(key); e != nil && now.Before(e.val.lockedUntil) {
		return
	}
	f := &l.keys.touch(key, now).val
	// Drop failures that have slid out of the window.
	cutoff := now.Add(-l.window)
	i := 0
	for i < len(f.times) && !f.times[i].After(cutoff) {
		i++
	}
	f.times = append(f.times[i:], now)
	if len(f.times) >= l.maxFailures {
		f.lockedUntil = now.Add(l.lockout)
		f.times = nil
	}
}

// Reset forgets key, as after a successful login.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys.remove(key)
}

// Len reports how many keys l is tracking.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys.len()
}
