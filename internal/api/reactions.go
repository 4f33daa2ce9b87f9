package api

import (
	"net/http"
	"strings"

	"pixelpals/internal/domain"
)

// react puts the reaction {kind} on a message (PUT) or takes it off
// (DELETE); both answer 200 with the message's reactions as the caller
// now sees them, and both are idempotent. A reaction is a tiny message:
// the send's checks that apply to it run first (sleep mode, the send
// budget: sending.Sender.CheckReaction), then the store's (a member, not
// frozen, a live message of this conversation: store.DB.React).
func (a *API) react(on bool) handler {
	return func(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
		convID, err := pathID(r, "id")
		if err != nil {
			return err
		}
		msgID, err := pathID(r, "message_id")
		if err != nil {
			return err
		}
		kind := r.PathValue("kind")
		if !domain.IsReactionKind(kind) {
			return domain.Invalid("kind", "must be one of %s", strings.Join(domain.ReactionKinds, ", "))
		}
		if err := a.sender.CheckReaction(r.Context(), actor, sendGateOf(r), convID); err != nil {
			return err
		}
		out, err := a.db.React(r.Context(), actor, convID, msgID, kind, on)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}
