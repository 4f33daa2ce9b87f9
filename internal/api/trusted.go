package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

// A child's trusted grown-ups (issue 21.3, SPEC §3 "Trusted grown-ups"):
// an adult's code, a guardian's proposal, each guardian's approval, the
// list, revocation, and the adult's own list of children. Which child is
// whose is the store's to decide; the route table admits approved parents.

// createTrustedInvite answers 201 with the adult's new code, shown once.
func (a *API) createTrustedInvite(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	inv, err := a.db.CreateTrustedInvite(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

type proposeTrustedRequest struct {
	Code string `json:"code"`
}

func (req *proposeTrustedRequest) validate() (err error) {
	req.Code, err = store.ParseTrustedCode(req.Code)
	return err
}

// proposeTrusted proposes the code's adult for the child. Unknown, used
// and expired codes get one answer (404) and count against the same
// lock-out as unknown friend and invitation codes.
func (a *API) proposeTrusted(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req proposeTrustedRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	subject := "trusted_code:" + strconv.FormatInt(actor.UserID, 10)
	waits, err := ratelimit.LockedOut(r.Context(), a.db.Pool, subject)
	if err != nil {
		return err
	}
	if waits[0] > 0 {
		return domain.RateLimited(waits[0], "too many unknown codes; try again later")
	}
	t, err := a.db.ProposeTrusted(r.Context(), actor, id, req.Code)
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeNotFound && de.Field == "code" {
		// Counted even if the client has gone: it has its answer.
		if ferr := ratelimit.RecordFailures(context.WithoutCancel(r.Context()), a.db.Pool,
			ratelimit.Failure{Limit: a.codeGuesses, Subject: subject}); ferr != nil {
			return ferr
		}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// childAndAdult reads the path's child id and adult id.
func childAndAdult(r *http.Request) (child, adult int64, err error) {
	if child, err = pathID(r, "id"); err != nil {
		return 0, 0, err
	}
	adult, err = pathID(r, "adult_id")
	return child, adult, err
}

func (a *API) approveTrusted(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	child, adult, err := childAndAdult(r)
	if err != nil {
		return err
	}
	t, err := a.db.ApproveTrusted(r.Context(), actor, child, adult)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) listTrusted(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) ([]store.TrustedAdult, error) {
		return a.db.ListTrusted(r.Context(), actor, id)
	})
}

func (a *API) revokeTrusted(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	child, adult, err := childAndAdult(r)
	if err != nil {
		return err
	}
	if err := a.db.RevokeTrusted(r.Context(), actor, child, adult); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) trustingChildren(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	cs, err := a.db.TrustingChildren(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}
