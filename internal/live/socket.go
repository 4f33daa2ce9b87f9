package live

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// Close codes of the socket (docs/live.md). 1000-2999 are the protocol's;
// 4000-4999 are ours.
const (
	CloseGoingAway     = websocket.StatusGoingAway       // 1001: the server is shutting down; reconnect with since
	ClosePolicy        = websocket.StatusPolicyViolation // 1008: the client sent a data frame
	CloseTooBig        = websocket.StatusMessageTooBig   // 1009: ... and a large one
	CloseInternal      = websocket.StatusInternalError   // 1011: the replay failed; reconnect with since
	CloseSessionEnded  = websocket.StatusCode(4001)      // logout, suspension, password reset, deletion, expiry
	CloseTooSlow       = websocket.StatusCode(4008)      // after resync: the client read too slowly
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

type item struct {
	pos   store.EventPos
	typ   string
	frame []byte
}

type stopReason int

const (
	stopNone stopReason = iota
	stopSessionEnded
	stopTooSlow
)

// socket is one client's connection as the hub sees it.
type socket struct {
	userID, sessionID int64
	queue             chan item

	once    sync.Once
	stopped chan struct{}
	reason  stopReason
}

// push queues an event without ever blocking the hub: a full queue stops
// the socket (resync, then close).
func (s *socket) push(it item) {
	select {
	case s.queue <- it:
	default:
		s.stop(stopTooSlow)
	}
}

func (s *socket) stop(r stopReason) {
	s.once.Do(func() {
		s.reason = r
		close(s.stopped)
	})
}

// Serve upgrades an authorized request (the caller has authenticated it
// and checked its Origin) and streams the user's events: after since when
// given (a replay, then live), else from now. It returns an error only
// before the upgrade, for the caller to answer as JSON.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, userID, sessionID int64, since *store.EventPos) error {
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
		if inWindow, err = h.db.CursorInWindow(r.Context(), *since, h.cfg.Window); err != nil {
			return err
		}
	}
	// The Origin was checked by the caller, for cookie sessions only.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept has answered the client
	}
	conn.SetReadLimit(readLimit)
	s := &socket{userID: userID, sessionID: sessionID, queue: make(chan item, h.cfg.QueueSize), stopped: make(chan struct{})}
	start := h.register(s)
	defer h.unregister(s)
	h.stream(context.WithoutCancel(r.Context()), conn, s, start, since, inWindow)
	return nil
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

// stream replays, then delivers live events until the socket ends.
func (h *Hub) stream(ctx context.Context, conn *websocket.Conn, s *socket, start store.EventPos, since *store.EventPos, inWindow bool) {
	defer conn.CloseNow()
	readerGone := make(chan struct{})
	go func() {
		defer close(readerGone)
		// Clients send nothing; the library answers pings and reads the
		// close handshake and pongs while this waits.
		if _, _, err := conn.Reader(ctx); err == nil {
			conn.Close(ClosePolicy, closeReasonUnknown)
		}
	}()

	hc := &holdCache{h: h, userID: s.userID}
	heldAtStart := false
	last := start
	switch {
	case since != nil && !inWindow:
		if !h.write(ctx, conn, h.resync(start, ResyncCursorExpired)) {
			return
		}
	case since != nil:
		last = *since
		// A sleeping child's replay waits for the end of their quiet time.
		if heldAtStart = !hc.heldUntil(ctx).IsZero(); !heldAtStart {
			var ok bool
			if last, ok = h.replayTo(ctx, conn, s, last, start); !ok {
				return
			}
		}
	}

	ping := time.NewTicker(h.cfg.PingInterval)
	defer ping.Stop()
	if heldAtStart {
		var ok bool
		if last, ok = h.holdUntilAwake(ctx, conn, s, hc, last, readerGone, ping); !ok {
			return
		}
	}
	for {
		select {
		case <-s.stopped: // before any queued event: a stopped socket stops now
			h.stop(ctx, conn, s, last)
			return
		default:
		}
		select {
		case it := <-s.queue:
			if !last.Less(it.pos) {
				continue // replayed already, or the client was ahead of this instance
			}
			if it.typ == sleepChanged {
				hc.invalidate()
			}
			if !hc.heldUntil(ctx).IsZero() {
				// Sleep mode: nothing new until the end, then the outbox
				// replays what was held (this event included).
				var ok bool
				if last, ok = h.holdUntilAwake(ctx, conn, s, hc, last, readerGone, ping); !ok {
					return
				}
				continue
			}
			if !h.write(ctx, conn, it.frame) {
				return
			}
			last = it.pos
		case <-s.stopped:
			h.stop(ctx, conn, s, last)
			return
		case <-h.done:
			conn.Close(CloseGoingAway, "server shutting down; reconnect with since")
			return
		case <-readerGone:
			return
		case <-ping.C:
			pingAsync(ctx, conn)
		}
	}
}

func pingAsync(ctx context.Context, conn *websocket.Conn) {
	go func() {
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		defer cancel()
		if err := conn.Ping(pctx); err != nil {
			conn.CloseNow()
		}
	}()
}

// replayTo writes the user's events after last up to target from the
// outbox and returns the new position; false when the socket ended.
func (h *Hub) replayTo(ctx context.Context, conn *websocket.Conn, s *socket, last, target store.EventPos) (store.EventPos, bool) {
	for last.Less(target) {
		evs, err := h.db.UserEvents(ctx, s.userID, last, target, replayBatch)
		if err != nil {
			h.log.Warn("live: replay", "err", err, "user_id", s.userID)
			conn.Close(CloseInternal, "replay failed; reconnect with since")
			return last, false
		}
		for _, e := range evs {
			if !h.write(ctx, conn, encodeEvent(e)) {
				return last, false
			}
			last = e.Pos
		}
		if len(evs) < replayBatch && last.Less(target) {
			last = target // the rest up to target was for other users
		}
	}
	return last, true
}

// stop ends a stopped socket: resync first when it fell behind.
func (h *Hub) stop(ctx context.Context, conn *websocket.Conn, s *socket, last store.EventPos) {
	if s.reason == stopTooSlow {
		h.write(ctx, conn, h.resync(last, ResyncTooSlow))
		conn.Close(CloseTooSlow, "too slow: events were dropped; reconnect with since or reload")
		return
	}
	conn.Close(CloseSessionEnded, "session ended")
}

func (h *Hub) write(ctx context.Context, conn *websocket.Conn, b []byte) bool {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	err := conn.Write(wctx, websocket.MessageText, b)
	return err == nil
}

// resync is the frame that tells a client to reload by REST: its id is
// where it may continue from.
func (h *Hub) resync(pos store.EventPos, reason string) []byte {
	data, _ := json.Marshal(map[string]string{"reason": reason})
	b, _ := json.Marshal(frame{ID: pos.String(), Type: "resync", At: time.Now().UTC(), Data: data})
	return b
}
