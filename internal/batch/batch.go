// Package batch runs concurrent calls in batches, with no added wait when
// idle: the group commit under message sends (internal/sending) and
// session lookups (store.SessionActor). A batch's run is one transaction
// or one statement for all its calls, so its fixed costs (a round trip, a
// WAL flush) are shared.
package batch

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Batcher runs calls in batches (a leader/follower scheme): a call that
// finds fewer than Flushers batches in flight runs at once, in its
// caller's goroutine, as a batch of one; calls arriving while Flushers
// batches are in flight queue, and when a batch finishes, the first
// queued call leads the next batch with every call queued behind it (up
// to Max). No goroutine is started: a batch runs in the goroutine of one
// of its callers, and each caller returns only once Run has answered it,
// but for a call whose ctx ends while it is still queued: nothing was run
// for it, it leaves (a client gone away does not wait its turn).
type Batcher[Req, Res any] struct {
	Max, Flushers int
	// Run executes one batch and must answer every call of it.
	Run func(batch []*Call[Req, Res])
	// Fail is the answer to a call no batch answered: its batch panicked
	// before answering it (the panic goes on in the leader, no other
	// caller waits forever), or its caller's ctx ended while it was still
	// queued.
	Fail func(error) Res

	mu       sync.Mutex
	inFlight int
	queue    []*Call[Req, Res]
}

// Call is one request in a Batcher. wake carries nil once res is set, or
// a batch for this call to lead. taken (under the Batcher's mu) is set
// once a batch took it from the queue: from then on its caller must wait
// for the batch's answer.
type Call[Req, Res any] struct {
	Req      Req
	res      Res
	wake     chan []*Call[Req, Res]
	answered bool
	taken    bool
}

// NewCall is a call outside any Batcher, for a Run to be tested on.
func NewCall[Req, Res any](req Req) *Call[Req, Res] {
	return &Call[Req, Res]{Req: req, wake: make(chan []*Call[Req, Res], 1)}
}

// Answer sets the call's result and wakes its caller.
func (c *Call[Req, Res]) Answer(res Res) {
	c.res, c.answered = res, true
	c.wake <- nil
}

// Result waits for the answer of a call made with NewCall.
func (c *Call[Req, Res]) Result() Res {
	<-c.wake
	return c.res
}

// Do runs req in a batch and returns its answer. A call whose ctx ends
// while it is still queued leaves the queue unrun, answered Fail(ctx.Err());
// once a batch took it, it waits for that batch's answer whatever ctx does.
func (g *Batcher[Req, Res]) Do(ctx context.Context, req Req) Res {
	c := NewCall[Req, Res](req)
	g.mu.Lock()
	if g.inFlight < g.Flushers {
		g.inFlight++
		c.taken = true // it leads: answered by its own batch
		batch := append([]*Call[Req, Res]{c}, g.takeLocked(g.Max-1)...)
		g.mu.Unlock()
		g.lead(batch)
	} else {
		g.queue = append(g.queue, c)
		g.mu.Unlock()
	}
	done := ctx.Done()
	for {
		var batch []*Call[Req, Res]
		select {
		case batch = <-c.wake:
		case <-done:
			if g.leave(c) {
				return g.Fail(ctx.Err())
			}
			done = nil // taken meanwhile: wait for the batch's answer
			continue
		}
		if batch == nil {
			return c.res
		}
		g.lead(batch)
	}
}

// InFlight is how many batches run now.
func (g *Batcher[Req, Res]) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// leave removes c from the queue, unless a batch already took it.
func (g *Batcher[Req, Res]) leave(c *Call[Req, Res]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.taken {
		return false
	}
	g.queue = slices.DeleteFunc(g.queue, func(q *Call[Req, Res]) bool { return q == c })
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return true
}

// takeLocked removes up to n calls from the head of the queue.
func (g *Batcher[Req, Res]) takeLocked(n int) []*Call[Req, Res] {
	n = min(n, len(g.queue))
	out := g.queue[:n:n]
	for _, c := range out {
		c.taken = true
	}
	g.queue = g.queue[n:]
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return out
}

// lead runs batch, then hands the flusher slot on.
func (g *Batcher[Req, Res]) lead(batch []*Call[Req, Res]) {
	defer func() {
		if p := recover(); p != nil {
			for _, c := range batch {
				if !c.answered {
					c.Answer(g.Fail(fmt.Errorf("batch panicked: %v", p)))
				}
			}
			g.handOff()
			panic(p)
		}
	}()
	g.Run(batch)
	g.handOff()
}

// handOff gives the flusher slot of a finished batch to the next queued
// batch, or back.
func (g *Batcher[Req, Res]) handOff() {
	g.mu.Lock()
	next := g.takeLocked(g.Max)
	if len(next) == 0 {
		g.inFlight--
	}
	g.mu.Unlock()
	if len(next) > 0 {
		next[0].wake <- next
	}
}
