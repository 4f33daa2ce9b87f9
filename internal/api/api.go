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
	"pixelpals/internal/keeper"
	"pixelpals/internal/live"
	"pixelpals/internal/locale"
	"pixelpals/internal/media"
	"pixelpals/internal/notify"
	"pixelpals/internal/ratelimit"
	"pixelpals/internal/respond"
	"pixelpals/internal/sending"
	"pixelpals/internal/server"
	"pixelpals/internal/store"
	"pixelpals/internal/vault"
)

// API serves /api/v1.
type API struct {
	db     *store.DB
	auth   *auth.Service
	keeper *keeper.Keeper
	// sender sends messages: every check of a send, in order.
	sender *sending.Sender
	logger *slog.Logger
	// uploadRate is the flood control of uploads, per user.
	uploadRate ratelimit.Rate
	// codeGuesses locks out a user who tries too many unknown friend codes.
	codeGuesses ratelimit.FailureLimit
	// signupRate bounds the sign-ups (and so the mails) of one client
	// address.
	signupRate ratelimit.Rate
	// live serves the event sockets; nil answers them 503.
	live *live.Hub
	// media checks and cleans uploads.
	media *media.Processor
	// uploadPace is the slowest an upload's body may arrive.
	uploadPace UploadPace
	// receiving counts each user's uploads whose body is still arriving
	// (spooled to disk), so that slow bodies cannot fill the disk.
	receiving receivingUploads
	// now is the clock of sleep mode; tests set it.
	now func() time.Time
	// unsub checks the mails' unsubscribe links (unsubscribe.go).
	unsub notify.Unsubscribe
	// pushPublicKey is the VAPID public key browsers subscribe with.
	pushPublicKey string
}

// Deps are what the API is built on.
type Deps struct {
	DB     *store.DB
	Auth   *auth.Service
	Logger *slog.Logger
	// Vault seals and opens the game-login keeper's passwords.
	Vault *vault.Ring
	// SendRate limits each user's message sends; nil means
	// DefaultSendRate. It is kept in the database (internal/ratelimit), so
	// it holds across instances, as all of these limits do.
	SendRate *ratelimit.Rate
	// UploadRate limits each user's uploads; nil means DefaultUploadRate.
	UploadRate *ratelimit.Rate
	// FriendCodeGuesses limits each user's unknown friend codes; nil means
	// DefaultFriendCodeGuesses.
	FriendCodeGuesses *ratelimit.FailureLimit
	// SignupRate limits each client address's sign-ups; nil means
	// DefaultSignupRate.
	SignupRate *ratelimit.Rate
	// Live is this instance's hub of event sockets (GET /ws).
	Live *live.Hub
	// Media checks and cleans uploads; nil means media.DefaultLimits.
	Media *media.Processor
	// UploadPace is the slowest an upload's body may arrive; the zero
	// value means DefaultUploadPace.
	UploadPace UploadPace
	// Now is the clock of sleep mode; nil means time.Now.
	Now func() time.Time
	// PushPublicKey is the VAPID public key (notify.VAPID) browsers
	// subscribe to Web Push with; empty answers 503 (api/push.go).
	PushPublicKey string
}

// DefaultSendRate lets a user send 5 messages a second on average, in
// bursts of up to 20: more than anyone types, less than a script floods.
var DefaultSendRate = ratelimit.Rate{PerSecond: 5, Burst: 20}

// DefaultUploadRate lets a user upload 10 files in a burst (a few photos
// picked at once), then one every 5 seconds: each can cost a second or two
// of a core to clean.
var DefaultUploadRate = ratelimit.Rate{PerSecond: 0.2, Burst: 10}

// DefaultFriendCodeGuesses locks a user out of contact requests for 15
// minutes after 10 unknown friend codes within 15 minutes, so that codes
// (2^49 of them) cannot be searched for.
var DefaultFriendCodeGuesses = ratelimit.FailureLimit{Max: 10, Window: 15 * time.Minute, Lockout: 15 * time.Minute}

// DefaultSignupRate lets one client address sign up 20 parents at once (a
// school's or a library's shared address), then one a minute. Every
// sign-up mails the address it names (a verification link, or "someone
// tried"), so without it a script could make the service mail any number
// of strangers.
var DefaultSignupRate = ratelimit.Rate{PerSecond: 1.0 / 60, Burst: 20}

// New builds the API over its dependencies, and the sender of its
// messages (internal/sending), whose send budget is d.SendRate.
func New(d Deps) *API {
	a := &API{db: d.DB, auth: d.Auth, keeper: keeper.New(d.DB, d.Vault), logger: d.Logger,
		media: d.Media, live: d.Live, now: d.Now, uploadPace: d.UploadPace, pushPublicKey: d.PushPublicKey}
	if a.uploadPace.BytesPerSecond <= 0 {
		a.uploadPace = DefaultUploadPace
	}
	if d.Vault != nil {
		a.unsub.Ring = d.Vault
	}
	a.uploadRate = orDefault(d.UploadRate, DefaultUploadRate).Check()
	a.codeGuesses = orDefault(d.FriendCodeGuesses, DefaultFriendCodeGuesses).Check()
	a.signupRate = orDefault(d.SignupRate, DefaultSignupRate).Check()
	sendRate := orDefault(d.SendRate, DefaultSendRate)
	sc := sending.Config{Limit: &sendRate, Now: func() time.Time { return a.now() }}
	if d.Live != nil {
		sc.Announce = d.Live.Announce
	}
	a.sender = sending.New(d.DB, a.keeper, sc)
	if a.media == nil {
		a.media = media.NewProcessor(media.DefaultLimits)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// orDefault is *v, or def when v is nil.
func orDefault[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
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
		{"POST /auth/verify-email", public, a.verifyEmail},
		{"POST /auth/password-reset", public, a.requestPasswordReset},
		{"POST /auth/password-reset/confirm", public, a.confirmPasswordReset},
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
		{"POST /children/{id}/guardian-invites", parentOnly, a.createGuardianInvite},
		{"POST /guardian-invites/accept", loggedIn, a.acceptGuardianInvite},
		{"GET /children/{id}/guardians", parentOnly, a.listGuardians},
		{"DELETE /children/{id}/guardians/{user_id}", parentOnly, a.removeGuardian},
		{"POST /children/{id}/guardians/{user_id}/primary", parentOnly, a.makePrimary},
		{"POST /me/trusted-invites", parentOnly, a.createTrustedInvite},
		{"GET /me/trusted-children", parentOnly, a.trustingChildren},
		{"POST /children/{id}/trusted-adults", parentOnly, a.proposeTrusted},
		{"GET /children/{id}/trusted-adults", parentOnly, a.listTrusted},
		{"POST /children/{id}/trusted-adults/{adult_id}/approve", parentOnly, a.approveTrusted},
		{"DELETE /children/{id}/trusted-adults/{adult_id}", parentOnly, a.revokeTrusted},
		{"GET /me/trusted-adults", childOnly, a.myTrustedAdults},
		{"GET /me/guardians", childOnly, a.myGuardians},

		{"GET /children/{id}/game-credentials", parentOnly, a.listChildCredentials},
		{"POST /children/{id}/game-credentials", parentOnly, a.createCredential},
		{"GET /me/game-credentials", childOnly, a.listMyCredentials},
		{"PATCH /game-credentials/{id}", parentOnly, a.updateCredential},
		{"DELETE /game-credentials/{id}", parentOnly, a.deleteCredential},
		{"POST /game-credentials/{id}/reveal", childOnly, a.revealCredential},

		{"GET /me/friend-code", childOnly, a.myFriendCode},
		{"GET /children/{id}/friend-code", parentOnly, a.childFriendCode},
		{"POST /children/{id}/friend-code", parentOnly, a.regenerateFriendCode},
		{"POST /contacts", family, a.requestContact},
		{"GET /contacts", family, a.listContacts},
		{"POST /contacts/{id}/approve", parentOnly, a.approveContact},
		{"POST /contacts/{id}/reject", parentOnly, a.rejectContact},
		{"DELETE /contacts/{id}", parentOnly, a.revokeContact},

		{"POST /conversations", family, a.createConversation},
		{"GET /conversations", family, a.listConversations},
		{"GET /conversations/{id}", active, a.getConversation},
		{"PATCH /conversations/{id}", family, a.renameConversation},
		{"POST /conversations/{id}/members", family, a.addMember},
		{"DELETE /conversations/{id}/members/{user_id}", family, a.removeMember},
		{"POST /conversations/{id}/hide", family, a.hideConversation},
		{"POST /conversations/{id}/read", family, a.markRead},
		{"GET /conversations/{id}/messages", active, a.history},
		{"POST /conversations/{id}/messages", sendsMessage, a.sendMessage},
		{"PUT /conversations/{id}/messages/{message_id}/reactions/{kind}", withSendGate, a.react(true)},
		{"DELETE /conversations/{id}/messages/{message_id}/reactions/{kind}", withSendGate, a.react(false)},
		{"DELETE /messages/{id}", active, a.deleteMessage},
		{"POST /messages/{id}/report", family, a.reportMessage},
		{"GET /reports", family, a.listMyReports},
		{"GET /admin/reports", adminOnly, a.listReports},
		{"GET /admin/reports/{id}", adminOnly, a.reportDetail},
		{"POST /admin/reports/{id}/resolve", adminOnly, a.resolveReport},

		{"POST /media", active, a.uploadMedia},
		{"GET /media/{id}", active, a.serveMedia},
		{"GET /profiles/{user_id}/avatar", active, a.avatar},
		{"GET /children/{id}/media", parentOnly, a.childGallery},

		{"GET /ws", active, a.liveEvents},

		{"GET /children/{id}/sleep-mode", parentOnly, a.childSleepMode},
		{"PUT /children/{id}/sleep-mode", parentOnly, a.setSleepMode},
		{"DELETE /children/{id}/sleep-mode", parentOnly, a.clearSleepMode},
		{"GET /me/sleep-mode", childOnly, a.mySleepMode},
		{"POST /contacts/{id}/block", childOnly, a.blockContact},
		{"POST /contacts/{id}/decline", childOnly, a.declineContact},
		{"POST /contacts/{id}/unblock", parentOnly, a.unblockContact},
		{"GET /children/{id}/activity", parentOnly, a.childActivity},
		{"GET /me/notices", parentOnly, a.listNotices},
		{"DELETE /me/notices/{id}", parentOnly, a.dismissNotice},
		{"GET /me/notification-settings", parentOnly, a.notificationSettings},
		{"PUT /me/notification-settings", parentOnly, a.setNotificationSettings},
		{"GET /unsubscribe", public, a.unsubscribePage},
		{"POST /unsubscribe", public, a.unsubscribe},
		{"GET /push/vapid-public-key", parentOnly, a.vapidPublicKey},
		{"POST /me/push-subscriptions", parentOnly, a.savePushSubscription},
		{"DELETE /me/push-subscriptions", parentOnly, a.deletePushSubscription},
	}
}

// routeBounds lists the routes whose requests need other bounds than the
// server's defaults (a 1 MiB body, the request timeout): uploads that
// stream, sockets that live long. Keyed by route pattern.
var routeBounds = map[string]server.Bounds{
	"GET /ws": {Timeout: -1}, // lives as long as its session
	// An upload bounds itself (uploadMedia): its body to the configured
	// media limit plus multipartOverhead, arriving at the UploadPace (a
	// 10 MiB photo over a poor link may take minutes), then the wait for
	// a decode slot and the work to uploadWork.
	"POST /media": {MaxBody: -1, Timeout: -1},
}

// compressedRoutes are the read routes whose JSON answers are gzipped
// (respond.Gzip) for a client that accepts it: long lists and pages
// (a chat's history is 16 KiB, 2 KiB gzipped) that hold no secret. No
// answer with a password, token, code, key or a revealed game login is
// here, nor anything else that is not listed: compressing a secret next
// to text an attacker can choose leaks it through the answer's size
// (BREACH; docs/web.md "Which API answers are compressed").
var compressedRoutes = map[string]bool{
	"GET /conversations":               true,
	"GET /conversations/{id}":          true,
	"GET /conversations/{id}/messages": true,
	"GET /contacts":                    true,
	"GET /children/{id}/media":         true,
	"GET /admin/users":                 true,
	"GET /admin/reports":               true,
	"GET /admin/audit-logs":            true,
}

// Register adds every route, and a JSON 404 for unknown API paths, to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		var h http.Handler = a.serve(rt)
		if compressedRoutes[rt.pattern] {
			h = respond.Gzip(h)
		}
		if b, ok := routeBounds[rt.pattern]; ok {
			h = server.Bounded(h, b)
		}
		mux.Handle(method+" "+prefix+path, h)
	}
	mux.HandleFunc("GET "+prefix+"/openapi.json", serveOpenAPI)
	mux.HandleFunc("GET "+prefix, serveIndex)
	mux.HandleFunc("GET "+prefix+"/{$}", serveIndex)
	fallback := func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			a.writeError(w, r, domain.Errorf(domain.CodeMethodNotAllowed,
				"%s is not allowed here; allowed: %s", r.Method, strings.Join(allow, ", ")))
			return
		}
		a.writeError(w, r, domain.Errorf(domain.CodeNotFound, "no such endpoint"))
	}
	// Without a method, these patterns catch whatever no route matched,
	// so that every answer under /api/v1 is a JSON error (and /api/v1 is
	// not redirected to /api/v1/).
	mux.HandleFunc(prefix, fallback)
	mux.HandleFunc(prefix+"/", fallback)
}

// allowedMethods lists the methods some route serves at r's path: empty
// when the path is unknown (404), else the Allow header of a 405.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
			allow = append(allow, m)
			if m == "GET" { // the mux serves HEAD with a GET route
				allow = append(allow, "HEAD")
			}
		}
	}
	return allow
}

// serveIndex answers /api/v1 with where the API is described.
func serveIndex(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"name":    "Pixel Pals API",
		"version": "v1",
		"openapi": prefix + "/openapi.json",
	})
}

func (a *API) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, r, err := a.authorize(r, rt.access)
		if actor != nil && actor.Locale != "" {
			r = r.WithContext(locale.WithLang(r.Context(), actor.Locale))
		}
		if err == nil {
			err = rt.handle(w, r, actor)
		}
		if err != nil {
			a.writeError(w, r, err)
		}
	})
}
