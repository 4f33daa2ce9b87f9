// Package live delivers live events (SPEC §12) to this instance's
// WebSockets. Events are written by the store into the live_events outbox
// in the transactions of the actions they report; every instance holds one
// LISTEN connection, reads the outbox in its final order when told (and on
// a timer, in case a notification was missed), and hands each event to the
// sockets of its recipients. A socket that reconnects with ?since= replays
// its user's events from the table, then goes live, with no gap and no
// duplicate. docs/live.md has the protocol and the reasoning.
package live

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pixelpals/internal/clientip"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/store"
)

// Config tunes a Hub; zero fields take the defaults.
type Config struct {
	// ListenURL is the LISTEN connection's database (empty: the pool's).
	ListenURL string
	// Window is how far back ?since= replays (default 7 days); an older
	// cursor gets resync.
	Window time.Duration
	// AllowedOrigins are origins ("https://chat.example.org") besides the
	// service's own whose pages may open a socket with the session cookie.
	AllowedOrigins []string
	// QueueSize bounds each socket's undelivered events (default 256);
	// a socket that falls further behind gets resync and is closed.
	QueueSize int
	// PingInterval is how often an idle socket is pinged (default 25 s,
	// under the usual 30-60 s idle timeouts of proxies).
	PingInterval time.Duration
	// PollInterval is how often the outbox is read without a
	// notification (default 1 s): a missed NOTIFY delays, never loses.
	PollInterval time.Duration
	// SweepInterval is how often open sockets' sessions are re-checked
	// (default 5 s: one indexed query per instance), besides the sessions trigger's notifications.
	SweepInterval time.Duration
	// MaxPerUser bounds one user's open sockets on this instance (default
	// 16: tabs and devices, not a way to exhaust memory).
	MaxPerUser int
	// Now is the clock of sleep mode (default time.Now); tests set it.
	Now func() time.Time
}

// DefaultWindow is the replay window of SPEC §12.
const DefaultWindow = 7 * 24 * time.Hour

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 5 * time.Second
	}
	if c.MaxPerUser <= 0 {
		c.MaxPerUser = 16
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// readBatch is how many events one outbox read takes.
const readBatch = 500

// Hub is this instance's set of sockets and its reader of the outbox.
type Hub struct {
	db  *store.DB
	cfg Config
	log *slog.Logger
	// policy says which events a sleeping child's sockets hold back.
	policy *sleepPolicy
	// poll reads the sockets (nil: each has a reader goroutine); set
	// before ready.
	poll *poller

	mu       sync.Mutex
	pos      eventlog.Pos // every event up to here is handed out
	users    map[int64]map[*socket]struct{}
	sessions map[int64]map[*socket]struct{}
	// idleRead is when skipIdle last read the frontier; idleStale: it
	// skipped a read since, so pos may be behind the frontier.
	idleRead  time.Time
	idleStale bool
	// registered counts the sockets ever registered: skipIdle's sign
	// that one registered while it read the frontier.
	registered int64

	wake  chan struct{}
	sweep chan struct{}
	// announce asks announcer to notify the other instances (Announce);
	// self is this hub's name in those notifications, which its own
	// listener ignores: it was woken directly.
	announce chan struct{}
	self     string
	ready    chan struct{} // closed once pos is known
	done     chan struct{} // closed when Run ends: sockets close

	pinging atomic.Bool // a round of pings runs (pingAll)

	// peers is what this hub knows of the other instances: whether
	// announcer's NOTIFY has anyone to wake (peers.go).
	peers peers

	// A counter for tests.
	listens atomic.Int64 // LISTEN connections opened
	// frontier reads of an idle hub, and reads it skipped (skipIdle)
	idleReads, idleSkips atomic.Int64
}

// New builds a hub; Run starts it.
func New(db *store.DB, logger *slog.Logger, cfg Config) *Hub {
	cfg = cfg.withDefaults()
	return &Hub{db: db, cfg: cfg, log: logger, policy: &sleepPolicy{db: db, now: cfg.Now, log: logger},
		users: map[int64]map[*socket]struct{}{}, sessions: map[int64]map[*socket]struct{}{},
		wake: make(chan struct{}, 1), sweep: make(chan struct{}, 1),
		announce: make(chan struct{}, 1), self: rand.Text(),
		ready: make(chan struct{}), done: make(chan struct{})}
}

// Run reads the outbox and serves the sockets until ctx ends, then closes
// every socket (going away) and returns.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	if !h.awaitFrontier(ctx) {
		return
	}
	h.startPoller()
	close(h.ready)
	var wg sync.WaitGroup
	wg.Go(func() { h.listen(ctx) })
	wg.Go(func() { h.announcer(ctx) })
	defer wg.Wait()
	defer h.stopPoller()
	defer h.closeAll()
	ping := time.NewTicker(h.cfg.PingInterval)
	defer ping.Stop()
	pong := time.NewTimer(time.Hour) // reap, pingTimeout after a round of pings
	pong.Stop()
	pongArmed := false

	poll := time.NewTicker(h.cfg.PollInterval)
	defer poll.Stop()
	sweep := time.NewTicker(h.cfg.SweepInterval)
	defer sweep.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-poll.C:
		case <-retry.C:
		case <-sweep.C:
			h.sweepSessions(ctx)
			continue
		case <-h.sweep:
			h.sweepSessions(ctx)
			continue
		case now := <-ping.C:
			h.reap(now)
			h.pingAll(now)
			if !pongArmed {
				pong.Reset(pingTimeout)
				pongArmed = true
			}
			continue
		case now := <-pong.C:
			pongArmed = false
			h.reap(now)
			continue
		}
		if backoff = drainBackoff(h.drain(ctx), backoff); backoff > 0 {
			retry.Reset(backoff)
		}
	}
}

// drainBackoff is the pause before the next drain after one that left
// committed events waiting (behind an older transaction still running):
// soon, sooner than the poll, and doubling while they wait; zero when
// nothing waits.
func drainBackoff(waiting bool, last time.Duration) time.Duration {
	if !waiting {
		return 0
	}
	return min(max(2*last, 2*time.Millisecond), 50*time.Millisecond)
}

// awaitFrontier learns where the outbox stands, retrying until it can;
// false when ctx ended first.
func (h *Hub) awaitFrontier(ctx context.Context) bool {
	for {
		pos, err := eventlog.Frontier(ctx, h.db.Pool)
		if err == nil {
			h.pos = pos
			return true
		}
		h.log.Error("live: read the event frontier", "err", err)
		if !sleep(ctx, time.Second) {
			return false
		}
	}
}

// Ready is closed once the hub knows where the outbox stands.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Listens counts the LISTEN connections opened (reconnects included).
func (h *Hub) Listens() int64 { return h.listens.Load() }

// IdleReads counts the frontier reads of this hub while no socket was
// open (once done), and the reads it skipped, within PollInterval of the
// last one.
func (h *Hub) IdleReads() (reads, skipped int64) { return h.idleReads.Load(), h.idleSkips.Load() }

// Sockets counts the open sockets.
func (h *Hub) Sockets() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ss := range h.sessions {
		n += len(ss)
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// listen holds the LISTEN connection, re-opening it when it drops. After
// each (re)connect the outbox is read and the sessions are re-checked, so
// whatever was announced while it was down is caught up from the tables.
func (h *Hub) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		l, err := h.db.Listen(ctx, h.cfg.ListenURL, eventlog.Channel, store.SessionsEndedChannel)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live: LISTEN connection failed; retrying", "err", err, "in", backoff)
			}
			sleep(ctx, backoff)
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if h.listens.Add(1) > 1 {
			h.log.Info("live: LISTEN connection re-established")
		}
		poke(h.wake)
		poke(h.sweep)
		h.peers.hello.Store(true)
		poke(h.announce)
		for {
			ch, payload, err := l.Wait(ctx)
			if err != nil {
				if ctx.Err() == nil {
					h.log.Warn("live: LISTEN connection lost; reconnecting", "err", err)
				}
				break
			}
			switch ch {
			case eventlog.Channel:
				if payload != h.self {
					poke(h.wake)
				}
				if h.peers.heard(payload, h.self, time.Now()) {
					poke(h.announce) // answer the hello
				}
			case store.SessionsEndedChannel:
				h.endSessions(parseIDs(payload))
			}
		}
		l.Close(context.WithoutCancel(ctx))
	}
}

// Announce tells the readers of every instance that events were just
// committed by a transaction that kept the outbox's trigger silent
// (eventlog.AnnounceAfterCommitSQL): this hub is woken at once, the
// others by one NOTIFY that announcer sends outside any transaction. It
// must be called after COMMIT returned, so that the read it wakes sees
// the events: a wake that comes while a read runs makes another read
// follow it (wake holds one), so none is lost. It never blocks: wakes
// arriving while a NOTIFY is being sent share the next one.
func (h *Hub) Announce() {
	poke(h.wake)
	poke(h.announce)
}

// announceEvery is the least time between two of announcer's NOTIFYs.
// Each is a transaction of its own: at one per send batch, a lone sender
// would pay one for every message. Other instances hear of a send at most
// this much later; this one is woken at once.
const announceEvery = 5 * time.Millisecond

// announcer sends the other instances a NOTIFY for each run of Announce
// calls, one at a time and at most one per announceEvery: calls arriving
// meanwhile share the next one. It sends none while no other instance is
// known to listen, and says hello and repeats this hub's name so that
// the others know of it (peers.go). A failed NOTIFY is logged and left to
// their polls (PollInterval): a missed wake delays, never loses.
func (h *Hub) announcer(ctx context.Context) {
	presence := time.NewTicker(presenceEvery)
	defer presence.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.announce:
		case <-presence.C:
			h.peers.present.Store(true)
		}
		next := time.Now().Add(announceEvery)
		payload, ok := h.peers.next(h.self, time.Now())
		if !ok {
			continue
		}
		h.peers.notifies.Add(1)
		if err := eventlog.Announce(ctx, h.db.Pool, payload); err != nil && ctx.Err() == nil {
			h.log.Warn("live: announce events", "err", err)
		}
		if !sleep(ctx, time.Until(next)) {
			return
		}
	}
}

// Announcements counts the NOTIFYs announcer sent (hellos and repeats
// included) and the announcements it skipped while no other instance was
// known to listen.
func (h *Hub) Announcements() (sent, skipped int64) {
	return h.peers.notifies.Load(), h.peers.skips.Load()
}

func parseIDs(s string) []int64 {
	var ids []int64
	for f := range strings.SplitSeq(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// frame is one message to a client.
type frame struct {
	ID   string          `json:"id"`
	Type eventlog.Type   `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

func encodeEvent(e eventlog.Record, data json.RawMessage) []byte {
	b, _ := json.Marshal(frame{ID: e.Pos.String(), Type: e.Type, At: e.At.UTC(), Data: data})
	return b
}

// drain hands out every final event after pos; it reports whether
// committed events wait beyond the frontier (or the read failed), so that
// the caller reads again soon.
func (h *Hub) drain(ctx context.Context) bool {
	if waiting, skipped := h.skipIdle(ctx); skipped {
		return waiting
	}
	for {
		evs, waiting, err := eventlog.After(ctx, h.db.Pool, h.position(), readBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live: read events", "err", err)
			}
			return true
		}
		for _, e := range evs {
			h.deliver(e)
		}
		if len(evs) < readBatch {
			return waiting
		}
	}
}

// skipIdle moves pos to the frontier without reading the events when no
// socket is open (an instance serving only REST, the send benchmark):
// nobody here would receive them. It reports whether it did, and whether
// committed events wait beyond the frontier.
//
// The move is safe only if no socket registered between the check and
// the move: such a socket replays up to the pos it registered at and
// expects every event after it in its queue, so a jump past events it
// never got would lose them. Hence the second look under the lock, at
// the count of registrations: any registration since the first look
// (even one already gone) cancels the move, and drain reads as usual. A
// socket registering after the move replays up to the new pos: each event
// is in its replay or its queue, as deliver keeps it.
//
// An idle hub reads the frontier at most once per PollInterval: every
// send batch wakes it, and a read per wake would be a round trip per
// batch for nobody. Between two reads it only notes that pos is behind
// (idleStale) and skips. A socket must not start from such a pos: the
// events between it and the frontier would reach it live, by the
// audience they were written for, instead of by its replay, which asks
// whether the user may still read them (a member removed meanwhile may
// not). So Serve brings pos to the frontier first (catchUp).
func (h *Hub) skipIdle(ctx context.Context) (waiting, skipped bool) {
	h.mu.Lock()
	if len(h.sessions) == 0 && time.Since(h.idleRead) < h.cfg.PollInterval {
		h.idleStale = true
		h.mu.Unlock()
		h.idleSkips.Add(1)
		return false, true
	}
	h.mu.Unlock()
	waiting, moved, err := h.toFrontier(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live: read the event frontier", "err", err)
		}
		return true, true
	}
	return waiting, moved
}

// catchUp moves an idle hub's pos to the frontier if skipIdle left it
// behind, before a socket registers.
func (h *Hub) catchUp(ctx context.Context) error {
	h.mu.Lock()
	stale := h.idleStale
	h.mu.Unlock()
	if !stale {
		return nil
	}
	if _, _, err := h.toFrontier(ctx); err != nil {
		return fmt.Errorf("live: catch up with the outbox: %w", err)
	}
	return nil
}

// toFrontier is skipIdle's move of pos to the frontier, for a hub with
// no socket open; moved false when a socket is open or registered
// meanwhile.
func (h *Hub) toFrontier(ctx context.Context) (waiting, moved bool, err error) {
	h.mu.Lock()
	idle, registered := len(h.sessions) == 0, h.registered
	h.mu.Unlock()
	if !idle {
		return false, false, nil
	}
	frontier, waiting, err := eventlog.FrontierWaiting(ctx, h.db.Pool)
	if err != nil {
		return false, false, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.registered != registered {
		return false, false, nil
	}
	h.idleRead, h.idleStale = time.Now(), false
	h.idleReads.Add(1)
	// The frontier can be behind pos if the newest events were deleted
	// (an account's deletion); pos never moves back.
	if h.pos.Less(frontier) {
		h.pos = frontier
	}
	return waiting, true, nil
}

func (h *Hub) position() eventlog.Pos {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pos
}

// deliver queues e to the sockets of its recipients and moves pos past it,
// under one lock, so that a socket registering sees each event either in
// its replay (up to pos) or in its queue (after pos), never both, never
// neither.
//
// An event holding its sender's client id (eventlog.Record.Others) goes
// as it is to the sender only; everyone else gets it without.
func (h *Hub) deliver(e eventlog.Record) {
	it := &item{pos: e.Pos, typ: e.Type, frame: encodeEvent(e, e.Data)}
	others := it
	if e.Others != nil {
		others = &item{pos: e.Pos, typ: e.Type, frame: encodeEvent(e, e.Others)}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos = e.Pos
	for _, uid := range e.UserIDs {
		to := others
		if uid == e.Sender {
			to = it
		}
		for s := range h.users[uid] {
			s.push(to)
		}
	}
}

// all lists the open sockets.
func (h *Hub) all() []*socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*socket
	for _, ss := range h.sessions {
		for s := range ss {
			out = append(out, s)
		}
	}
	return out
}

// startPoller starts the poller that reads every socket; without one
// (another system, or epoll refused) each socket gets a reader goroutine.
func (h *Hub) startPoller() {
	p, err := newPoller()
	if err != nil {
		h.log.Warn("live: no poller; one reader goroutine a socket", "err", err)
		return
	}
	h.poll = p
	go func() {
		p.run()
		p.release()
	}()
}

func (h *Hub) stopPoller() {
	if h.poll != nil {
		h.poll.stop()
	}
}

// pingWorkers bounds the goroutines that write a round of pings: a
// ping may wait for a writer holding its connection, and a goroutine a
// socket would cost, at every round, what an idle socket no longer does.
const pingWorkers = 16

// pingAll pings every socket, so that proxies see traffic on idle ones
// and dead peers are found (reap, pingTimeout later). The round runs
// beside the hub's loop; a round still running skips the next.
func (h *Hub) pingAll(now time.Time) {
	if !h.pinging.CompareAndSwap(false, true) {
		return
	}
	socks := h.all()
	go func() {
		defer h.pinging.Store(false)
		sem := make(chan struct{}, pingWorkers)
		var wg sync.WaitGroup
		for _, s := range socks {
			if c := s.connection(); c != nil {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					c.ping(now)
				})
			}
		}
		wg.Wait()
	}()
}

// reap drops the sockets whose peer has not answered a ping for
// pingTimeout: pingTimeout after a round of pings, and at each round (a
// ping interval shorter than pingTimeout never lets the timer fire).
func (h *Hub) reap(now time.Time) {
	for _, s := range h.all() {
		if c := s.connection(); c != nil && c.silent(now, pingTimeout) {
			c.closeNow()
		}
	}
}

// closeAll closes every socket as the instance stops (going away: the
// hijacked connections are not the HTTP server's to wait for).
func (h *Hub) closeAll() {
	for _, s := range h.all() {
		s.stop(stopGoingAway)
	}
	// Give the close handshakes a moment before the process exits.
	for deadline := time.Now().Add(5 * time.Second); h.Sockets() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// endSessions closes the sockets of sessions that ended.
func (h *Hub) endSessions(ids []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		for s := range h.sessions[id] {
			s.stop(stopSessionEnded)
		}
	}
}

// sweepSessions closes the sockets whose sessions are gone, expired or
// whose account was suspended or deleted: the safety net under the
// sessions trigger (a notification lost while the LISTEN connection was
// down, or a session that simply expired).
func (h *Hub) sweepSessions(ctx context.Context) {
	h.mu.Lock()
	ids := make([]int64, 0, len(h.sessions))
	for id := range h.sessions {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	live, err := h.db.LiveSessions(ctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live: check sessions", "err", err)
		}
		return
	}
	slices.Sort(live)
	var ended []int64
	for _, id := range ids {
		if _, ok := slices.BinarySearch(live, id); !ok {
			ended = append(ended, id)
		}
	}
	h.endSessions(ended)
}

// register adds s and returns the position its live queue starts after;
// false when the user has too many sockets open already.
func (h *Hub) register(s *socket) (eventlog.Pos, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.users[s.userID]) >= h.cfg.MaxPerUser {
		return eventlog.Pos{}, false
	}
	add(h.users, s.userID, s)
	add(h.sessions, s.sessionID, s)
	h.registered++
	if h.idleStale { // pos is behind events nobody read (skipIdle)
		h.idleStale = false
		poke(h.wake)
	}
	return h.pos, true
}

func (h *Hub) unregister(s *socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	remove(h.users, s.userID, s)
	remove(h.sessions, s.sessionID, s)
}

func add(m map[int64]map[*socket]struct{}, k int64, s *socket) {
	if m[k] == nil {
		m[k] = map[*socket]struct{}{}
	}
	m[k][s] = struct{}{}
}

func remove(m map[int64]map[*socket]struct{}, k int64, s *socket) {
	delete(m[k], s)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

// OriginAllowed reports whether a cookie-authenticated request comes from
// a page of this service (its own scheme and host) or of an allowed
// origin. Browsers always send Origin on WebSocket handshakes, and no
// other site's script can make them send ours, so this is what stops
// cross-site WebSocket hijacking; without Origin, a cookie is refused.
func (h *Hub) OriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	u, err := url.Parse(origin)
	if origin == "" || err != nil || u.Host == "" {
		return false
	}
	got := strings.ToLower(u.Scheme + "://" + u.Host)
	scheme := "http"
	if clientip.IsHTTPS(r.Context()) {
		scheme = "https"
	}
	if got == strings.ToLower(scheme+"://"+r.Host) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if got == strings.ToLower(strings.TrimRight(o, "/")) {
			return true
		}
	}
	return false
}
