// Package api is Pixel Pals' JSON API under /api/v1 (SPEC §11): the route
// table, request decoding and validation, and the mapping of domain errors
// to HTTP statuses. Authorization starts in the route table (who may call)
// and ends in the store (which rows).
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"pixelpals/internal/auth"
	"pixelpals/internal/domain"
	"pixelpals/internal/media"
	"pixelpals/internal/server"
	"pixelpals/internal/store"
	"pixelpals/internal/throttle"
	"pixelpals/internal/vault"
)

// API serves /api/v1.
type API struct {
	db     *store.DB
	auth   *auth.Service
	keeper *store.Keeper
	logger *slog.Logger
	// sendRate is the flood control of message sends, per user.
	sendRate *throttle.Rate
	// uploadRate is the flood control of uploads, per user.
	uploadRate *throttle.Rate
	// codeGuesses locks out a user who tries too many unknown friend codes.
	codeGuesses *throttle.Limiter
	// media checks and cleans uploads.
	media *media.Processor
}

// Deps are what the API is built on.
type Deps struct {
	DB     *store.DB
	Auth   *auth.Service
	Logger *slog.Logger
	// Vault seals and opens the game-login keeper's passwords.
	Vault *vault.Ring
	// SendRate limits each user's message sends; nil means DefaultSendRate.
	SendRate *throttle.Rate
	// UploadRate limits each user's uploads; nil means DefaultUploadRate.
	UploadRate *throttle.Rate
	// FriendCodeGuesses limits each user's unknown friend codes; nil means
	// DefaultFriendCodeGuesses.
	FriendCodeGuesses *throttle.Limiter
	// Media checks and cleans uploads; nil means media.DefaultLimits.
	Media *media.Processor
}

// DefaultSendRate lets a user send 5 messages a second on average, in
// bursts of up to 20: more than anyone types, less than a script floods.
func DefaultSendRate() *throttle.Rate { return throttle.NewRate(5, 20) }

// DefaultUploadRate lets a user upload 10 files in a burst (a few photos
// picked at once), then one every 5 seconds: each can cost a second or two
// of a core to clean.
func DefaultUploadRate() *throttle.Rate { return throttle.NewRate(0.2, 10) }

// DefaultFriendCodeGuesses locks a user out of contact requests for 15
// minutes after 10 unknown friend codes within 15 minutes, so that codes
// (2^49 of them) cannot be searched for.
func DefaultFriendCodeGuesses() *throttle.Limiter {
	return throttle.New(10, 15*time.Minute, 15*time.Minute)
}

// New builds the API over its dependencies.
func New(d Deps) *API {
	a := &API{db: d.DB, auth: d.Auth, keeper: store.NewKeeper(d.DB, d.Vault), logger: d.Logger,
		sendRate: d.SendRate, uploadRate: d.UploadRate, codeGuesses: d.FriendCodeGuesses, media: d.Media}
	if a.media == nil {
		a.media = media.NewProcessor(media.DefaultLimits)
	}
	if a.sendRate == nil {
		a.sendRate = DefaultSendRate()
	}
	if a.uploadRate == nil {
		a.uploadRate = DefaultUploadRate()
	}
	if a.codeGuesses == nil {
		a.codeGuesses = DefaultFriendCodeGuesses()
	}
	return a
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

		{"GET /me/friend-code", childOnly, a.myFriendCode},
		{"GET /children/{id}/friend-code", parentOnly, a.childFriendCode},
		{"POST /children/{id}/friend-code", parentOnly, a.regenerateFriendCode},
		{"POST /contacts", active, a.requestContact},
		{"GET /contacts", active, a.listContacts},
		{"POST /contacts/{id}/approve", parentOnly, a.approveContact},
		{"POST /contacts/{id}/reject", parentOnly, a.rejectContact},
		{"DELETE /contacts/{id}", parentOnly, a.revokeContact},

		{"POST /conversations", active, a.createConversation},
		{"GET /conversations", active, a.listConversations},
		{"GET /conversations/{id}", active, a.getConversation},
		{"POST /conversations/{id}/members", active, a.addMember},
		{"DELETE /conversations/{id}/members/{user_id}", active, a.removeMember},
		{"GET /conversations/{id}/messages", active, a.history},
		{"POST /conversations/{id}/messages", active, a.sendMessage},
		{"DELETE /messages/{id}", active, a.deleteMessage},
		{"POST /messages/{id}/report", active, a.reportMessage},
		{"GET /reports", active, a.listMyReports},
		{"GET /admin/reports", adminOnly, a.listReports},
		{"POST /admin/reports/{id}/resolve", adminOnly, a.resolveReport},

		{"POST /media", active, a.uploadMedia},
		{"GET /media/{id}", active, a.serveMedia},
		{"GET /profiles/{user_id}/avatar", active, a.avatar},
		{"GET /children/{id}/media", parentOnly, a.childGallery},
	}
}

// routeBounds lists the routes whose requests need other bounds than the
// server's defaults (a 1 MiB body, the request timeout): uploads that
// stream, sockets that live long. Keyed by route pattern.
var routeBounds = map[string]server.Bounds{
	// An upload reads at most the configured media limit plus
	// multipartOverhead itself (uploadMedia), and may take longer than a
	// JSON request: 10 MiB from a phone, then a wait for a decode slot.
	"POST /media": {MaxBody: -1, Timeout: 2 * time.Minute},
}

// Register adds every route, and a JSON 404 for unknown API paths, to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		var h http.Handler = a.serve(rt)
		if b, ok := routeBounds[rt.pattern]; ok {
			h = server.Bounded(h, b)
		}
		mux.Handle(method+" "+prefix+path, h)
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
