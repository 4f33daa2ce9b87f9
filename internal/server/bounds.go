package server

import (
	"net/http"
	"time"
)

// Bounds are what the server allows one request of a route: how large its
// body may be and how long it may take. Most routes take the defaults
// (MaxBodyBytes and the configured request timeout); a route that streams
// an upload or holds a long-lived socket states its own, here, in one
// place, by wrapping its handler with Bounded.
type Bounds struct {
	// MaxBody caps the request body in bytes; 0 means MaxBodyBytes and a
	// negative value means no cap (the route bounds its own reads).
	MaxBody int64
	// Timeout bounds the request's context; 0 means the configured
	// RequestTimeout and a negative value means none (a WebSocket lives
	// as long as its session).
	Timeout time.Duration
}

// Bounded marks h so that the server applies b to its requests instead of
// the defaults.
func Bounded(h http.Handler, b Bounds) http.Handler { return bounded{h, b} }

type bounded struct {
	http.Handler
	bounds Bounds
}

// boundsFor finds the bounds of the route that will serve r: the mux's
// handler for r, when it was registered through Bounded, else the
// defaults.
func (s *Server) boundsFor(r *http.Request) Bounds {
	b := Bounds{MaxBody: MaxBodyBytes, Timeout: s.cfg.RequestTimeout}
	h, _ := s.mux.Handler(r)
	if bh, ok := h.(bounded); ok {
		if bh.bounds.MaxBody != 0 {
			b.MaxBody = bh.bounds.MaxBody
		}
		if bh.bounds.Timeout != 0 {
			b.Timeout = bh.bounds.Timeout
		}
	}
	return b
}
