package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroup: every call is answered with its own result; batches hold at
// most max calls, at most flushers run at once, a call made while nothing
// runs is a batch of one, run in the caller's goroutine, at once; calls
// queued behind busy flushers share batches.
func TestGroup(t *testing.T) {
	var inFlight, most, batches, shared atomic.Int64
	g := &group[int, int]{max: 5, flushers: 2, fail: func(error) int { return -1 }}
	g.run = func(batch []*call[int, int]) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if len(batch) > g.max {
			t.Errorf("batch of %d", len(batch))
		}
		batches.Add(1)
		if len(batch) > 1 {
			shared.Add(1)
		}
		time.Sleep(time.Millisecond) // a commit
		for _, c := range batch {
			c.answer(c.req * 10)
		}
	}
	if got := g.do(7); got != 70 || batches.Load() != 1 {
		t.Fatalf("idle call: %d after %d batches", got, batches.Load())
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := g.do(i); got != i*10 {
				t.Errorf("call %d answered %d", i, got)
			}
		}()
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("%d batches ran at once, want at most 2", most.Load())
	}
	if shared.Load() == 0 {
		t.Errorf("200 concurrent calls never shared a batch (%d batches)", batches.Load())
	}
	if g.inFlight != 0 || len(g.queue) != 0 {
		t.Errorf("left %d in flight, %d queued", g.inFlight, len(g.queue))
	}
	t.Logf("200 calls in %d batches", batches.Load()-1)
}

// TestGroupPanic: a batch that panics answers its unanswered calls with
// fail, the panic goes on in its leader, and the group keeps working.
func TestGroupPanic(t *testing.T) {
	g := &group[int, int]{max: 5, flushers: 1, fail: func(error) int { return -1 }}
	g.run = func(batch []*call[int, int]) {
		for _, c := range batch {
			if c.req < 0 {
				panic("bad row")
			}
			c.answer(c.req)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the leader")
			}
		}()
		g.do(-1)
	}()
	if got := g.do(3); got != 3 || g.inFlight != 0 {
		t.Fatalf("after a panic: %d, %d in flight", got, g.inFlight)
	}
}
