package sending

import (
	"errors"

	"pixelpals/internal/domain"
)

// Reason is which check refused a send (the package's list).
type Reason string

// The reasons, in the order of the checks.
const (
	SleepMode         Reason = "sleep_mode"          // 423 sleep_mode
	PasswordInMessage Reason = "password_in_message" // 422 password_in_message
	TooFast           Reason = "too_fast"            // 429 rate_limited
	ClientIDUsed      Reason = "client_id_used"      // 409 conflict, field client_id
	NotMember         Reason = "not_member"          // 404 not_found, or 403 forbidden for a reader
	MediaNotAllowed   Reason = "media_not_allowed"   // 400 invalid, field media_id
	Frozen            Reason = "frozen"              // 409 conversation_frozen
	Changed           Reason = "changed"             // 409 conflict
	Busy              Reason = "busy"                // 503 unavailable: a row held too long (errRowBusy)
	// SessionChanged: the session or the send gate the send was checked
	// on no longer held at its INSERT (store.SendHoldsSQL), 409 conflict;
	// the API tries such a send once more on a fresh lookup first (401 if
	// the session is over).
	SessionChanged Reason = "session_changed"
)

// Refusal is a send refused by one of its checks. Err is the domain
// error the client is answered with (its code, status and message); the
// API maps it as any other (errors.As finds it).
type Refusal struct {
	Reason Reason
	Err    error
}

func (r *Refusal) Error() string { return "send refused (" + string(r.Reason) + "): " + r.Err.Error() }

func (r *Refusal) Unwrap() error { return r.Err }

// refuse is err as a Refusal for reason when it is a domain error (what
// the client is told); any other error (a lost connection) stays as it is.
func refuse(reason Reason, err error) error {
	var de *domain.Error
	if err == nil || !errors.As(err, &de) {
		return err
	}
	return &Refusal{Reason: reason, Err: err}
}

// ReasonOf is the reason err refused a send, or "" when it is no Refusal.
func ReasonOf(err error) Reason {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}
