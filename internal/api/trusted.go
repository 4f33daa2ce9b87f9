package api

import (
	"net/http"
	"time"

	"pixelpals/internal/domain"
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
	var t store.TrustedAdult
	err = a.guessCode(r.Context(), "trusted_code", actor,
		func(wait time.Duration) error {
			return domain.RateLimited(wait, "too many unknown codes; try again later")
		},
		func() (err error) {
			t, err = a.db.ProposeTrusted(r.Context(), actor, id, req.Code)
			return err
		})
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

// myTrustedAdults answers a child with their active trusted grown-ups.
func (a *API) myTrustedAdults(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	as, err := a.db.MyTrustedAdults(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, as)
	return nil
}
