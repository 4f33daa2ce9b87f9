package api

import (
	"net/http"

	"pixelpals/internal/auth"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

type createChildRequest struct {
	Login       string `json:"login"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

func (req *createChildRequest) validate() (err error) {
	if req.Login, err = checkChildLogin(req.Login); err != nil {
		return err
	}
	if err := auth.CheckPassword("password", req.Password, auth.MinChildPassword); err != nil {
		return err
	}
	req.DisplayName, err = DisplayName("display_name", req.DisplayName)
	return err
}

func (a *API) createChild(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req createChildRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	hash, err := a.auth.HashPassword(r.Context(), req.Password)
	if err != nil {
		return err
	}
	c, err := a.db.CreateChild(r.Context(), actor, req.Login, hash, req.DisplayName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) listChildren(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	children, err := a.db.ListChildren(r.Context(), actor)
	if err != nil {
		return err
	}
	// A family is small: one page holds every child.
	writeJSON(w, http.StatusOK, pageOf(children, len(children), nil))
	return nil
}

// patchChildRequest renames a child or sets their avatar (an image the
// parent or the child uploaded; null removes it).
type patchChildRequest struct {
	DisplayName   *string         `json:"display_name"`
	AvatarMediaID optionalMediaID `json:"avatar_media_id"`
	Locale        optionalLocale  `json:"locale"`
}

func (req *patchChildRequest) validate() (err error) {
	if err := req.AvatarMediaID.parse("avatar_media_id"); err != nil {
		return err
	}
	if err := req.Locale.parse("locale"); err != nil {
		return err
	}
	if req.DisplayName == nil {
		if !req.AvatarMediaID.Set && !req.Locale.Set {
			return domain.Invalid("display_name", "give display_name, avatar_media_id, locale or several of them")
		}
		return nil
	}
	*req.DisplayName, err = DisplayName("display_name", *req.DisplayName)
	return err
}

func (a *API) renameChild(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req patchChildRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	// The avatar first: a refused one must leave the name unchanged too,
	// and a valid name cannot be refused after it.
	var c store.Child
	if req.AvatarMediaID.Set {
		if c, err = a.db.SetChildAvatar(r.Context(), actor, id, req.AvatarMediaID.ID); err != nil {
			return err
		}
	}
	if req.Locale.Set {
		if c, err = a.db.SetChildLocale(r.Context(), actor, id, req.Locale.Locale); err != nil {
			return err
		}
	}
	if req.DisplayName != nil {
		if c, err = a.db.RenameChild(r.Context(), actor, id, *req.DisplayName); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type passwordRequest struct {
	Password string `json:"password"`
}

func (req *passwordRequest) validate() error {
	return auth.CheckPassword("password", req.Password, auth.MinChildPassword)
}

func (a *API) resetChildPassword(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req passwordRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	hash, err := a.auth.HashPassword(r.Context(), req.Password)
	if err != nil {
		return err
	}
	if err := a.db.ResetChildPassword(r.Context(), actor, id, hash); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) logoutChild(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.LogoutChild(r.Context(), ac, id) })
}

func (a *API) deleteChild(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.DeleteChild(r.Context(), ac, id) })
}

func (a *API) exportChild(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	export, err := a.db.ExportChild(r.Context(), actor, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="pixelpals-child-export.json"`)
	writeJSON(w, http.StatusOK, export)
	return nil
}
