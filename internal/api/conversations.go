package api

import (
	"net/http"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

type createConversationRequest struct {
	MemberIDs []int64 `json:"member_ids"`
	IsGroup   *bool   `json:"is_group"`
	Title     *string `json:"title"`
}

func (req *createConversationRequest) validate() (err error) {
	if req.IsGroup == nil {
		return domain.Invalid("is_group", "must be true (a group) or false (a direct conversation)")
	}
	if len(req.MemberIDs) == 0 {
		return domain.Invalid("member_ids", "must list the other members")
	}
	if len(req.MemberIDs) > store.MaxGroupMembers {
		return domain.Invalid("member_ids", "must list at most %d members", store.MaxGroupMembers)
	}
	for _, id := range req.MemberIDs {
		if _, err := checkID("member_ids", id); err != nil {
			return err
		}
	}
	switch {
	case *req.IsGroup && req.Title == nil:
		return domain.Invalid("title", "a group needs a title")
	case *req.IsGroup:
		*req.Title, err = cleanText("title", *req.Title, 1, 200, false)
		return err
	case req.Title != nil:
		return domain.Invalid("title", "a direct conversation has no title")
	}
	return nil
}

// conversation is the validated request as the store takes it.
func (req *createConversationRequest) conversation() store.NewConversation {
	nc := store.NewConversation{MemberIDs: req.MemberIDs, IsGroup: *req.IsGroup}
	if req.Title != nil {
		nc.Title = *req.Title
	}
	return nc
}

// createConversation creates a direct conversation (201), or returns the
// existing one of the same two members (200), or creates a group (201).
func (a *API) createConversation(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req createConversationRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	if err := a.checkLeakFields(r.Context(), actor, leakField{"title", req.Title}); err != nil {
		return err
	}
	c, created, err := a.db.CreateConversation(r.Context(), actor, req.conversation())
	if err != nil {
		return err
	}
	writeCreatedOrFound(w, created, c)
	return nil
}

func (a *API) listConversations(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return listByChild(w, r, func(c domain.Conversation) int64 { return c.ID },
		func(childID, after int64, limit int) ([]domain.Conversation, error) {
			return a.db.ListConversations(r.Context(), actor, childID, after, limit)
		})
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (domain.Conversation, error) { return a.db.Conversation(r.Context(), actor, id) })
}

type addMemberRequest struct {
	UserID *int64 `json:"user_id"`
}

func (req *addMemberRequest) validate() error {
	if req.UserID == nil {
		return domain.Invalid("user_id", "name the user to add")
	}
	_, err := checkID("user_id", *req.UserID)
	return err
}

func (a *API) addMember(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req addMemberRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	c, err := a.db.AddMember(r.Context(), actor, id, *req.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	userID, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	if err := a.db.RemoveMember(r.Context(), actor, id, userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// hideConversation takes a chat nobody else is left in out of the
// caller's own list (store.HideConversation).
func (a *API) hideConversation(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.db.HideConversation(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type markReadRequest struct {
	MessageID *int64 `json:"message_id"`
}

func (req *markReadRequest) validate() error {
	if req.MessageID == nil {
		return domain.Invalid("message_id", "name the last message read")
	}
	_, err := checkID("message_id", *req.MessageID)
	return err
}

// markRead moves the caller's own read marker forward
// (store.MarkRead) and returns their read state.
func (a *API) markRead(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req markReadRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	st, err := a.db.MarkRead(r.Context(), actor, id, *req.MessageID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
