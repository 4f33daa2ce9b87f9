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

func (req createConversationRequest) check() (store.NewConversation, error) {
	var nc store.NewConversation
	if req.IsGroup == nil {
		return nc, domain.Invalid("is_group", "must be true (a group) or false (a direct conversation)")
	}
	nc.IsGroup = *req.IsGroup
	if len(req.MemberIDs) == 0 {
		return nc, domain.Invalid("member_ids", "must list the other members")
	}
	if len(req.MemberIDs) > store.MaxGroupMembers {
		return nc, domain.Invalid("member_ids", "must list at most %d members", store.MaxGroupMembers)
	}
	for _, id := range req.MemberIDs {
		if _, err := checkID("member_ids", id); err != nil {
			return nc, err
		}
	}
	nc.MemberIDs = req.MemberIDs
	switch {
	case nc.IsGroup && req.Title == nil:
		return nc, domain.Invalid("title", "a group needs a title")
	case nc.IsGroup:
		title, err := cleanText("title", *req.Title, 1, 200, false)
		if err != nil {
			return nc, err
		}
		nc.Title = title
	case req.Title != nil:
		return nc, domain.Invalid("title", "a direct conversation has no title")
	}
	return nc, nil
}

// createConversation creates a direct conversation (201), or returns the
// existing one of the same two members (200), or creates a group (201).
func (a *API) createConversation(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req createConversationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	nc, err := req.check()
	if err != nil {
		return err
	}
	c, created, err := a.db.CreateConversation(r.Context(), actor, nc)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}

func (a *API) listConversations(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	pg, err := parsePage(r, 1)
	if err != nil {
		return err
	}
	after, err := pg.afterID()
	if err != nil {
		return err
	}
	childID, err := queryID(r, "child_id")
	if err != nil {
		return err
	}
	convs, err := a.db.ListConversations(r.Context(), actor, childID, after, pg.Limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(convs, pg.Limit, func(c domain.Conversation) []string { return idKey(c.ID) }))
	return nil
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.db.Conversation(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type addMemberRequest struct {
	UserID *int64 `json:"user_id"`
}

func (a *API) addMember(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req addMemberRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.UserID == nil {
		return domain.Invalid("user_id", "name the user to add")
	}
	userID, err := checkID("user_id", *req.UserID)
	if err != nil {
		return err
	}
	c, err := a.db.AddMember(r.Context(), actor, id, userID)
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
