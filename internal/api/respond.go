package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// statusOf maps each error code to its HTTP status: the one place that does.
var statusOf = map[string]int{
	domain.CodeInvalid:            http.StatusBadRequest,
	domain.CodeUnauthorized:       http.StatusUnauthorized,
	domain.CodeInvalidCredentials: http.StatusUnauthorized,
	domain.CodeForbidden:          http.StatusForbidden,
	domain.CodeAwaitingApproval:   http.StatusForbidden,
	domain.CodeAccountSuspended:   http.StatusForbidden,
	domain.CodeAccountUnavailable: http.StatusForbidden,
	domain.CodeCSRF:               http.StatusForbidden,
	domain.CodeNotFound:           http.StatusNotFound,
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

// writeError answers with err as a JSON error. Errors that are not
// domain errors are internal: logged here, once, and shown to the client
// only as "internal error".
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeUnavailable && error(de) != err {
		// A persistent transaction conflict: the client retries, we note why.
		a.logger.WarnContext(r.Context(), "request conflicted", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if !errors.As(err, &de) {
		if r.Context().Err() != nil {
			// The client went away or the deadline passed: not our bug.
			de = &domain.Error{Code: domain.CodeUnavailable, Message: "request cancelled or timed out"}
		} else if store.DatabaseUnavailable(err) {
			// A failover or restart of the database (docs/replication.md):
			// the client retries; a send retried with its client_id is
			// stored once.
			a.logger.WarnContext(r.Context(), "database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
			de = &domain.Error{Code: domain.CodeUnavailable, Message: "the service is briefly unavailable; try again", RetryAfter: time.Second}
		} else {
			a.logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			de = &domain.Error{Code: domain.CodeInternal, Message: "internal error"}
		}
	}
	status, ok := statusOf[de.Code]
	if !ok {
		status = http.StatusBadRequest
	}
	if de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
	}
	detail := errorDetail{Code: de.Code, Message: de.Message, Field: de.Field}
	if !de.EndsAt.IsZero() {
		t := de.EndsAt.UTC()
		detail.EndsAt = &t
	}
	writeJSON(w, status, errorBody{detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeCreatedOrFound answers an idempotent create: 201 when it made v,
// 200 when v already existed (a retried send, an existing direct chat or
// contact link).
func writeCreatedOrFound(w http.ResponseWriter, created bool, v any) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, v)
}

// decode reads a JSON request body into dst: one object, no unknown fields,
// within the body limit. Its errors name the offending field.
func decode(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return domain.Errorf(domain.CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return domain.Errorf(domain.CodeInvalid, "the body must hold a single JSON object")
	}
	return nil
}

// validator is a request body that checks and normalizes itself.
type validator interface {
	validate() error
}

// decodeValid decodes a request body and validates it.
func decodeValid(r *http.Request, dst validator) error {
	if err := decode(r, dst); err != nil {
		return err
	}
	return dst.validate()
}

// decodeOptional is decodeValid for a route whose body may be left out:
// an empty body (however sent) validates as {}.
func decodeOptional(r *http.Request, dst validator) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		return decodeValid(r, dst)
	}
	return dst.validate()
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.CodeInvalid, "a JSON body is required")
	case errors.As(err, &tooBig):
		return domain.Errorf(domain.CodeTooLarge, "the body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.CodeInvalid, "malformed JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return domain.Errorf(domain.CodeInvalid, "the body must be a JSON object")
		}
		return domain.Invalid(typ.Field, "must be of type %s", jsonType(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.Invalid(name, "unknown field")
	}
	return domain.Errorf(domain.CodeInvalid, "malformed JSON")
}

func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "slice", kind == "array":
		return "array"
	case kind == "struct", kind == "map", kind == "ptr":
		return "object"
	case kind == "bool":
		return "boolean"
	}
	return kind
}

// pathID reads a positive 32-bit id (the seed's SERIAL) from the path;
// anything else names no row.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 32)
	if err != nil || id <= 0 {
		return 0, domain.Errorf(domain.CodeNotFound, "no such %s", strings.TrimSuffix(name, "_id"))
	}
	return id, nil
}

// queryID reads an optional positive id from the query string.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 32)
	if err != nil || id <= 0 {
		return 0, domain.Invalid(name, "must be a positive integer")
	}
	return id, nil
}

// command adapts a store action on the resource {id} that returns nothing
// to a handler answering 204.
func (a *API) command(w http.ResponseWriter, r *http.Request, actor *domain.Actor,
	act func(*domain.Actor, int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := act(actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// one adapts a store call on the resource named by the path value name to
// a handler answering 200 with what the call returns.
func one[T any](w http.ResponseWriter, r *http.Request, name string, get func(id int64) (T, error)) error {
	id, err := pathID(r, name)
	if err != nil {
		return err
	}
	v, err := get(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
