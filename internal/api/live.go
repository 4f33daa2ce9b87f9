package api

import (
	"net/http"

	"pixelpals/internal/domain"
	"pixelpals/internal/live"
)

// liveEvents opens the actor's event socket (SPEC §12). A browser's cookie
// session must come from a page of this service (or an allowed origin):
// GET is no CSRF-checked method, and a WebSocket is not bound by the
// same-origin policy, so the Origin check is what keeps another site's
// script from reading a child's events. Bearer clients are not browsers
// that attach credentials on their own, and need none.
func (a *API) liveEvents(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	if a.live == nil {
		return domain.Errorf(domain.CodeUnavailable, "live events are not available on this instance")
	}
	if _, fromCookie := sessionToken(r); fromCookie && !a.live.OriginAllowed(r) {
		return domain.Errorf(domain.CodeForbidden, "a page of another origin may not open the event socket with this session's cookie")
	}
	var since *live.Cursor
	if s := r.URL.Query().Get("since"); s != "" {
		p, err := live.ParseCursor(s)
		if err != nil {
			return domain.Invalid("since", "must be the id of an event this socket sent")
		}
		since = &p
	}
	return a.live.Serve(w, r, actor.UserID, actor.SessionID, since)
}
