package batch

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatcher: every call is answered with its own result; batches hold at
// most max calls, at most flushers run at once, a call made while nothing
// runs is a batch of one, run in the caller's goroutine, at once; calls
// queued behind busy flushers share batches.
func TestBatcher(t *testing.T) {
	var inFlight, most, batches, shared atomic.Int64
	g := &Batcher[int, int]{Max: 5, Flushers: 2, Fail: func(error) int { return -1 }}
	g.Run = func(batch []*Call[int, int]) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if len(batch) > g.Max {
			t.Errorf("batch of %d", len(batch))
		}
		batches.Add(1)
		if len(batch) > 1 {
			shared.Add(1)
		}
		time.Sleep(time.Millisecond) // a commit
		for _, c := range batch {
			c.Answer(c.Req * 10)
		}
	}
	if got := g.Do(context.Background(), 7); got != 70 || batches.Load() != 1 {
		t.Fatalf("idle call: %d after %d batches", got, batches.Load())
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := g.Do(context.Background(), i); got != i*10 {
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

// TestBatcherPanic: a batch that panics answers its unanswered calls with
// Fail, the panic goes on in its leader, and the Batcher keeps working.
func TestBatcherPanic(t *testing.T) {
	g := &Batcher[int, int]{Max: 5, Flushers: 1, Fail: func(error) int { return -1 }}
	g.Run = func(batch []*Call[int, int]) {
		for _, c := range batch {
			if c.Req < 0 {
				panic("bad row")
			}
			c.Answer(c.Req)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the leader")
			}
		}()
		g.Do(context.Background(), -1)
	}()
	if got := g.Do(context.Background(), 3); got != 3 || g.inFlight != 0 {
		t.Fatalf("after a panic: %d, %d in flight", got, g.inFlight)
	}
}

// TestBatcherCancelQueued: a queued call whose ctx ends leaves the queue at
// once, unrun, answered Fail(ctx.Err()); a call a batch already took
// waits for that batch's answer, whatever its ctx does.
func TestBatcherCancelQueued(t *testing.T) {
	release := make(chan struct{})
	started := make(chan []int, 3)
	var mu sync.Mutex
	var ran []int
	g := &Batcher[int, int]{Max: 5, Flushers: 1, Fail: func(error) int { return -1 }}
	g.Run = func(batch []*Call[int, int]) {
		reqs := make([]int, len(batch))
		for i, c := range batch {
			reqs[i] = c.Req
		}
		mu.Lock()
		ran = append(ran, reqs...)
		mu.Unlock()
		started <- reqs
		<-release
		for _, c := range batch {
			c.Answer(c.Req * 10)
		}
	}
	queued := func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.queue)
	}
	answers := map[int]chan int{}
	do := func(ctx context.Context, req int) {
		answer := make(chan int, 1)
		answers[req] = answer
		go func() { answer <- g.Do(ctx, req) }()
	}
	waitQueued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); queued() != n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d queued, want %d", queued(), n)
			}
		}
	}

	do(context.Background(), 1) // leads, and blocks
	<-started
	ctx2, cancel2 := context.WithCancel(context.Background())
	ctx3, cancel3 := context.WithCancel(context.Background())
	defer cancel3()
	do(ctx2, 2)
	waitQueued(1)
	do(ctx3, 3)
	waitQueued(2)
	do(context.Background(), 4)
	waitQueued(3)

	cancel2()
	select {
	case got := <-answers[2]:
		if got != -1 {
			t.Fatalf("cancelled queued call answered %d, want -1", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled queued call still waits")
	}
	if n := queued(); n != 2 {
		t.Fatalf("%d queued after a call left, want 2", n)
	}

	release <- struct{}{} // batch {1} ends; {3, 4} is taken
	if got := <-answers[1]; got != 10 {
		t.Fatalf("call 1 answered %d", got)
	}
	if b := <-started; len(b) != 2 || b[0] != 3 || b[1] != 4 {
		t.Fatalf("second batch %v, want [3 4]", b)
	}
	cancel3() // taken: must wait for the batch
	select {
	case got := <-answers[3]:
		t.Fatalf("a call taken into a batch returned %d before the batch answered", got)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if got3, got4 := <-answers[3], <-answers[4]; got3 != 30 || got4 != 40 {
		t.Fatalf("taken calls answered %d, %d, want 30, 40", got3, got4)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ran, []int{1, 3, 4}) {
		t.Errorf("ran %v, want [1 3 4]: the cancelled call must not run", ran)
	}
	if g.inFlight != 0 || len(g.queue) != 0 {
		t.Errorf("left %d in flight, %d queued", g.inFlight, len(g.queue))
	}
}

// TestBatcherLeaderAnswered: a call that ran in a batch returns that
// batch's answer even when its ctx has ended meanwhile.
func TestBatcherLeaderAnswered(t *testing.T) {
	g := &Batcher[int, int]{Max: 5, Flushers: 1, Fail: func(error) int { return -1 }}
	g.Run = func(batch []*Call[int, int]) {
		for _, c := range batch {
			c.Answer(c.Req * 10)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 200 {
		if got := g.Do(ctx, i); got != i*10 {
			t.Fatalf("call %d, led in its own batch, answered %d", i, got)
		}
	}
}
