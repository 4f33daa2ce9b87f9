package api

import (
	"net/http"

	"pixelpals/internal/domain"
)

// listNotices is a parent's leak-guard notices: one per child and game,
// kept until dismissed (docs/controls.md).
func (a *API) listNotices(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	notices, err := a.db.LeakNotices(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": notices, "next_cursor": nil})
	return nil
}

func (a *API) dismissNotice(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.DismissLeakNotice(r.Context(), ac, id) })
}
