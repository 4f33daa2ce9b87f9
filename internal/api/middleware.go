package api

import (
	"context"
	"net/http"
	"strings"

	"pixelpals/internal/auth"
	"pixelpals/internal/clientip"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// Cookie names of the web session.
const (
	sessionCookie = "pixelpals_session"
	csrfCookie    = "pixelpals_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// access says who may call a route: the one place that says which role
// may do what (the authorization matrix tests it). Handlers and the store
// check only which rows (whose child, which conversation), in the SQL.
type access int

const (
	public       access = iota // no session needed
	loggedIn                   // any session, even a parent awaiting approval
	active                     // an admin, an approved parent or a child
	withSendGate               // as active; the send gate is read with the session (sendGateKey)
	sendsMessage               // as withSendGate, but the lookup may be the sender's last send's (store.RememberedSessionForSend)
	adminOnly                  // an admin
	parentOnly                 // an approved parent
	childOnly                  // a child
	family                     // an approved parent or a child: admins are never members of family chats and links
)

// authorize finds the request's actor and checks it against the route's
// access: 401 when nobody is logged in, 403 when the role does not fit.
func (a *API) authorize(r *http.Request, need access) (*domain.Actor, *http.Request, error) {
	if need == public {
		return nil, r, nil
	}
	token, fromCookie := sessionToken(r)
	actor, r, err := a.authenticate(r, need, token)
	if err != nil {
		return nil, r, err
	}
	actor, err = a.permit(r, need, actor, token, fromCookie)
	return actor, r, err
}

// permit checks actor against the route's access need.
func (a *API) permit(r *http.Request, need access, actor *domain.Actor, token string, fromCookie bool) (*domain.Actor, error) {
	if fromCookie && !safeMethod(r.Method) && !auth.CheckCSRF(token, r.Header.Get(csrfHeader)) {
		return nil, domain.Errorf(domain.CodeCSRF, "missing or wrong %s header", csrfHeader)
	}
	actor.IP = clientip.From(r.Context())
	if need == loggedIn {
		return actor, nil
	}
	if !actor.Active {
		return nil, domain.Errorf(domain.CodeAwaitingApproval, "your account is awaiting approval by an admin")
	}
	switch {
	case need == adminOnly && !actor.IsAdmin():
		return nil, domain.Errorf(domain.CodeForbidden, "admins only")
	case need == parentOnly && !actor.IsParent():
		return nil, domain.Errorf(domain.CodeForbidden, "parents only")
	case need == childOnly && !actor.IsChild():
		return nil, domain.Errorf(domain.CodeForbidden, "children only")
	case need == family && actor.IsAdmin():
		return nil, domain.Errorf(domain.CodeForbidden, "only children and their parents")
	}
	return actor, nil
}

// sendGateKey is the request context key of a send's gate
// (store.SendGate), read with the session on withSendGate and
// sendsMessage routes and handed to sending.Sender.Send by the handler.
type sendGateKey struct{}

// sendGateOf is the send gate authenticate read with the session of r
// (nil on other routes).
func sendGateOf(r *http.Request) *store.SendGate {
	gate, _ := r.Context().Value(sendGateKey{}).(*store.SendGate)
	return gate
}

// authenticate resolves token to its actor; on a withSendGate or
// sendsMessage route, the send gate comes with it, in the context of the
// request it returns (where sendMessage finds it, for
// sending.Sender.Send).
func (a *API) authenticate(r *http.Request, need access, token string) (*domain.Actor, *http.Request, error) {
	if need != withSendGate && need != sendsMessage {
		actor, err := a.auth.Authenticate(r.Context(), token)
		return actor, r, err
	}
	actor, gate, err := a.auth.AuthenticateForSend(r.Context(), token, need == sendsMessage)
	if gate != nil {
		r = r.WithContext(context.WithValue(r.Context(), sendGateKey{}, gate))
	}
	return actor, r, err
}

// freshSendSession authorizes a send's request again on a fresh lookup
// (the request it returns has the fresh send gate), forgetting the
// remembered one, which no longer held at the send's INSERT: 401 when
// the session is over.
func (a *API) freshSendSession(r *http.Request) (*domain.Actor, *http.Request, error) {
	token, _ := sessionToken(r)
	a.auth.ForgetSendSession(token)
	return a.authorize(r, withSendGate)
}

// sessionToken takes the token from "Authorization: Bearer" (API clients)
// or else from the session cookie (the web UI), and says which.
func sessionToken(r *http.Request) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), false
		}
		return "", false
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// setSessionCookies gives a browser its session (HttpOnly: scripts never
// see it) and the CSRF token its scripts must echo in X-CSRF-Token; both
// Secure when the client came over HTTPS, here or at a trusted proxy.
func setSessionCookies(w http.ResponseWriter, r *http.Request, token string, maxAge int) {
	secure := clientip.IsHTTPS(r.Context())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	csrf := ""
	if token != "" {
		csrf = auth.CSRFToken(token)
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", MaxAge: maxAge,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}
