package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"

	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

type friendCodeResponse struct {
	ChildID    int64  `json:"child_id"`
	FriendCode string `json:"friend_code"`
}

func (a *API) myFriendCode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	code, err := a.db.FriendCode(r.Context(), actor, actor.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, friendCodeResponse{actor.UserID, code})
	return nil
}

func (a *API) childFriendCode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (friendCodeResponse, error) {
		code, err := a.db.FriendCode(r.Context(), actor, id)
		return friendCodeResponse{id, code}, err
	})
}

// regenerateFriendCode replaces a child's friend code, for when it was
// shared too widely: links already made stay.
func (a *API) regenerateFriendCode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (friendCodeResponse, error) {
		code, err := a.db.RegenerateFriendCode(r.Context(), actor, id)
		return friendCodeResponse{id, code}, err
	})
}

type contactRequest struct {
	FriendCode string `json:"friend_code"`
	ChildID    *int64 `json:"child_id"`
}

func (req *contactRequest) validate() (err error) {
	if req.FriendCode, err = store.ParseFriendCode(req.FriendCode); err != nil {
		return err
	}
	if req.ChildID != nil {
		_, err = checkID("child_id", *req.ChildID)
	}
	return err
}

// requestContact asks for a link with the child whose friend code is
// given: 201 with the new pending link, or 200 with the existing one. The
// answer shows the other child's id and display name, nothing more.
func (a *API) requestContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req contactRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	var childID int64
	if req.ChildID != nil {
		childID = *req.ChildID
	}
	code := req.FriendCode
	subject := "friend_code:" + strconv.FormatInt(actor.UserID, 10)
	waits, err := ratelimit.LockedOut(r.Context(), a.db.Pool, subject)
	if err != nil {
		return err
	}
	if waits[0] > 0 {
		return domain.RateLimited(waits[0], "too many unknown friend codes; try again later")
	}
	c, created, err := a.db.RequestContact(r.Context(), actor, code, childID)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Code == domain.CodeNotFound && de.Field == "friend_code" {
			// Counted even if the client has gone: it has its answer.
			if ferr := ratelimit.RecordFailures(context.WithoutCancel(r.Context()), a.db.Pool, ratelimit.Failure{Limit: a.codeGuesses, Subject: subject}); ferr != nil {
				return ferr
			}
		}
		return err
	}
	writeCreatedOrFound(w, created, c)
	return nil
}

// checkID checks an id from a body: the seed's ids are positive 32-bit.
func checkID(field string, v int64) (int64, error) {
	if v <= 0 || v > math.MaxInt32 {
		return 0, domain.Invalid(field, "must be a user id")
	}
	return v, nil
}

func (a *API) listContacts(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return listByChild(w, r, func(c domain.Contact) int64 { return c.ID },
		func(childID, after int64, limit int) ([]domain.Contact, error) {
			return a.db.ListContacts(r.Context(), actor, childID, after, limit)
		})
}

func (a *API) approveContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (domain.Contact, error) { return a.db.ApproveContact(r.Context(), actor, id) })
}

func (a *API) rejectContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.RejectContact(r.Context(), ac, id) })
}

// declineContact: the child a pending request was addressed to says "not
// now" → 200 with the link as it was, its status declined.
func (a *API) declineContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (domain.Contact, error) { return a.db.DeclineContact(r.Context(), actor, id) })
}

func (a *API) revokeContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.RevokeContact(r.Context(), ac, id) })
}
