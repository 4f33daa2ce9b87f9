package store

import "sync"

// group runs calls in batches, with no added wait when idle (a
// leader/follower scheme): a call that finds fewer than flushers batches in
// flight runs at once, in its caller's goroutine, as a batch of one; calls
// arriving while flushers batches are in flight queue, and when a batch
// finishes, the first queued call leads the next batch with every call
// queued behind it (up to max). No goroutine is started: a batch runs in
// the goroutine of one of its callers, and each caller returns only once
// run has answered it.
type group[Req, Res any] struct {
	max, flushers int
	// run executes one batch and must answer every call of it.
	run func(batch []*call[Req, Res])

	mu       sync.Mutex
	inFlight int
	queue    []*call[Req, Res]
}

// call is one request in a group. wake carries nil once res is set, or a
// batch for this call to lead.
type call[Req, Res any] struct {
	req  Req
	res  Res
	wake chan []*call[Req, Res]
}

func (c *call[Req, Res]) answer(res Res) {
	c.res = res
	c.wake <- nil
}

// do runs req in a batch and returns its answer.
func (g *group[Req, Res]) do(req Req) Res {
	c := &call[Req, Res]{req: req, wake: make(chan []*call[Req, Res], 1)}
	g.mu.Lock()
	if g.inFlight < g.flushers {
		g.inFlight++
		batch := append([]*call[Req, Res]{c}, g.takeLocked(g.max-1)...)
		g.mu.Unlock()
		g.lead(batch)
	} else {
		g.queue = append(g.queue, c)
		g.mu.Unlock()
	}
	for {
		batch := <-c.wake
		if batch == nil {
			return c.res
		}
		g.lead(batch)
	}
}

// takeLocked removes up to n calls from the head of the queue.
func (g *group[Req, Res]) takeLocked(n int) []*call[Req, Res] {
	n = min(n, len(g.queue))
	out := g.queue[:n:n]
	g.queue = g.queue[n:]
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return out
}

// lead runs batch, then hands the flusher slot to the next queued batch,
// or gives it back.
func (g *group[Req, Res]) lead(batch []*call[Req, Res]) {
	g.run(batch)
	g.mu.Lock()
	next := g.takeLocked(g.max)
	if len(next) == 0 {
		g.inFlight--
	}
	g.mu.Unlock()
	if len(next) > 0 {
		next[0].wake <- next
	}
}
