// Package domain holds the types and error codes that every layer of Pixel
// Pals shares: the API maps these errors to HTTP statuses in one place, and
// the store returns them without knowing about HTTP.
package domain

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in the API.
const (
	CodeInvalid          = "invalid"            // 400: the request is malformed or a field is wrong
	CodeUnauthorized     = "unauthorized"       // 401: who are you?
	CodeForbidden        = "forbidden"          // 403: you may not
	CodeNotFound         = "not_found"          // 404: no such thing (or not yours to know about)
	CodeMethodNotAllowed = "method_not_allowed" // 405: the path exists, the method does not
	CodeRequestTimeout   = "request_timeout"    // 408: the body arrived too slowly
	CodeConflict         = "conflict"           // 409: it clashes with the current state
	CodeTooLarge         = "too_large"          // 413
	CodeRateLimited      = "rate_limited"       // 429
	CodeUnavailable      = "unavailable"        // 503
	CodeInternal         = "internal"           // 500: never carries internal detail to clients

	// More specific codes, each with the status of its kind.
	CodeInvalidCredentials = "invalid_credentials"    // 401: unknown login or wrong password, never which
	CodeAwaitingApproval   = "awaiting_approval"      // 403: a parent an admin has not approved yet
	CodeAccountSuspended   = "account_suspended"      // 403
	CodeAccountUnavailable = "account_unavailable"    // 403: a child whose parent cannot use the service now
	CodeAccountRejected    = "account_rejected"       // 401: an admin declined this parent's sign-up and removed the account
	CodeCSRF               = "csrf_failed"            // 403: a cookie-authenticated write without the CSRF token
	CodeUnsupportedMedia   = "unsupported_media_type" // 415
	CodeFrozen             = "conversation_frozen"    // 409: the contact rule no longer holds
	CodeUpgradeRequired    = "upgrade_required"       // 426: a plain request to the WebSocket endpoint
	CodeSleepMode          = "sleep_mode"             // 423: the child's quiet hours; EndsAt says until when
	CodePasswordInMessage  = "password_in_message"    // 422: the leak guard found a kept game password
	// 409: a kept game password fails to decrypt (its row was altered or
	// copied, or its key is not in the ring); re-entering the password fixes it.
	CodeCredentialUnreadable = "credential_unreadable"
)

// Error is an error safe to show to a client: Code says what kind, Message
// says it for a human, Field names the offending request field, if any.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter tells a rate-limited client when to try again.
	RetryAfter time.Duration
	// EndsAt is when a sleep_mode refusal ends.
	EndsAt time.Time
	// Format and Args are Message before formatting: Format, the English
	// text, is the key of its translations (internal/locale), so that a
	// client is told in its own language. An Error without Format has
	// Message as its key.
	Format string
	Args   []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Invalid reports a bad value for a named request field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...), Field: field, Format: format, Args: args}
}

// RateLimited reports that the client must wait before trying again.
func RateLimited(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Code: CodeRateLimited, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter, Format: format, Args: args}
}

// ErrorCode returns the code of err, or CodeInternal when err is not an Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
