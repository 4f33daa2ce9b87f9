package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"pixelpals/internal/auth"
	"pixelpals/internal/clientip"
	"pixelpals/internal/domain"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/store"
)

type userAndProfile struct {
	User    domain.User    `json:"user"`
	Profile domain.Profile `json:"profile"`
}

type signupRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

func (req *signupRequest) validate() (err error) {
	if req.Email, err = checkEmail(req.Email); err != nil {
		return err
	}
	if err := auth.CheckPassword("password", req.Password, auth.MinAdultPassword); err != nil {
		return err
	}
	req.DisplayName, err = DisplayName("display_name", req.DisplayName)
	return err
}

// signup creates a parent account awaiting admin approval and mails its
// address a verification link. A taken address gets the same answer
// (store.SignUp): the password is hashed either way, so the time matches too.
func (a *API) signup(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	var req signupRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	// Per client address, before anything is looked up: a 429 says
	// nothing about the address asked for.
	ok, wait, err := ratelimit.TakeToken(r.Context(), a.db.Pool, a.signupRate, "signup-ip:"+clientip.From(r.Context()))
	if err != nil {
		return err
	}
	if !ok {
		return domain.RateLimited(wait, "too many sign-ups from your network; try again later")
	}
	hash, err := a.auth.HashPassword(r.Context(), req.Password)
	if err != nil {
		return err
	}
	u, p, err := a.db.SignUp(r.Context(), req.Email, hash, req.DisplayName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userAndProfile{u, p})
	return nil
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string      `json:"token"`
	CSRFToken string      `json:"csrf_token"`
	User      domain.User `json:"user"`
}

func (req *loginRequest) validate() error {
	// No account's login holds NUL or invalid UTF-8 (PostgreSQL text
	// cannot), so such a login is malformed, not merely unknown.
	if req.Login == "" || len(req.Login) > 254 || !utf8.ValidString(req.Login) || strings.ContainsRune(req.Login, 0) {
		return domain.Invalid("login", "must be your email or login name")
	}
	if req.Password == "" || len(req.Password) > auth.MaxPassword {
		return domain.Invalid("password", "must be your password")
	}
	return nil
}

// login opens a session: the token in the body for API clients, and the
// same token as an HttpOnly cookie for the web UI.
func (a *API) login(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	var req loginRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	s, err := a.auth.Login(r.Context(), req.Login, req.Password, clientip.From(r.Context()))
	if domain.ErrorCode(err) == domain.CodeInvalidCredentials {
		// The browser of a parent whose sign-up was declined still sends
		// that session: tell them why the login is gone.
		token, _ := sessionToken(r)
		if ended := a.auth.EndedSession(r.Context(), token); ended != nil {
			return ended
		}
	}
	if err != nil {
		return err
	}
	u, _, err := a.db.Me(r.Context(), &domain.Actor{UserID: s.UserID})
	if err != nil {
		return err
	}
	setSessionCookies(w, r, s.Token, int(store.AbsoluteTimeout.Seconds()))
	writeJSON(w, http.StatusOK, loginResponse{Token: s.Token, CSRFToken: auth.CSRFToken(s.Token), User: u})
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	if err := a.db.DeleteSession(r.Context(), actor.SessionID); err != nil {
		return err
	}
	token, _ := sessionToken(r)
	a.auth.ForgetSendSession(token) // the sends' INSERTs would refuse it anyway

	setSessionCookies(w, r, "", -1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	u, p, err := a.db.Me(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userAndProfile{u, p})
	return nil
}

type profilePatchRequest struct {
	DisplayName   *string         `json:"display_name"`
	Bio           *string         `json:"bio"`
	AvatarMediaID optionalMediaID `json:"avatar_media_id"`
	Locale        optionalLocale  `json:"locale"`
}

func (req *profilePatchRequest) validate() (err error) {
	if err := req.Locale.parse("locale"); err != nil {
		return err
	}
	if req.DisplayName != nil {
		if *req.DisplayName, err = DisplayName("display_name", *req.DisplayName); err != nil {
			return err
		}
	}
	if req.Bio != nil {
		if *req.Bio, err = cleanText("bio", *req.Bio, 0, maxBio, true); err != nil {
			return err
		}
	}
	return req.AvatarMediaID.parse("avatar_media_id")
}

func (a *API) updateMyProfile(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req profilePatchRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	if err := a.checkLeakFields(r.Context(), actor, leakField{"display_name", req.DisplayName}, leakField{"bio", req.Bio}); err != nil {
		return err
	}
	p, err := a.db.UpdateMyProfile(r.Context(), actor, store.ProfilePatch{DisplayName: req.DisplayName, Bio: req.Bio,
		SetAvatar: req.AvatarMediaID.Set, AvatarMediaID: req.AvatarMediaID.ID, SetLocale: req.Locale.Set, Locale: req.Locale.Locale})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) profile(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "user_id", func(id int64) (domain.Profile, error) { return a.db.ViewProfile(r.Context(), actor, id) })
}
