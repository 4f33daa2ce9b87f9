package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pixelpals/internal/domain"
)

// Remembered send sessions. A message send would otherwise read the
// database twice: its session lookup (with the send gate), then its batch.
// The checks before the batch (sleep mode, the leak guard) need the gate,
// so the lookup cannot join the batch's round trip; instead a sender's
// lookup is remembered for rememberSendFor and reused by their next sends,
// and every send's own INSERT checks, in its own snapshot, that what it
// was checked on still holds (SendHoldsSQL): the session is live, the
// account usable and, for a child, the gate unchanged. Nothing remembered
// is trusted for a write: a logout, suspension, deletion or a new
// schedule or kept password committed before the INSERT keeps the row
// out, as a fresh lookup would have (and a lookup read a round trip
// earlier than the INSERT does). A send refused so is retried once on a
// fresh lookup by its caller (the API), which answers 401 if the session
// is over and forgets the token: a token ended elsewhere (a suspension, a
// parent's "log out everywhere") spends at most one token of its
// sender's send budget, taken before its INSERT kept the row out.

const (
	// rememberSendFor bounds how long a lookup is reused: it is also how
	// long a child's new language takes to reach their refusals, and how
	// often a busy sender's session is looked up (a lookup is what
	// touches last_seen_at, every touchEvery at most).
	rememberSendFor = 30 * time.Second
	// maxRememberedSends bounds the memory (each entry is a token hash,
	// an actor and a gate: a few hundred bytes): past it, the stale
	// entries are forgotten, and if that is not enough (more senders than
	// this within rememberSendFor), all of them.
	maxRememberedSends = 4096
)

// sendSessions maps a token hash to its sender's last lookup.
type sendSessions struct {
	mu sync.Mutex
	m  map[string]rememberedSend
}

type rememberedSend struct {
	actor domain.Actor
	gate  SendGate
	at    time.Time
}

// RememberedSessionForSend is SessionForSend, answered from the sender's
// lookup of their last send when it is younger than rememberSendFor: the
// gate it returns is then Remembered, and the send's transaction must
// check it (SendHoldsSQL; sending does). Only an active account's lookup
// is remembered: one awaiting approval is looked up at every request, so
// an approval takes effect at once.
func (db *DB) RememberedSessionForSend(ctx context.Context, tokenHash []byte) (*domain.Actor, *SendGate, error) {
	if actor, gate, ok := db.sendSessions.get(string(tokenHash), time.Now()); ok {
		return actor, gate, nil
	}
	actor, gate, err := db.SessionForSend(ctx, tokenHash)
	if err == nil && actor.Active {
		db.sendSessions.put(string(tokenHash), *actor, *gate, time.Now())
	}
	return actor, gate, err
}

// ForgetSendSession drops the remembered lookup of tokenHash: its session
// was ended here (a logout), or a send it answered was kept out by
// SendHoldsSQL.
func (db *DB) ForgetSendSession(tokenHash []byte) {
	db.sendSessions.mu.Lock()
	delete(db.sendSessions.m, string(tokenHash))
	db.sendSessions.mu.Unlock()
}

// get returns copies of hash's remembered actor and gate, if fresh at now.
func (c *sendSessions) get(hash string, now time.Time) (*domain.Actor, *SendGate, bool) {
	c.mu.Lock()
	r, ok := c.m[hash]
	c.mu.Unlock()
	if !ok || now.Sub(r.at) >= rememberSendFor {
		return nil, nil, false
	}
	actor, gate := r.actor, r.gate
	gate.remembered = true
	return &actor, &gate, true
}

// put remembers hash's lookup, making room when full (evict).
func (c *sendSessions) put(hash string, actor domain.Actor, gate SendGate, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]rememberedSend{}
	}
	if _, again := c.m[hash]; !again && len(c.m) >= maxRememberedSends {
		c.evict(now)
	}
	c.m[hash] = rememberedSend{actor: actor, gate: gate, at: now}
}

// evict forgets the stale entries, or, when every entry is fresh, all of
// them: a burst of more senders than maxRememberedSends within
// rememberSendFor starts over, each sender's next send looking up again.
func (c *sendSessions) evict(now time.Time) {
	for h, r := range c.m {
		if now.Sub(r.at) >= rememberSendFor {
			delete(c.m, h)
		}
	}
	if len(c.m) >= maxRememberedSends {
		clear(c.m)
	}
}

// SendHoldsSQL is true when a send row may still go out as it was
// checked: session (an expression for a sessions id) is live
// (sessionLiveSQL) and sender's, the account active (accountActiveSQL:
// what the route asks of the actor), and for a child the send gate's
// stamp is still stamp (a text expression; NULL fails a child). It is the
// send INSERT's own check of its session (see above).
func SendHoldsSQL(session, sender, stamp string) string {
	return `coalesce((SELECT true FROM sessions s
		JOIN users u ON u.id = s.user_id
		LEFT JOIN users p ON p.id = u.parent_id
		WHERE s.id = ` + session + ` AND s.user_id = ` + sender + `
		  AND ` + sessionLiveSQL("s", "u", "p") + ` AND ` + accountActiveSQL("u") + `
		  AND (u.role <> 'CHILD' OR ` + gateStampSQL("u.id") + ` = ` + stamp + `)), false)`
}

// SendHolds evaluates SendHoldsSQL for one send now: whether a send
// whose row was not inserted was kept out by its session or gate.
func (db *DB) SendHolds(ctx context.Context, senderID int64, gate *SendGate) (bool, error) {
	session, stamp, ok := gate.Holds()
	if !ok {
		return true, nil
	}
	var holds bool
	if err := db.Pool.QueryRow(ctx, `SELECT `+SendHoldsSQL("$1::bigint", "$2::int", "$3::text"), session, senderID, stamp).Scan(&holds); err != nil {
		return false, fmt.Errorf("check the session of a send: %w", err)
	}
	return holds, nil
}
