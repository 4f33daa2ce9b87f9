package live

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
	"pixelpals/internal/store"
)

// Close codes of the socket (docs/live.md). 1000-2999 are the protocol's;
// 4000-4999 are ours.
const (
	CloseGoingAway     = 1001 // the server is shutting down; reconnect with since
	ClosePolicy        = 1008 // the client sent a data frame
	CloseTooBig        = 1009 // ... and a large one
	CloseInternal      = 1011 // the replay failed; reconnect with since
	CloseSessionEnded  = 4001 // logout, suspension, password reset, deletion, expiry
	CloseTooSlow       = 4008 // after resync: the client read too slowly
	closeReasonUnknown = "unknown frame: clients send no messages on this socket"
)

// Resync reasons, in the resync frame's data.
const (
	ResyncCursorExpired = "cursor_expired"
	ResyncTooSlow       = "too_slow"
)

const (
	writeTimeout = 10 * time.Second
	pingTimeout  = 15 * time.Second
	replayBatch  = 500
	readLimit    = 1024
)

// item is one event on its way to sockets, shared by all its recipients'
// queues (a queue of pointers costs 8 bytes a slot per idle socket).
type item struct {
	pos   eventlog.Pos
	typ   eventlog.Type
	frame []byte
}

type stopReason int

const (
	stopNone stopReason = iota
	stopSessionEnded
	stopTooSlow
	stopGoingAway
	stopGone // the connection is closed: nothing more to do
)

// socket is one client's connection. An idle socket holds no goroutine
// and no buffer: the hub's poller reads for it (conn.go), and a writer
// goroutine runs only while there is something to send.
type socket struct {
	h                 *Hub
	conn              *conn
	userID, sessionID int64

	mu      sync.Mutex
	pending []*item      // events to send, in order; bounded by QueueSize
	writing bool         // a writer goroutine runs (or the replay does)
	reason  stopReason   // set once: why the socket ends
	room    *room        // the connection's room for the last frames (room.go)
	last    eventlog.Pos // the last position sent; the writer's own

	// Sleep mode (hold.go, policy.go), the writer's own: while the user
	// is in their quiet hours last stays before the first event held, so
	// that waking up replays what was held from the outbox.
	viewer  *viewer
	asleep  bool
	heldAny bool // an event was held since the socket fell asleep
	// ahead is, while events are held, the last event of the child's
	// chat with their parent sent past last (zero: none); behind, that
	// such an event after ahead was held, so the next one waits for a
	// catch-up from the outbox.
	ahead  eventlog.Pos
	behind bool
}

// push queues an event without ever blocking the hub: a full queue stops
// the socket (resync, then close).
func (s *socket) push(it *item) {
	s.mu.Lock()
	if s.reason == stopNone {
		if len(s.pending) >= s.h.cfg.QueueSize {
			s.reason = stopTooSlow
			s.room.release() // the writer waits inside a frame, perhaps
		} else {
			s.pending = append(s.pending, it)
		}
	}
	s.kickLocked()
	s.mu.Unlock()
}

// stopping tells whether the socket is to end: the writer and the replay
// check before every send, so that a session end or a full queue stops a
// long batch or replay at once rather than after it, even for a slow reader.
func (s *socket) stopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason != stopNone
}

func (s *socket) stop(r stopReason) {
	s.mu.Lock()
	if s.reason == stopNone {
		s.reason = r
		s.room.release() // room for the close frame
	}
	s.kickLocked()
	s.mu.Unlock()
}

// kickLocked starts the writer unless it runs.
func (s *socket) kickLocked() {
	if !s.writing && s.reason != stopGone {
		s.writing = true
		go s.write()
	}
}

// write sends what is pending, then ends: the socket's one writer at a
// time (writing is true while it runs).
func (s *socket) write() {
	ctx := context.Background()
	for {
		s.mu.Lock()
		batch, reason := s.pending, s.reason
		s.pending = nil
		if reason != stopNone {
			s.reason = stopGone
			s.mu.Unlock()
			s.end(ctx, reason)
			return
		}
		if len(batch) == 0 {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, it := range batch {
			if s.stopping() || !s.take(ctx, it) {
				break // the loop above ends the socket
			}
		}
	}
}

// offer sends it, an event from the queue or the outbox, unless the
// client has it already or (during quiet time, hold.go) it waits; false
// when the socket ended.
func (s *socket) offer(ctx context.Context, it *item) bool {
	if s.asleep {
		return s.quiet(ctx, it)
	}
	if s.sent(ctx, it) {
		return true // replayed already, or the client was ahead of this instance
	}
	return s.sendAt(ctx, it)
}

// sent tells whether the client has it already: at or before last, or an
// event of the chat with the parent sent ahead during quiet time.
func (s *socket) sent(ctx context.Context, it *item) bool {
	return !s.last.Less(it.pos) || (!s.ahead.Less(it.pos) && s.h.policy.parentChat(ctx, it, s.viewer))
}

// sendAt sends it with its own position as the cursor: everything before
// it has been sent.
func (s *socket) sendAt(ctx context.Context, it *item) bool {
	if !s.send(ctx, it.frame) {
		return s.fail()
	}
	s.last = it.pos
	if !s.last.Less(s.ahead) {
		s.ahead = eventlog.Pos{}
	}
	return true
}

// fail ends a socket whose connection failed; false, for the caller.
func (s *socket) fail() bool {
	s.stop(stopGone)
	s.conn.abort()
	return false
}

// end closes the socket for reason: resync first when it fell behind.
// stopGone needs nothing: whoever set it has dealt with the connection.
func (s *socket) end(ctx context.Context, reason stopReason) {
	switch reason {
	case stopTooSlow:
		s.send(ctx, resyncFrame(s.cursor(), ResyncTooSlow))
		s.conn.close(CloseTooSlow, "too slow: events were dropped; reconnect with since or reload")
	case stopSessionEnded:
		s.conn.close(CloseSessionEnded, "session ended")
	case stopGoingAway:
		s.conn.close(CloseGoingAway, "server shutting down; reconnect with since")
	}
}

// keepRoom keeps room in c for the last frames (room.go); pushes may
// already have stopped the socket.
func (s *socket) keepRoom(c net.Conn) {
	r := keepRoom(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.room = r
	if s.reason != stopNone {
		r.release()
	}
}

// connection is the socket's connection, nil before the upgrade (for
// the hub's pings; the socket's own goroutines start after it).
func (s *socket) connection() *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// send writes one event frame (each write bounded by writeTimeout).
func (s *socket) send(_ context.Context, b []byte) bool {
	return s.conn.text(b) == nil
}

// replay sends the user's events after since and up to start (where the
// live queue begins), or resync for a cursor past the window, then hands
// over to the writer. A sleeping user's replay holds what their live
// events would hold (hold.go).
func (s *socket) replay(start eventlog.Pos, since Cursor, inWindow bool) {
	ctx := context.Background()
	if !inWindow {
		s.last = start
		if !s.send(ctx, resyncFrame(Cursor{Pos: start}, ResyncCursorExpired)) {
			s.conn.abort()
		}
		s.write()
		return
	}
	s.last = since.Pos
	if since.Pos.Less(since.Ahead) {
		s.ahead = since.Ahead
	}
	if !s.h.policy.quietUntil(ctx, s.viewer).IsZero() {
		s.fallAsleep()
	}
	if s.walk(ctx, s.last, start) {
		s.write()
	}
}

// walk offers the user's events after from and up to target, from the
// outbox; false when the socket ended. When the socket is to stop it
// returns true early, leaving the end (and its close code) to the writer.
func (s *socket) walk(ctx context.Context, from, target eventlog.Pos) bool {
	for from.Less(target) && !s.stopping() {
		evs, err := eventlog.UserEvents(ctx, s.h.db.Pool, store.FamilyReadsSQL, s.userID, from, target, replayBatch)
		if err != nil {
			s.h.log.Warn("live: replay", "err", err, "user_id", s.userID)
			s.conn.close(CloseInternal, "replay failed; reconnect with since")
			s.stop(stopGone)
			return false
		}
		for _, e := range evs {
			if s.stopping() {
				return true
			}
			if !s.offer(ctx, &item{pos: e.Pos, typ: e.Type, frame: encodeEvent(e, e.Data)}) {
				return false
			}
			from = e.Pos
		}
		if len(evs) < replayBatch {
			from = target
		}
	}
	if !s.heldAny && !from.Less(target) && s.last.Less(target) {
		s.last = target // the rest up to target was for other users
	}
	if !s.last.Less(s.ahead) {
		s.ahead = eventlog.Pos{}
	}
	return true
}

// Serve upgrades an authorized request (the caller has authenticated it
// and checked its Origin) and streams the user's events: after since when
// given (a replay, then live), else from now. It returns an error only
// before the upgrade, for the caller to answer as JSON.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, userID, sessionID int64, since *Cursor) error {
	if !isUpgrade(r) {
		return &domain.Error{Code: domain.CodeUpgradeRequired, Message: "this endpoint is a WebSocket: send a WebSocket handshake"}
	}
	select {
	case <-h.ready:
	case <-h.done:
		return domain.Errorf(domain.CodeUnavailable, "the server is shutting down")
	case <-r.Context().Done():
		return r.Context().Err()
	}
	inWindow := true
	if since != nil {
		var err error
		if inWindow, err = eventlog.CursorInWindow(r.Context(), h.db.Pool, since.Pos, h.cfg.Window); err != nil {
			return err
		}
	} else {
		// From now: this instance may not have handed out the events
		// committed just before the handshake yet; they are the past.
		now, err := eventlog.Frontier(r.Context(), h.db.Pool)
		if err != nil {
			return err
		}
		since = &Cursor{Pos: now}
	}
	key, err := handshakeKey(r)
	if err != nil {
		return err
	}
	// writing: the replay runs first; pushes meanwhile only queue.
	s := &socket{h: h, userID: userID, sessionID: sessionID, writing: true}
	s.viewer = &viewer{userID: userID}
	if err := h.catchUp(r.Context()); err != nil {
		return err
	}
	start, ok := h.register(s)
	if !ok {
		return domain.RateLimited(time.Minute, "too many event sockets open for this account (at most %d)", h.cfg.MaxPerUser)
	}
	// The Origin was checked by the caller, for cookie sessions only.
	nc, leftover, err := upgrade(w, key)
	if err != nil {
		h.unregister(s)
		h.log.Warn("live: upgrade", "err", err)
		return nil // the connection is gone: nobody to answer
	}
	s.mu.Lock()
	s.conn = &conn{nc: nc, ending: func() { s.stop(stopGone) }, gone: func() { h.unregister(s) }}
	s.mu.Unlock()
	s.keepRoom(nc)
	// The socket lives on without the handler's goroutine (its stack
	// grown by the request's middleware) and without the request: the
	// poller reads, the replay and then the writer write.
	s.listen(leftover)
	go s.replay(start, *since, inWindow)
	return nil
}

// listen starts reading the client: what net/http had buffered first,
// then from the poller, or a goroutine when the poller cannot watch the
// connection (TLS; another system).
func (s *socket) listen(leftover []byte) {
	if len(leftover) > 0 && !s.conn.feedLocked(leftover) {
		return
	}
	if !s.h.poll.watch(s.conn) {
		go s.conn.readLoop()
	}
}

func isUpgrade(r *http.Request) bool {
	return headerHas(r.Header, "Connection", "upgrade") && headerHas(r.Header, "Upgrade", "websocket")
}

func headerHas(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// resync is the frame that tells a client to reload by REST: its id is
// where it may continue from.
func resyncFrame(c Cursor, reason string) []byte {
	data, _ := json.Marshal(map[string]string{"reason": reason})
	b, _ := json.Marshal(frame{ID: c.String(), Type: "resync", At: time.Now().UTC(), Data: data})
	return b
}
