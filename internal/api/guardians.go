package api

import (
	"net/http"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// A child's guardians (issue 21, SPEC §3 "Guardians"): invitations, the
// list, removal and handing primary over. Which child is whose is the
// store's to decide; the route table admits approved parents, except to
// accept an invitation, which a parent awaiting approval may.

// createGuardianInvite answers 201 with a new invitation's code, shown
// this once.
func (a *API) createGuardianInvite(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inv, err := a.db.CreateGuardianInvite(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

type acceptGuardianRequest struct {
	Code string `json:"code"`
}

func (req *acceptGuardianRequest) validate() (err error) {
	req.Code, err = store.ParseGuardianCode(req.Code)
	return err
}

// acceptGuardianInvite makes the acting parent a guardian of the
// invitation's child. Unknown, used and expired codes get one answer
// (404), and count against the same lock-out as unknown friend codes.
func (a *API) acceptGuardianInvite(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	if !actor.IsParent() {
		return domain.Errorf(domain.CodeForbidden, "only a parent's account can become a child's guardian")
	}
	var req acceptGuardianRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	var child store.GuardedChild
	err := a.guessCode(r.Context(), "guardian_code", actor,
		func(wait time.Duration) error {
			return domain.RateLimited(wait, "too many unknown invitation codes; try again later")
		},
		func() (err error) {
			child, err = a.db.AcceptGuardianInvite(r.Context(), actor, req.Code)
			return err
		})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]store.GuardedChild{"child": child})
	return nil
}

func (a *API) listGuardians(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) ([]store.Guardian, error) {
		return a.db.ListGuardians(r.Context(), actor, id)
	})
}

// myGuardians answers a child with the grown-ups they may chat with as
// their parents: each vetted guardian, primary first.
func (a *API) myGuardians(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	gs, err := a.db.MyGuardians(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gs)
	return nil
}

// childAndUser reads the path's child id and guardian user id.
func childAndUser(r *http.Request) (child, user int64, err error) {
	if child, err = pathID(r, "id"); err != nil {
		return 0, 0, err
	}
	user, err = pathID(r, "user_id")
	return child, user, err
}

func (a *API) removeGuardian(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	child, user, err := childAndUser(r)
	if err != nil {
		return err
	}
	if err := a.db.RemoveGuardian(r.Context(), actor, child, user); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// makePrimary hands primary over and answers with the guardians as they
// are now.
func (a *API) makePrimary(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	child, user, err := childAndUser(r)
	if err != nil {
		return err
	}
	gs, err := a.db.MakePrimary(r.Context(), actor, child, user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gs)
	return nil
}
