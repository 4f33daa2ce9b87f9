package respond_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"pixelpals/internal/domain"
	"pixelpals/internal/respond"
)

type body struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func answer(t *testing.T, err error) (int, body, string, string) {
	t.Helper()
	var logs bytes.Buffer
	rec := httptest.NewRecorder()
	respond.Error(rec, httptest.NewRequest("GET", "/x", nil), slog.New(slog.NewJSONHandler(&logs, nil)), err)
	var b body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, rec.Body)
	}
	return rec.Code, b, rec.Header().Get("Retry-After"), logs.String()
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		status     int
		code, msg  string
		field      string
		retryAfter string
		logged     bool
	}{
		{"invalid field", domain.Invalid("email", "is required"), 400, "invalid", "is required", "email", "", false},
		{"not found", domain.Errorf(domain.CodeNotFound, "no such child"), 404, "not_found", "no such child", "", "", false},
		{"rate limited", domain.RateLimited(1500*time.Millisecond, "slow down"), 429, "rate_limited", "slow down", "", "2", false},
		// An unknown code is a programming mistake: 500, logged, no detail.
		{"unknown code", domain.Errorf("made_up", "secret detail"), 500, "internal", "internal error", "", "", true},
		{"plain error", errors.New("secret detail"), 500, "internal", "internal error", "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b, retry, logs := answer(t, c.err)
			if status != c.status || b.Error.Code != c.code || b.Error.Message != c.msg || b.Error.Field != c.field {
				t.Fatalf("got %d %+v, want %d %s %q field %q", status, b.Error, c.status, c.code, c.msg, c.field)
			}
			if retry != c.retryAfter {
				t.Fatalf("Retry-After %q, want %q", retry, c.retryAfter)
			}
			if logged := strings.Contains(logs, "secret detail"); logged != c.logged {
				t.Fatalf("logged the detail: %v, want %v: %s", logged, c.logged, logs)
			}
		})
	}
}

// TestEveryCodeHasAStatus keeps the mapping complete for the codes the
// domain declares.
func TestEveryCodeHasAStatus(t *testing.T) {
	for _, code := range []string{
		domain.CodeInvalid, domain.CodeUnauthorized, domain.CodeForbidden, domain.CodeNotFound, domain.CodeMethodNotAllowed,
		domain.CodeRequestTimeout, domain.CodeConflict, domain.CodeTooLarge, domain.CodeRateLimited, domain.CodeUnavailable,
		domain.CodeInternal, domain.CodeInvalidCredentials, domain.CodeAwaitingApproval,
		domain.CodeAccountSuspended, domain.CodeAccountUnavailable, domain.CodeCSRF,
		domain.CodeUnsupportedMedia, domain.CodeFrozen, domain.CodeCredentialUnreadable,
	} {
		if _, ok := respond.StatusOf(code); !ok {
			t.Errorf("code %q has no status", code)
		}
	}
}

func TestDatabaseUnavailable(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true}, // admin shutdown
		{&pgconn.PgError{Code: "57P03"}, true}, // cannot connect now
		{fmt.Errorf("send: %w", &pgconn.PgError{Code: "08006"}), true},
		{&pgconn.PgError{Code: "23505"}, false}, // a unique violation is ours to map
		{&pgconn.PgError{Code: "42P01"}, false}, // a bad query is a bug
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), true},
		{errors.New("something else"), false},
	}
	for _, c := range cases {
		if got := respond.DatabaseUnavailable(c.err); got != c.want {
			t.Errorf("DatabaseUnavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	status, b, retry, _ := answer(t, fmt.Errorf("load child: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection"}))
	if status != 503 || b.Error.Code != "unavailable" || retry == "" || strings.Contains(b.Error.Message, "terminating") {
		t.Fatalf("database shutdown answered %d %+v Retry-After %q", status, b.Error, retry)
	}
}
