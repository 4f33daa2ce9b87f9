package store

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
)

// group runs calls in batches, with no added wait when idle (a
// leader/follower scheme): a call that finds fewer than flushers batches in
// flight runs at once, in its caller's goroutine, as a batch of one; calls
// arriving while flushers batches are in flight queue, and when a batch
// finishes, the first queued call leads the next batch with every call
// queued behind it (up to max). No goroutine is started: a batch runs in
// the goroutine of one of its callers, and each caller returns only once
// run has answered it, but for a call whose ctx ends while it is still
// queued: nothing was run for it, it leaves (a client gone away does not
// wait its turn).
type group[Req, Res any] struct {
	max, flushers int
	// run executes one batch and must answer every call of it.
	run func(batch []*call[Req, Res])
	// fail is the answer to a call no batch answered: its batch panicked
	// before answering it (the panic goes on in the leader, no other
	// caller waits forever), or its caller's ctx ended while it was still
	// queued.
	fail func(error) Res

	mu       sync.Mutex
	inFlight int
	queue    []*call[Req, Res]
}

// call is one request in a group. wake carries nil once res is set, or a
// batch for this call to lead. taken (under the group's mu) is set once a
// batch took it from the queue: from then on its caller must wait for
// the batch's answer.
type call[Req, Res any] struct {
	req      Req
	res      Res
	wake     chan []*call[Req, Res]
	answered bool
	taken    bool
}

func (c *call[Req, Res]) answer(res Res) {
	c.res, c.answered = res, true
	c.wake <- nil
}

// do runs req in a batch and returns its answer. A call whose ctx ends
// while it is still queued leaves the queue unrun, answered fail(ctx.Err());
// once a batch took it, it waits for that batch's answer whatever ctx does.
func (g *group[Req, Res]) do(ctx context.Context, req Req) Res {
	c := &call[Req, Res]{req: req, wake: make(chan []*call[Req, Res], 1)}
	g.mu.Lock()
	if g.inFlight < g.flushers {
		g.inFlight++
		c.taken = true // it leads: answered by its own batch
		batch := append([]*call[Req, Res]{c}, g.takeLocked(g.max-1)...)
		g.mu.Unlock()
		g.lead(batch)
	} else {
		g.queue = append(g.queue, c)
		g.mu.Unlock()
	}
	done := ctx.Done()
	for {
		var batch []*call[Req, Res]
		select {
		case batch = <-c.wake:
		case <-done:
			if g.leave(c) {
				return g.fail(ctx.Err())
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

// leave removes c from the queue, unless a batch already took it.
func (g *group[Req, Res]) leave(c *call[Req, Res]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.taken {
		return false
	}
	g.queue = slices.DeleteFunc(g.queue, func(q *call[Req, Res]) bool { return q == c })
	if len(g.queue) == 0 {
		g.queue = nil
	}
	return true
}

// takeLocked removes up to n calls from the head of the queue.
func (g *group[Req, Res]) takeLocked(n int) []*call[Req, Res] {
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
func (g *group[Req, Res]) lead(batch []*call[Req, Res]) {
	defer func() {
		if p := recover(); p != nil {
			for _, c := range batch {
				if !c.answered {
					c.answer(g.fail(fmt.Errorf("batch panicked: %v", p)))
				}
			}
			g.handOff()
			panic(p)
		}
	}()
	g.run(batch)
	g.handOff()
}

// handOff gives the flusher slot of a finished batch to the next queued
// batch, or back.
func (g *group[Req, Res]) handOff() {
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

// forceGenericSQL makes a transaction's statements run on generic plans.
// The batch statements take arrays, and for each new array PostgreSQL
// would otherwise plan them anew (a custom plan for one element always
// looks cheaper than the generic one for a guessed hundred): planning cost
// several times what running them does. Their generic plans probe the
// same indexes (each row's lookups are scalar or LATERAL ... LIMIT
// subqueries, which the planner cannot turn into joins over whole
// tables). SET LOCAL, not a session setting: it ends with the transaction,
// which also holds behind PgBouncer's transaction pooling.
const forceGenericSQL = `SET LOCAL plan_cache_mode = force_generic_plan`

// read is one query of genericReads and what takes its rows.
type read struct {
	sql  string
	args []any
	each func(pgx.Rows) error
}

// genericReads runs reads, in order, under forceGenericSQL, in one round
// trip and one REPEATABLE READ transaction: they all see one snapshot, so
// what one of them reads agrees with what the next one does (the outbox's
// frontier, for one). A read-only REPEATABLE READ transaction never fails
// to serialize.
func (db *DB) genericReads(ctx context.Context, reads ...read) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Released inside a transaction (after an error), the connection is
	// closed, not reused.
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(forceGenericSQL)
	for _, r := range reads {
		b.Queue(r.sql, r.args...)
	}
	b.Queue(`COMMIT`)
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	for _, r := range reads {
		if err := readRows(br, r.each); err != nil {
			return err
		}
	}
	if _, err := br.Exec(); err != nil {
		return err
	}
	return br.Close()
}

// readRows hands the rows of a batch's next query to each.
func readRows(br pgx.BatchResults, each func(pgx.Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	rows.Close()
	return rows.Err()
}
