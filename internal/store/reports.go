package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/audit"
	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

const reportColumns = `r.id, r.message_id, r.conversation_id, r.reporter_id, r.reason, r.status, r.resolution,
	r.resolved_at, r.created_at`

func scanReport(row pgx.CollectableRow) (domain.Report, error) {
	var r domain.Report
	err := row.Scan(&r.ID, &r.MessageID, &r.ConversationID, &r.ReporterID, &r.Reason, &r.Status, &r.Resolution, &r.ResolvedAt, &r.CreatedAt)
	return r, err
}

// ReportMessage files a report of a message by a member of its
// conversation or a parent of a member. Admins see it in their queue; the
// reporter and the reporting child's parent see it in ListMyReports.
func (db *DB) ReportMessage(ctx context.Context, actor *domain.Actor, messageID int64, reason string) (domain.Report, error) {
	var id int64
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var convID int64
		err := tx.QueryRow(ctx, `SELECT conversation_id FROM messages WHERE id = $1`, messageID).Scan(&convID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.CodeNotFound, "no such message")
		}
		if err != nil {
			return fmt.Errorf("load message %d: %w", messageID, err)
		}
		if _, err := accessTo(ctx, tx, actor, convID); err != nil {
			return messageNotSeen(err)
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO reports (message_id, conversation_id, reporter_id, reason) VALUES ($1, $2, $3, $4)
			ON CONFLICT (message_id, reporter_id) DO NOTHING
			RETURNING id`, messageID, convID, actor.UserID, reason).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.CodeConflict, "you have already reported this message")
		}
		if err != nil {
			return fmt.Errorf("insert report: %w", err)
		}
		after := map[string]any{"report_id": id, "message_id": messageID, "conversation_id": convID}
		child, err := reportingChild(ctx, tx, actor, convID)
		if err != nil {
			return err
		}
		if child != 0 {
			after["child_id"] = child
		}
		// The reason is the reporter's own words: kept out of the log.
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ReportCreate, EntityType: "report", EntityID: id, After: after}); err != nil {
			return err
		}
		if err := notifyReport(ctx, tx, actor, id, false); err != nil {
			return err
		}
		return reportFiledEvent(ctx, tx, id)
	})
	if err != nil {
		return domain.Report{}, err
	}
	r, _, err := reportSeenBy(ctx, db.Pool, actor.UserID, id)
	return r, err
}

// reportingChild is the child a report is about, for the audit's child_id:
// the reporter when a child, else the reporting parent's child in the
// conversation (0 if none).
func reportingChild(ctx context.Context, tx pgx.Tx, actor *domain.Actor, convID int64) (int64, error) {
	if actor.IsChild() {
		return actor.UserID, nil
	}
	var child int64
	err := tx.QueryRow(ctx, `
		SELECT coalesce(min(k.id), 0) FROM conversation_members m JOIN users k ON k.id = m.user_id
		WHERE m.conversation_id = $1 AND `+ChildOfSQL("k", "$2"), convID, actor.UserID).Scan(&child)
	if err != nil {
		return 0, fmt.Errorf("reporting child: %w", err)
	}
	return child, nil
}

// reportIn loads one report, without its message.
func reportIn(ctx context.Context, q rowsQuerier, id int64) (domain.Report, error) {
	rows, err := q.Query(ctx, `SELECT `+reportColumns+` FROM reports r WHERE r.id = $1`, id)
	if err != nil {
		return domain.Report{}, fmt.Errorf("load report %d: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReport)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.Errorf(domain.CodeNotFound, "no such report")
	}
	if err != nil {
		return r, fmt.Errorf("load report %d: %w", id, err)
	}
	return r, nil
}

// ListMyReports returns the reports the actor's family has to do with,
// newest first (reportViewSQL): a child's own; for a parent their own,
// their children's and those about their children's messages, or only
// those concerning child childID.
func (db *DB) ListMyReports(ctx context.Context, actor *domain.Actor, childID, afterID int64, limit int) ([]domain.Report, error) {
	if _, err := db.childrenInView(ctx, actor, childID); err != nil {
		return nil, err
	}
	if actor.IsChild() {
		childID = 0 // their own: a child's reports concern no child of theirs
	}
	return reportsSeenBy(ctx, db.Pool, actor.UserID, reportScope{childID: childID, afterID: afterID, limit: limit})
}

// reportScope narrows reportViewSQL: zero values leave a filter out.
type reportScope struct {
	childID, reportID, afterID int64
	since, until               *time.Time
	limit                      int
}

// reportViewSQL is the one view of reports for families: the reports
// $1 filed, their children filed, or that are about a message one of their
// children sent, each with how it concerns $1 (relation) and which child
// (child_id). A report about their child by someone else shows neither
// the reporter nor the reason: those are the reporter's. Deleted accounts
// no longer count as anyone's children. GET /reports, the activity
// dashboard and the report.* events all read it, so the three cannot
// disagree. It scans reports (joined to their messages by key), as the
// admins' queue does: reports are few beside messages.
var reportViewSQL = `
		SELECT r.id, r.message_id, r.conversation_id,
		       CASE WHEN v.relation = 'about_child' THEN NULL ELSE r.reporter_id END,
		       CASE WHEN v.relation = 'about_child' THEN NULL ELSE r.reason END,
		       r.status, r.resolution, r.resolved_at, r.created_at, v.relation, v.child_id
		FROM reports r
		JOIN messages m ON m.id = r.message_id
		LEFT JOIN users rep ON rep.id = r.reporter_id AND rep.deleted_at IS NULL
		LEFT JOIN users snd ON snd.id = m.sender_id AND snd.deleted_at IS NULL
		CROSS JOIN LATERAL (SELECT
		    CASE WHEN r.reporter_id = $1 THEN 'filed_by_you'
		         WHEN ` + GuardianSQL("rep", "$1") + ` THEN 'filed_by_child'
		         WHEN ` + GuardianSQL("snd", "$1") + ` THEN 'about_child' END AS relation,
		    CASE WHEN r.reporter_id = $1 THEN (
		             SELECT min(k.id) FROM conversation_members cm JOIN users k ON k.id = cm.user_id
		             WHERE cm.conversation_id = r.conversation_id AND ` + ChildOfSQL("k", "$1") + `)
		         WHEN ` + GuardianSQL("rep", "$1") + ` THEN rep.id
		         ELSE snd.id END AS child_id) v
		WHERE (r.reporter_id = $1 OR ` + GuardianSQL("rep", "$1") + ` OR ` + GuardianSQL("snd", "$1") + `)
		  AND ($2 = 0 OR v.child_id = $2) AND ($3 = 0 OR r.id = $3) AND ($4 = 0 OR r.id < $4)
		  AND ($5::timestamp IS NULL OR r.created_at >= $5) AND ($6::timestamp IS NULL OR r.created_at < $6)
		ORDER BY r.id DESC
		LIMIT $7`

// reportsSeenBy reads reportViewSQL for viewer.
func reportsSeenBy(ctx context.Context, q rowsQuerier, viewer int64, s reportScope) ([]domain.Report, error) {
	rows, err := q.Query(ctx, reportViewSQL, viewer, s.childID, s.reportID, s.afterID, s.since, s.until, s.limit)
	if err != nil {
		return nil, fmt.Errorf("reports of %d: %w", viewer, err)
	}
	reports, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Report, error) {
		var r domain.Report
		err := row.Scan(&r.ID, &r.MessageID, &r.ConversationID, &r.ReporterID, &r.Reason, &r.Status, &r.Resolution,
			&r.ResolvedAt, &r.CreatedAt, &r.Relation, &r.ChildID)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("reports of %d: %w", viewer, err)
	}
	return reports, nil
}

// reportSeenBy is report id as viewer's GET /reports shows it, or false
// when it does not list it.
func reportSeenBy(ctx context.Context, q rowsQuerier, viewer, id int64) (domain.Report, bool, error) {
	reports, err := reportsSeenBy(ctx, q, viewer, reportScope{reportID: id, limit: 1})
	if err != nil || len(reports) == 0 {
		return domain.Report{}, false, err
	}
	return reports[0], true, nil
}

// ReportFilter narrows the admins' report queue.
type ReportFilter struct {
	Status  string // "open", "resolved" or "" for both
	AfterID int64
	Limit   int
}

// ListReports is the admins' queue, newest first, with each reported
// message in full (deleted or not).
func (db *DB) ListReports(ctx context.Context, actor *domain.Actor, f ReportFilter) ([]domain.Report, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT `+reportColumns+`, `+MessageColumns+`
		FROM reports r JOIN messages m ON m.id = r.message_id
		WHERE ($1 = '' OR r.status = $1) AND ($2 = 0 OR r.id < $2)
		ORDER BY r.id DESC
		LIMIT $3`, f.Status, f.AfterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Report, error) {
		var r domain.Report
		var m domain.Message
		err := row.Scan(append([]any{&r.ID, &r.MessageID, &r.ConversationID, &r.ReporterID, &r.Reason, &r.Status, &r.Resolution, &r.ResolvedAt, &r.CreatedAt},
			messageFields(&m)...)...)
		m.Deleted = m.DeletedAt != nil
		m.ClientID = nil
		r.Message = &m
		return r, err
	})
}

// ResolveReport closes an open report, deleting the reported message when
// the resolution says so. Audited, as is the deletion.
func (db *DB) ResolveReport(ctx context.Context, actor *domain.Actor, id int64, resolution string) (domain.Report, error) {
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		var messageID, convID int64
		var reporterID *int64
		var status string
		var reporterIsChild bool
		err := tx.QueryRow(ctx, `
			SELECT r.message_id, r.conversation_id, r.reporter_id, r.status, coalesce(u.role = 'CHILD', false)
			FROM reports r LEFT JOIN users u ON u.id = r.reporter_id
			WHERE r.id = $1 FOR UPDATE OF r`, id).Scan(&messageID, &convID, &reporterID, &status, &reporterIsChild)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.CodeNotFound, "no such report")
		}
		if err != nil {
			return fmt.Errorf("load report %d: %w", id, err)
		}
		if status != domain.ReportOpen {
			return domain.Errorf(domain.CodeConflict, "this report is already resolved")
		}
		if resolution == domain.ResolutionMsgDeleted {
			if err := moderatorDelete(ctx, tx, actor, messageID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `
			UPDATE reports SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = CURRENT_TIMESTAMP
			WHERE id = $1`, id, resolution, actor.UserID)
		if err != nil {
			return fmt.Errorf("resolve report %d: %w", id, err)
		}
		after := map[string]any{"report_id": id, "message_id": messageID, "conversation_id": convID,
			"status": domain.ReportResolved, "resolution": resolution}
		if reporterIsChild {
			after["child_id"] = *reporterID
		}
		err = audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ReportResolve, EntityType: "report", EntityID: id,
			Before: map[string]any{"status": status}, After: after})
		if err != nil {
			return err
		}
		if err := notifyReport(ctx, tx, actor, id, true); err != nil {
			return err
		}
		return familyReportEvents(ctx, tx, eventlog.ReportResolved, id)
	})
	if err != nil {
		return domain.Report{}, err
	}
	return reportIn(ctx, db.Pool, id)
}

// moderatorDelete soft-deletes a reported message on an admin's word.
func moderatorDelete(ctx context.Context, tx pgx.Tx, actor *domain.Actor, messageID int64) error {
	m, err := lockMessage(ctx, tx, messageID, actor.UserID)
	if err != nil {
		return err
	}
	return softDelete(ctx, tx, actor, m)
}
