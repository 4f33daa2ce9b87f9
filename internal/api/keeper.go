package api

import (
	"errors"
	"net/http"
	"strings"

	"pixelpals/internal/domain"
	"pixelpals/internal/keeper"
)

// Game-login keeper limits: game_credentials.game_name and username are
// VARCHAR(100); a game password is at most 256 bytes.
const (
	maxGameField    = 100
	maxGamePassword = 256
)

type credentialRequest struct {
	GameName string `json:"game_name"`
	Username string `json:"username"`
	Password string `json:"password"`
}

type credentialPatchRequest struct {
	GameName *string `json:"game_name"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (req *credentialRequest) validate() (err error) {
	if req.GameName, err = gameField("game_name", req.GameName); err != nil {
		return err
	}
	if req.Username, err = gameField("username", req.Username); err != nil {
		return err
	}
	return checkGamePassword(req.Password)
}

func (req *credentialPatchRequest) validate() (err error) {
	if req.GameName == nil && req.Username == nil && req.Password == nil {
		return domain.Errorf(domain.CodeInvalid, "nothing to change: give game_name, username or password")
	}
	if req.GameName != nil {
		if *req.GameName, err = gameField("game_name", *req.GameName); err != nil {
			return err
		}
	}
	if req.Username != nil {
		if *req.Username, err = gameField("username", *req.Username); err != nil {
			return err
		}
	}
	if req.Password != nil {
		return checkGamePassword(*req.Password)
	}
	return nil
}

type revealResponse struct {
	Password string `json:"password"`
}

// gameField validates a game name or username.
func gameField(field, s string) (string, error) { return cleanText(field, s, 1, maxGameField, false) }

// checkGamePassword accepts any password of 1 to 256 bytes without NUL.
// It is kept byte for byte: no trimming, since spaces may be part of it.
func checkGamePassword(pw string) error {
	switch {
	case pw == "":
		return domain.Invalid("password", "must not be empty")
	case len(pw) > maxGamePassword:
		return domain.Invalid("password", "must be at most %d bytes", maxGamePassword)
	case strings.ContainsRune(pw, 0):
		return domain.Invalid("password", "must not contain NUL bytes")
	}
	return nil
}

func (a *API) listChildCredentials(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	childID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pg, afterID, err := credentialPage(r)
	if err != nil {
		return err
	}
	list, err := a.keeper.ListForChild(r.Context(), actor, childID, afterID, pg.Limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(list, pg.Limit, credentialKey))
	return nil
}

func (a *API) listMyCredentials(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	pg, afterID, err := credentialPage(r)
	if err != nil {
		return err
	}
	list, err := a.keeper.ListMine(r.Context(), actor, afterID, pg.Limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(list, pg.Limit, credentialKey))
	return nil
}

func credentialPage(r *http.Request) (page, int64, error) {
	pg, err := parsePage(r, 1)
	if err != nil {
		return pg, 0, err
	}
	afterID, err := pg.afterID()
	return pg, afterID, err
}

func credentialKey(c keeper.GameCredential) []string { return idKey(c.ID) }

func (a *API) createCredential(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	childID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req credentialRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	c, err := a.keeper.Create(r.Context(), actor, childID, keeper.NewGameCredential(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) updateCredential(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req credentialPatchRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	c, err := a.keeper.Update(r.Context(), actor, id, keeper.CredentialPatch(req))
	if err != nil {
		return a.keeperError(r, err)
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) deleteCredential(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.keeper.Delete(r.Context(), ac, id) })
}

// revealCredential is the one response that ever carries a kept password.
func (a *API) revealCredential(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw, err := a.keeper.Reveal(r.Context(), actor, id)
	if err != nil {
		return a.keeperError(r, err)
	}
	writeJSON(w, http.StatusOK, revealResponse{Password: pw})
	return nil
}

// keeperError logs why a stored password could not be opened (the vault's
// reason: key versions and lengths, never secrets) before the client gets
// only credential_unreadable.
func (a *API) keeperError(r *http.Request, err error) error {
	var ue *keeper.UnreadableError
	if errors.As(err, &ue) {
		a.logger.WarnContext(r.Context(), "game credential cannot be opened",
			"credential_id", ue.ID, "reason", ue.Cause.Error())
	}
	return err
}
