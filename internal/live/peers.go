package live

import (
	"strings"
	"sync/atomic"
	"time"
)

// Knowing the other instances (docs/live.md, "Waking the readers").
// announcer's NOTIFY wakes the other instances' readers after a send
// batch's commit; it is a transaction of its own (a round trip, an xid,
// a commit), which a lone instance, the usual deployment, would pay for
// nothing at every batch. So an instance announces only while it knows
// that another one listens: every hub says hello (helloPrefix and its
// name) on the channel whenever its LISTEN connection opens, every hub
// that hears a hello answers with its name at once, and every hub repeats
// its name every presenceEvery. A hub that heard another within peerTTL
// announces; one that did not skips the NOTIFY (its own reader is woken
// directly, as always). A wake only makes a reader look sooner: a
// NOTIFY skipped while a peer was not yet known (the moment between its
// LISTEN and its hello's answer) delays its sockets' events until the
// next NOTIFY it hears (the answer to its hello is one) or its poll,
// never loses one. An instance of a version without hellos is not known,
// and hears this one's events at its poll.
const (
	helloPrefix = "hello:"
	// presenceEvery is how often a hub repeats its name on the channel:
	// one NOTIFY per instance this often, whatever the load.
	presenceEvery = 10 * time.Second
	// peerTTL is how long a hub counts as listening after it was last
	// heard: a few repeats, so one late or lost repeat forgets nobody.
	peerTTL = 3*presenceEvery + presenceEvery/2
)

// peers is what a hub knows of the other instances.
type peers struct {
	// seen is when another instance was last heard (UnixNano; 0 never).
	seen atomic.Int64
	// hello: the LISTEN connection (re)opened, say hello next.
	hello atomic.Bool
	// present: say this hub's name next, whether or not a peer is known
	// (the answer to a hello, the periodic repeat).
	present atomic.Bool
	// Counters for tests: NOTIFYs sent, and announcements skipped.
	notifies, skips atomic.Int64
}

// heard records a notification on the events channel: another hub's
// name or hello makes it a peer (the outbox trigger's empty payload and
// this hub's own name do not); a hello asks for an answer, which it
// returns true for.
func (p *peers) heard(payload, self string, now time.Time) (answer bool) {
	name, hello := strings.CutPrefix(payload, helloPrefix)
	if name == "" || name == self {
		return false
	}
	p.seen.Store(now.UnixNano())
	if hello {
		p.present.Store(true)
	}
	return hello
}

// known tells whether another instance was heard within peerTTL.
func (p *peers) known(now time.Time) bool {
	seen := p.seen.Load()
	return seen != 0 && now.Sub(time.Unix(0, seen)) < peerTTL
}

// next is the payload of the NOTIFY announcer should send now for this
// hub (self), if any: a hello after a (re)connect, its name when asked to
// be present or while a peer is known; none when nobody else listens.
func (p *peers) next(self string, now time.Time) (payload string, ok bool) {
	hello, present := p.hello.Swap(false), p.present.Swap(false)
	switch {
	case hello:
		return helloPrefix + self, true
	case present || p.known(now):
		return self, true
	}
	p.skips.Add(1)
	return "", false
}
