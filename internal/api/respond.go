package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"pixelpals/internal/domain"
	"pixelpals/internal/respond"
)

// writeError answers with err as a JSON error (see respond.Error).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	respond.Error(w, r, a.logger, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { respond.JSON(w, status, v) }

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
