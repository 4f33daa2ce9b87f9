package api

import (
	"net/http"
	"regexp"
	"strconv"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/sending"
	"pixelpals/internal/store"
)

// maxMessage is the longest text message, in characters after trimming.
const maxMessage = 2000

// clientIDPattern is what a client id may look like: a UUID, a ULID, a
// counter, within the column's 64 characters.
var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

type sendRequest struct {
	Type     string  `json:"type"`
	Content  *string `json:"content"`
	MediaID  *int64  `json:"media_id"`
	ClientID string  `json:"client_id"`
}

func (req *sendRequest) validate() (err error) {
	if !clientIDPattern.MatchString(req.ClientID) {
		return domain.Invalid("client_id", "must be 1 to 64 letters, digits, dots, dashes, underscores or colons, unique per message you send")
	}
	switch req.Type {
	case domain.MessageText:
		if req.MediaID != nil {
			return domain.Invalid("media_id", "a text message has no media")
		}
		if req.Content == nil {
			return domain.Invalid("content", "must not be empty")
		}
		*req.Content, err = cleanText("content", *req.Content, 1, maxMessage, true)
		return err
	case domain.MessageImage, domain.MessageAudio:
		if req.MediaID == nil || *req.MediaID <= 0 || *req.MediaID > 1<<31-1 {
			return domain.Invalid("media_id", "an %s message needs the id of your upload (POST /media)", req.Type)
		}
		if req.Content == nil { // no caption
			req.Content = new(string)
			return nil
		}
		*req.Content, err = cleanText("content", *req.Content, 0, maxMessage, true)
		return err
	case domain.MessageSystem:
		return domain.Invalid("type", "system messages are written by the server only")
	}
	return domain.Invalid("type", "must be text, image or audio")
}

// sendMessage posts a message: 201 with it, or 200 with the first message
// when the client id was used before (a retry).
func (a *API) sendMessage(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req sendRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	// Every check of a send, sleep mode and the leak guard (on the send
	// gate read with the session, or remembered from the sender's last
	// send: the route's access is sendsMessage) to the send budget and
	// membership, is the sender's (internal/sending).
	msg := sending.Message{Type: req.Type, Content: *req.Content, ClientID: req.ClientID, MediaID: req.MediaID}
	m, created, err := a.sender.Send(r.Context(), actor, sendGateOf(r), id, msg)
	if sending.ReasonOf(err) == sending.SessionChanged {
		// The lookup was out of date at the INSERT (a remembered one, or a
		// change that committed in between: a new schedule, a logout):
		// once more on a fresh one, which answers 401 if the session is
		// over.
		var fresh *http.Request
		if actor, fresh, err = a.freshSendSession(r); err == nil {
			m, created, err = a.sender.Send(fresh.Context(), actor, sendGateOf(fresh), id, msg)
		}
	}
	if err != nil {
		return err
	}
	writeCreatedOrFound(w, created, m)
	return nil
}

// history pages a conversation's messages newest first; the cursor is the
// last message's (created_at, id).
func (a *API) history(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return messagePage(w, r, func(id int64, before *store.MessageKey, limit int) ([]domain.Message, error) {
		return a.db.History(r.Context(), actor, id, before, limit)
	}, func(m domain.Message) (time.Time, int64) { return m.CreatedAt, m.ID })
}

// messagePage answers a newest-first page of rows keyed by a message's
// (created_at, id), from list on the resource {id}: a conversation's
// history, a child's gallery.
func messagePage[T any](w http.ResponseWriter, r *http.Request,
	list func(id int64, before *store.MessageKey, limit int) ([]T, error), key func(T) (time.Time, int64)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pg, err := parsePage(r, 2)
	if err != nil {
		return err
	}
	before, err := messageKey(pg)
	if err != nil {
		return err
	}
	rows, err := list(id, before, pg.Limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(rows, pg.Limit, func(v T) []string {
		at, id := key(v)
		return []string{strconv.FormatInt(at.UnixMicro(), 10), strconv.FormatInt(id, 10)}
	}))
	return nil
}

var (
	minCursorMicros = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxCursorMicros = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro()
)

func messageKey(pg page) (*store.MessageKey, error) {
	if pg.After == nil {
		return nil, nil
	}
	micros, err1 := strconv.ParseInt(pg.After[0], 10, 64)
	id, err2 := strconv.ParseInt(pg.After[1], 10, 32) // ids are the seed's SERIAL
	// Times outside years 1..9999 are no message's, and some of them are
	// outside what PostgreSQL's timestamp can hold.
	if err1 != nil || err2 != nil || id <= 0 || micros < minCursorMicros || micros > maxCursorMicros {
		return nil, domain.Invalid("cursor", "not a cursor this list gave out")
	}
	return &store.MessageKey{CreatedAt: time.UnixMicro(micros).UTC(), ID: id}, nil
}

func (a *API) deleteMessage(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.DeleteMessage(r.Context(), ac, id) })
}

type reportRequest struct {
	Reason string `json:"reason"`
}

func (req *reportRequest) validate() (err error) {
	req.Reason, err = cleanText("reason", req.Reason, 1, maxReason, true)
	return err
}

// maxReason bounds a report's reason.
const maxReason = 1000

func (a *API) reportMessage(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req reportRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	rep, err := a.db.ReportMessage(r.Context(), actor, id, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}
