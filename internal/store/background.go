package store

import (
	"context"
	"sync"
	"time"
)

// closeWait bounds how long Close waits for background work still
// running (a last_seen_at touch is one UPDATE by primary key: far less)
// before it cancels it.
const closeWait = 2 * time.Second

// background runs the work no request waits for (the last_seen_at touch,
// sessions.go) so that Close can wait for it. Without that, a touch
// started just before Close was cut off unseen, or held Close for its
// whole timeout.
type background struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context // ends when Close stops waiting
	cancel context.CancelFunc
}

// start runs fn in a goroutine of its own, unless Close has begun (then
// it reports false and fn does not run).
func (b *background) start(fn func(ctx context.Context)) bool {
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

// close stops new work, waits up to wait for the work running, then
// cancels what is left and waits for it to return.
func (b *background) close(wait time.Duration) {
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
