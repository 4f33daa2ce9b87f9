// Package background runs work no request waits for, and lets its owner
// wait for that work when it closes.
package background

import (
	"context"
	"sync"
	"time"
)

// Work runs the work no request waits for (the store's last_seen_at
// touch) so that closing can wait for it. Without that, a touch started
// just before the store closed was cut off unseen, or held Close for its
// whole timeout. The zero value is ready to use.
type Work struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context // ends when Close stops waiting
	cancel context.CancelFunc
}

// Start runs fn in a goroutine of its own, unless Close has begun (then
// it reports false and fn does not run).
func (b *Work) Start(fn func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	if b.ctx == nil {
		b.ctx, b.cancel = context.WithCancel(context.Background())
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn(b.ctx)
	}()
	return true
}

// Close stops new work, waits up to wait for the work running, then
// cancels what is left and waits for it to return.
func (b *Work) Close(wait time.Duration) {
	b.mu.Lock()
	b.closed = true
	ctx, cancel := b.ctx, b.cancel
	b.mu.Unlock()
	if ctx == nil {
		return // nothing ever started
	}
	done := make(chan struct{})
	go func() {
		b.wg.Wait() // no Add after closed: safe
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(wait):
		cancel()
		<-done
	}
	cancel()
}
