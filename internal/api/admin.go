package api

import (
	"net/http"
	"strconv"
	"time"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	pg, err := parsePage(r, 1)
	if err != nil {
		return err
	}
	f := store.UserFilter{Limit: pg.Limit + 1}
	if f.AfterID, err = pg.afterID(); err != nil {
		return err
	}
	q := r.URL.Query()
	if v := q.Get("role"); v != "" {
		if f.Role = domain.Role(v); !f.Role.Valid() {
			return domain.Invalid("role", "must be ADMIN, PARENT or CHILD")
		}
	}
	if v := q.Get("approved"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return domain.Invalid("approved", "must be true or false")
		}
		f.Approved = &b
	}
	if f.Query, err = cleanText("q", q.Get("q"), 0, 100, false); err != nil {
		return err
	}
	users, err := a.db.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(users, pg.Limit, func(u store.UserSummary) []string { return idKey(u.ID) }))
	return nil
}

type userResponse struct {
	User domain.User `json:"user"`
}

// adminUserAction adapts a store action on user {id} to a handler that
// answers with the changed user.
func (a *API) adminUserAction(w http.ResponseWriter, r *http.Request, actor *domain.Actor,
	act func(*domain.Actor, int64) (domain.User, error)) error {
	return one(w, r, "id", func(id int64) (userResponse, error) {
		u, err := act(actor, id)
		return userResponse{u}, err
	})
}

func (a *API) approveUser(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.adminUserAction(w, r, actor, func(ac *domain.Actor, id int64) (domain.User, error) {
		return a.db.ApproveParent(r.Context(), ac, id)
	})
}

// noteRequest is an optional body with a moderator's note for the audit
// log.
type noteRequest struct {
	Note string `json:"note"`
}

func (req *noteRequest) validate() error {
	var err error
	req.Note, err = cleanText("note", req.Note, 0, noteMax, true)
	return err
}

func (a *API) suspendUser(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req noteRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	return a.adminUserAction(w, r, actor, func(ac *domain.Actor, id int64) (domain.User, error) {
		return a.db.SuspendUser(r.Context(), ac, id, req.Note)
	})
}

func (a *API) reinstateUser(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.adminUserAction(w, r, actor, func(ac *domain.Actor, id int64) (domain.User, error) {
		return a.db.ReinstateUser(r.Context(), ac, id)
	})
}

func (a *API) rejectUser(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.RejectParent(r.Context(), ac, id) })
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return a.command(w, r, actor, func(ac *domain.Actor, id int64) error { return a.db.DeleteUser(r.Context(), ac, id) })
}

func (a *API) listAuditLogs(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	pg, err := parsePage(r, 1)
	if err != nil {
		return err
	}
	f := audit.Filter{Limit: pg.Limit + 1}
	if f.AfterID, err = pg.afterID(); err != nil {
		return err
	}
	q := r.URL.Query()
	if f.ActorID, err = queryID(r, "actor_id"); err != nil {
		return err
	}
	if f.EntityID, err = queryID(r, "entity_id"); err != nil {
		return err
	}
	if f.Action, err = cleanText("action", q.Get("action"), 0, 100, false); err != nil {
		return err
	}
	if f.EntityType, err = cleanText("entity_type", q.Get("entity_type"), 0, 50, false); err != nil {
		return err
	}
	if f.Since, err = queryTime(r, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(r, "until"); err != nil {
		return err
	}
	logs, err := audit.List(r.Context(), a.db.Pool, f)
	if err != nil {
		return err
	}
	p := pageOf(logs, pg.Limit, func(l audit.Record) []string { return idKey(l.ID) })
	names, err := a.auditNames(r, p.Items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auditPage{p, names})
	return nil
}

// auditPage is a page of the audit log with the display names of the
// accounts its entries name (audit.UserIDs), keyed by id, so that a reader
// sees who did what to whom; a deleted account has no name and is left
// out.
type auditPage struct {
	list[audit.Record]
	Names map[int64]string `json:"names"`
}

func (a *API) auditNames(r *http.Request, logs []audit.Record) (map[int64]string, error) {
	byID, err := a.db.People(r.Context(), audit.UserIDs(logs))
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for id, p := range byID {
		if p.DisplayName != "" {
			names[id] = p.DisplayName
		}
	}
	return names, nil
}

// queryTime reads an optional RFC 3339 time from the query string.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, domain.Invalid(name, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
	}
	return t.UTC(), nil
}
