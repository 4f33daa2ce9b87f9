// Package api is Pixel Pals' JSON API under /api/v1 (SPEC §11): the route
// table, request decoding and validation, and the mapping of domain errors
// to HTTP statuses. Authorization starts in the route table (who may call)
// and ends in the store (which rows).
package api

import (
	"log/slog"
	"net/http"
	"strings"

	"pixelpals/internal/auth"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// API serves /api/v1.
type API struct {
	db     *store.DB
	auth   *auth.Service
	keeper *store.Keeper
	logger *slog.Logger
}

// Deps are what the API is built on.
type Deps struct {
	DB     *store.DB
	Auth   *auth.Service
	Logger *slog.Logger
	// Vault seals and opens the game-login keeper's passwords.
	Vault *vault.Ring
}

// New builds the API over its dependencies.
func New(d Deps) *API {
	return &API{db: d.DB, auth: d.Auth, keeper: store.NewKeeper(d.DB, d.Vault), logger: d.Logger}
}

// handler serves one route for an authorized actor (nil on public routes).
type handler func(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error

// route is one row of the route table.
type route struct {
	pattern string // "METHOD /api/v1/path"
	access  access
	handle  handler
}

const prefix = "/api/v1"

// routes is the whole route table.
func (a *API) routes() []route {
	return []route{
		{"POST /auth/signup", public, a.signup},
		{"POST /auth/login", public, a.login},
		{"POST /auth/logout", loggedIn, a.logout},
		{"GET /me", loggedIn, a.me},
		{"PATCH /me/profile", active, a.updateMyProfile},
		{"GET /profiles/{user_id}", active, a.profile},

		{"GET /admin/users", adminOnly, a.listUsers},
		{"POST /admin/users/{id}/approve", adminOnly, a.approveUser},
		{"POST /admin/users/{id}/reject", adminOnly, a.rejectUser},
		{"POST /admin/users/{id}/suspend", adminOnly, a.suspendUser},
		{"POST /admin/users/{id}/reinstate", adminOnly, a.reinstateUser},
		{"DELETE /admin/users/{id}", adminOnly, a.deleteUser},
		{"GET /admin/audit-logs", adminOnly, a.listAuditLogs},

		{"POST /children", parentOnly, a.createChild},
		{"GET /children", parentOnly, a.listChildren},
		{"PATCH /children/{id}", parentOnly, a.renameChild},
		{"DELETE /children/{id}", parentOnly, a.deleteChild},
		{"POST /children/{id}/password", parentOnly, a.resetChildPassword},
		{"POST /children/{id}/logout-everywhere", parentOnly, a.logoutChild},
		{"GET /children/{id}/export", parentOnly, a.exportChild},

		{"GET /children/{id}/game-credentials", parentOnly, a.listChildCredentials},
		{"POST /children/{id}/game-credentials", parentOnly, a.createCredential},
		{"GET /me/game-credentials", childOnly, a.listMyCredentials},
		{"PATCH /game-credentials/{id}", parentOnly, a.updateCredential},
		{"DELETE /game-credentials/{id}", parentOnly, a.deleteCredential},
		{"POST /game-credentials/{id}/reveal", childOnly, a.revealCredential},
	}
}

// Register adds every route, and a JSON 404 for unknown API paths, to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		mux.Handle(method+" "+prefix+path, a.serve(rt))
	}
	mux.HandleFunc("GET "+prefix+"/openapi.json", serveOpenAPI)
	mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, domain.Errorf(domain.CodeNotFound, "no such endpoint"))
	})
}

func (a *API) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := a.authorize(r, rt.access)
		if err == nil {
			err = rt.handle(w, r, actor)
		}
		if err != nil {
			a.writeError(w, r, err)
		}
	})
}
