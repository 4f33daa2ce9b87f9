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
	ChildID   *int64  `json:"child_id"` // a parent makes a group for their child
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
	if req.ChildID != nil {
		if _, err := checkID("child_id", *req.ChildID); err != nil {
			return err
		}
		if !*req.IsGroup {
			return domain.Invalid("child_id", "a parent makes only a group for their child; a direct chat their child starts")
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
	if req.ChildID != nil {
		return a.createConversationFor(w, r, actor, *req.ChildID, req.conversation())
	}
	c, created, err := a.db.CreateConversation(r.Context(), actor, req.conversation())
	if err != nil {
		return err
	}
	writeCreatedOrFound(w, created, c)
	return nil
}

// createConversationFor makes a group for a parent's own child, who owns
// it (store.CreateConversationFor).
func (a *API) createConversationFor(w http.ResponseWriter, r *http.Request, actor *domain.Actor, childID int64, nc store.NewConversation) error {
	if !actor.IsParent() {
		return &domain.Error{Code: domain.CodeForbidden, Field: "child_id", Message: "only a parent makes a group for their child"}
	}
	c, err := a.db.CreateConversationFor(r.Context(), actor, childID, nc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
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

type renameRequest struct {
	Title *string `json:"title"`
}

func (req *renameRequest) validate() (err error) {
	if req.Title == nil {
		return domain.Invalid("title", "give the group's new title")
	}
	*req.Title, err = cleanText("title", *req.Title, 1, 200, false)
	return err
}

// renameConversation gives a group a new title (its owner only).
func (a *API) renameConversation(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req renameRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	if err := a.checkLeakFields(r.Context(), actor, leakField{"title", req.Title}); err != nil {
		return err
	}
	c, err := a.db.RenameConversation(r.Context(), actor, id, *req.Title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
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
