package api

import (
	"net/http"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// listMyReports shows a child the reports they filed, and a parent theirs
// and their children's (?child_id= for one child): how the reporting
// child's parent is told.
func (a *API) listMyReports(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return listByChild(w, r, func(rep domain.Report) int64 { return rep.ID },
		func(childID, after int64, limit int) ([]domain.Report, error) {
			return a.db.ListMyReports(r.Context(), actor, childID, after, limit)
		})
}

func (a *API) listReports(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	pg, err := parsePage(r, 1)
	if err != nil {
		return err
	}
	f := store.ReportFilter{Limit: pg.Limit + 1}
	if f.AfterID, err = pg.afterID(); err != nil {
		return err
	}
	switch f.Status = r.URL.Query().Get("status"); f.Status {
	case "", domain.ReportOpen, domain.ReportResolved:
	default:
		return domain.Invalid("status", "must be open or resolved")
	}
	reports, err := a.db.ListReports(r.Context(), actor, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(reports, pg.Limit, func(rep store.QueueReport) []string { return idKey(rep.ID) }))
	return nil
}

// reportDetail is one report with the messages around it and the
// earlier reports about its sender, for the moderator weighing it.
func (a *API) reportDetail(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (store.ReportDetail, error) { return a.db.ReportContext(r.Context(), actor, id) })
}

// noteMax bounds a moderator's note, in characters.
const noteMax = 500

type resolveRequest struct {
	Resolution    string `json:"resolution"`
	Note          string `json:"note"`
	SuspendSender bool   `json:"suspend_sender"`
}

func (req *resolveRequest) validate() error {
	if req.Resolution == "" {
		// SPEC §11 lists no body for resolve: resolving without saying
		// how dismisses the report.
		req.Resolution = domain.ResolutionDismissed
	}
	switch req.Resolution {
	case domain.ResolutionDismissed, domain.ResolutionMsgDeleted:
	default:
		return domain.Invalid("resolution", "must be dismissed or message_deleted")
	}
	var err error
	req.Note, err = cleanText("note", req.Note, 0, noteMax, true)
	return err
}

func (a *API) resolveReport(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req resolveRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	rep, err := a.db.ResolveReport(r.Context(), actor, id,
		store.Resolution{Kind: req.Resolution, Note: req.Note, SuspendSender: req.SuspendSender})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
