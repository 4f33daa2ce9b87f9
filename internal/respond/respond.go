// Package respond writes Pixel Pals' JSON responses, errors included: the
// one mapping from an error to an HTTP status and a safe body
// `{"error":{"code","message","field?"}}`. The API's handlers and the
// server's panic recovery both answer through it, so that every error a
// client sees has the same shape and no internal detail.
package respond

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"pixelpals/internal/domain"
	"pixelpals/internal/locale"
)

// statusOf maps each error code to its HTTP status: the one place that does.
var statusOf = map[string]int{
	domain.CodeInvalid:            http.StatusBadRequest,
	domain.CodeUnauthorized:       http.StatusUnauthorized,
	domain.CodeInvalidCredentials: http.StatusUnauthorized,
	domain.CodeAccountRejected:    http.StatusUnauthorized,
	domain.CodeForbidden:          http.StatusForbidden,
	domain.CodeAwaitingApproval:   http.StatusForbidden,
	domain.CodeAccountSuspended:   http.StatusForbidden,
	domain.CodeAccountUnavailable: http.StatusForbidden,
	domain.CodeCSRF:               http.StatusForbidden,
	domain.CodeNotFound:           http.StatusNotFound,
	domain.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	domain.CodeRequestTimeout:     http.StatusRequestTimeout,
	domain.CodeConflict:           http.StatusConflict,
	domain.CodeFrozen:             http.StatusConflict,
	domain.CodeUpgradeRequired:    http.StatusUpgradeRequired,
	domain.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	domain.CodeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	domain.CodeRateLimited:        http.StatusTooManyRequests,
	domain.CodeUnavailable:        http.StatusServiceUnavailable,
	domain.CodeInternal:           http.StatusInternalServerError,

	domain.CodeCredentialUnreadable: http.StatusConflict,
	domain.CodeSleepMode:            http.StatusLocked,
	domain.CodePasswordInMessage:    http.StatusUnprocessableEntity,
}

// StatusOf returns the HTTP status of an error code, and false for a code
// the mapping does not know.
func StatusOf(code string) (int, bool) {
	s, ok := statusOf[code]
	return s, ok
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// EndsAt: when a sleep_mode refusal ends (RFC 3339 UTC).
	EndsAt *time.Time `json:"ends_at,omitempty"`
}

// internalError is what a client sees of anything that is our fault.
var internalError = &domain.Error{Code: domain.CodeInternal, Message: "internal error"}

// Error answers with err as a JSON error. An error that is not a domain
// error is internal: logged here, once, and shown to the client only as
// "internal error"; so is a domain error whose code has no status (a
// programming mistake, never a 4xx). The database going away is
// "unavailable" (503 with Retry-After), logged as a warning and counted by
// the server's metrics under its code.
func Error(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	de := classify(r, logger, err)
	status, ok := statusOf[de.Code]
	if !ok {
		logger.ErrorContext(r.Context(), "internal error: unknown error code",
			"method", r.Method, "path", r.URL.Path, "code", de.Code, "err", err)
		de, status = internalError, http.StatusInternalServerError
	}
	if de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
	}
	note(r.Context(), de.Code)
	detail := errorDetail{Code: de.Code, Message: Message(locale.Of(r), de), Field: de.Field}
	if !de.EndsAt.IsZero() {
		t := de.EndsAt.UTC()
		detail.EndsAt = &t
	}
	JSON(w, status, errorBody{detail})
}

// Message is de's message in lang: the code stays the same in every
// language, the words follow the reader's (internal/locale). A message the
// catalog does not know stays English.
func Message(lang string, de *domain.Error) string {
	if de.Format != "" {
		return locale.Sprintf(lang, de.Format, de.Args...)
	}
	return locale.Lookup(lang, de.Message)
}

// classify finds the domain error a client is shown for err, logging what
// the client is not shown.
func classify(r *http.Request, logger *slog.Logger, err error) *domain.Error {
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		if de.Code == domain.CodeUnavailable && error(de) != err {
			// A persistent transaction conflict: the client retries, we note why.
			logger.WarnContext(r.Context(), "request conflicted", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		return de
	case r.Context().Err() != nil:
		// The client went away or the deadline passed: not our bug.
		return &domain.Error{Code: domain.CodeUnavailable, Message: "request cancelled or timed out"}
	case DatabaseUnavailable(err):
		logger.WarnContext(r.Context(), "database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		return databaseUnavailable
	}
	logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	return internalError
}

// JSON answers with v as JSON, never cached (responses are per user).
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The status is sent; an encoding failure now is the client leaving.
	_ = json.NewEncoder(w).Encode(v)
}

// Outcome is where Error notes the code of the error it answered, so the
// server's request metrics can count errors by code.
type Outcome struct {
	Code string
}

type outcomeKey struct{}

// WithOutcome returns ctx carrying o, for Error to fill in.
func WithOutcome(ctx context.Context, o *Outcome) context.Context {
	return context.WithValue(ctx, outcomeKey{}, o)
}

func note(ctx context.Context, code string) {
	if o, ok := ctx.Value(outcomeKey{}).(*Outcome); ok {
		o.Code = code
	}
}

// databaseUnavailable is what a client sees while PostgreSQL restarts,
// fails over or refuses connections: try again shortly.
var databaseUnavailable = &domain.Error{Code: domain.CodeUnavailable,
	Message: "the database is unavailable; try again shortly", RetryAfter: 2 * time.Second}

// DatabaseUnavailable reports whether err says the database went away
// rather than that the request or our SQL is wrong. By SQLSTATE: class 08
// (connection exception), 57P01 admin shutdown, 57P02 crash shutdown,
// 57P03 cannot connect now (starting up or shutting down), 53300 too
// many connections and 25006 a write on a standby. Without one: a
// connection pgx closed under the request (a failover's backend killed),
// a failure to connect, a network error, or a failure before anything
// reached the server (pgconn.SafeToRetry).
func DatabaseUnavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "53300",
			"25006": // a write reached a standby not promoted yet (failover)
			return true
		}
		return strings.HasPrefix(pe.Code, "08")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
