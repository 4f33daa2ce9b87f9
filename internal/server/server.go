// Package server is Pixel Pals' HTTP front: the one mux every feature
// registers its routes on, the middleware every request passes (recovery, request log, metrics, client
// address, body limit, deadline), the health and metrics endpoints, and a
// graceful shutdown that lets in-flight requests finish.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pixelpals/internal/clientip"
	"pixelpals/internal/config"
	"pixelpals/internal/domain"
	"pixelpals/internal/respond"
	"pixelpals/internal/store"
)

// MaxBodyBytes bounds an ordinary request body.
const MaxBodyBytes = 1 << 20

// Server serves the whole HTTP surface of one instance.
type Server struct {
	cfg     config.Config
	logger  *slog.Logger
	db      *store.DB
	mux     *http.ServeMux
	metrics *metrics
	handler http.Handler
}

// New builds a server. Each register function adds its routes to the mux
// (the API, later the web UI), so that the whole route table is one mux.
func New(cfg config.Config, logger *slog.Logger, db *store.DB, register ...func(*http.ServeMux)) *Server {
	s := &Server{cfg: cfg, logger: logger, db: db, mux: http.NewServeMux()}
	if db != nil {
		s.metrics = newMetrics(db.Pool)
	} else {
		s.metrics = newMetrics(nil)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	for _, r := range register {
		r(s.mux)
	}
	// observe wraps recovery so that a request that panicked is still
	// logged and counted, as the 500 it became.
	s.handler = s.observe(s.recoverPanics(s.mux))
	return s
}

// MustRegister adds series of other parts of the service (the retention
// purge…) to the server's /metrics.
func (s *Server) MustRegister(cs ...prometheus.Collector) { s.metrics.registry.MustRegister(cs...) }

// Handler is the server's full handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until ctx is done, then stops accepting connections
// and waits (up to the shutdown timeout) for in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down: finishing in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http serve: %w", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only while the database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.db == nil {
		respond.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	if err := s.db.Ping(ctx); err != nil {
		s.logger.WarnContext(r.Context(), "not ready: the database does not answer", "err", err)
		respond.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// observe bounds the request (body size and deadline, by the route's
// Bounds), resolves the client address, then logs one line per request and
// records its metrics. It logs
// the path without the query string, which may carry tokens or cursors.
// The mux must receive the very *Request built here: it records the
// matched route pattern on it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		bounds := s.boundsFor(r)
		ctx := r.Context()
		if bounds.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, bounds.Timeout)
			defer cancel()
		}
		ctx = clientip.With(ctx, clientip.Of(r, s.cfg.TrustedProxies))
		var outcome respond.Outcome
		ctx = respond.WithOutcome(ctx, &outcome)
		r = r.WithContext(ctx)
		if r.Body != nil && bounds.MaxBody > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, bounds.MaxBody)
		}
		// On every response, errors and panics included: no browser
		// guesses a type other than the one sent, and no other site may
		// embed a response (a child's photo as an <img> elsewhere).
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// TLS ended here (serve --tls-cert/--tls-domain): browsers must
		// come back over https only, for two years. Never on plain HTTP,
		// where a proxy in front decides.
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)

		route := r.Pattern // set by the mux on this very request
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(rec.status)
		s.metrics.requests.WithLabelValues(route, r.Method, status).Inc()
		s.metrics.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
		if outcome.Code != "" {
			s.metrics.errors.WithLabelValues(route, outcome.Code).Inc()
		}
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("ip", clientip.From(r.Context())),
		)
	})
}

// recoverPanics turns a handler panic into a plain 500 for the client and a
// stack trace in the log, never the other way round.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				respond.Error(w, r, s.logger, domain.Errorf(domain.CodeInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// recorder captures the status and size of a response. Unwrap lets
// http.ResponseController reach the underlying writer (flush, hijack).
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
