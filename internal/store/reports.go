package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
	// SenderID keeps the reports about messages that account sent (the
	// earlier reports of a report's detail); 0 keeps all.
	SenderID int64
}

// QueueReport is a report in the admins' queue: the report with its
// message in full (deleted or not), who filed it and who sent the message
// (with their families), and how many reports about that sender came
// before this one.
type QueueReport struct {
	domain.Report
	Reporter *Person `json:"reporter"`
	Sender   *Person `json:"sender"`
	// SenderReports counts the earlier reports (smaller id) about
	// messages the same account sent, in any conversation.
	SenderReports int `json:"sender_earlier_reports"`
}

// queueSQL is the admins' queue, newest first. The earlier reports are
// counted per row: reports are few beside messages, and each is joined to
// its message by key.
var queueSQL = `
		SELECT ` + reportColumns + `, (
		           SELECT count(*) FROM reports r2 JOIN messages m2 ON m2.id = r2.message_id
		           WHERE m2.sender_id = m.sender_id AND r2.id < r.id),
		       ` + MessageColumns + `
		FROM reports r JOIN messages m ON m.id = r.message_id
		WHERE ($1 = '' OR r.status = $1) AND ($2 = 0 OR r.id < $2) AND ($4 = 0 OR m.sender_id = $4)
		ORDER BY r.id DESC
		LIMIT $3`

// ListReports is the admins' queue, newest first, with each reported
// message in full (deleted or not) and the people it concerns.
func (db *DB) ListReports(ctx context.Context, actor *domain.Actor, f ReportFilter) ([]QueueReport, error) {
	return listQueue(ctx, db.Pool, f)
}

func listQueue(ctx context.Context, q rowsQuerier, f ReportFilter) ([]QueueReport, error) {
	rows, err := q.Query(ctx, queueSQL, f.Status, f.AfterID, f.Limit, f.SenderID)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	reports, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (QueueReport, error) {
		var r QueueReport
		var m domain.Message
		err := row.Scan(append([]any{&r.ID, &r.MessageID, &r.ConversationID, &r.ReporterID, &r.Reason, &r.Status, &r.Resolution,
			&r.ResolvedAt, &r.CreatedAt, &r.SenderReports}, messageFields(&m)...)...)
		m.Deleted = m.DeletedAt != nil
		m.ClientID = nil
		r.Message = &m
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return reports, namePeople(ctx, q, reports)
}

// namePeople fills in each report's reporter and sender.
func namePeople(ctx context.Context, q rowsQuerier, reports []QueueReport) error {
	var ids []int64
	for _, r := range reports {
		if r.ReporterID != nil {
			ids = append(ids, *r.ReporterID)
		}
		ids = append(ids, r.Message.SenderID)
	}
	byID, err := people(ctx, q, ids)
	if err != nil {
		return err
	}
	for i, r := range reports {
		if r.ReporterID != nil {
			reports[i].Reporter = personIn(byID, *r.ReporterID)
		}
		reports[i].Sender = personIn(byID, r.Message.SenderID)
	}
	return nil
}

func personIn(byID map[int64]Person, id int64) *Person {
	if p, ok := byID[id]; ok {
		return &p
	}
	return nil
}

// ReportDetail is one report as a moderator weighs it: the queue's view,
// the reported message among the ones around it, and the earlier reports
// about its sender.
type ReportDetail struct {
	QueueReport
	// Context is up to contextSpan messages before the reported one, the
	// reported one, and up to contextSpan after it, oldest first, as an
	// admin reads the conversation (deleted ones with their content).
	Context []domain.Message `json:"context"`
	// People names every sender in Context, keyed by user id.
	People map[int64]Person `json:"people"`
	// EarlierReports are the last few reports before this one about
	// messages its sender sent, newest first (SenderReports counts all).
	EarlierReports []QueueReport `json:"earlier_reports"`
}

const (
	contextSpan    = 5 // messages each side of a reported one
	earlierReports = 5 // earlier reports about the sender in a detail
)

// contextSQL is the reported message $2 of conversation $1 with up to $3
// messages each side, in the history's order (created_at, id).
var contextSQL = `
		(SELECT ` + MessageColumns + ` FROM messages m, messages x
		 WHERE x.id = $2 AND m.conversation_id = $1 AND (m.created_at, m.id) < (x.created_at, x.id)
		 ORDER BY m.created_at DESC, m.id DESC LIMIT $3)
		UNION ALL
		(SELECT ` + MessageColumns + ` FROM messages m WHERE m.id = $2)
		UNION ALL
		(SELECT ` + MessageColumns + ` FROM messages m, messages x
		 WHERE x.id = $2 AND m.conversation_id = $1 AND (m.created_at, m.id) > (x.created_at, x.id)
		 ORDER BY m.created_at, m.id LIMIT $3)`

// ReportContext is report id for an admin: the conversation is read as
// accessTo allows an admin (visibility.go, AdminReadsSQL), in one snapshot.
func (db *DB) ReportContext(ctx context.Context, actor *domain.Actor, id int64) (ReportDetail, error) {
	var d ReportDetail
	err := db.transact(ctx, txSnapshot, func(tx pgx.Tx) error {
		rep, err := reportIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := accessTo(ctx, tx, actor, rep.ConversationID); err != nil {
			return err
		}
		d, err = reportDetail(ctx, tx, actor, rep)
		return err
	})
	return d, err
}

// reportDetail loads what ReportContext shows of rep.
func reportDetail(ctx context.Context, tx pgx.Tx, actor *domain.Actor, rep domain.Report) (ReportDetail, error) {
	var d ReportDetail
	one, err := listQueue(ctx, tx, ReportFilter{AfterID: rep.ID + 1, Limit: 1})
	if err != nil {
		return d, err
	}
	if len(one) == 0 || one[0].ID != rep.ID {
		return d, domain.Errorf(domain.CodeNotFound, "no such report")
	}
	d.QueueReport = one[0]
	if d.Context, err = reportContext(ctx, tx, actor, rep); err != nil {
		return d, err
	}
	senders := make([]int64, len(d.Context))
	for i, m := range d.Context {
		senders[i] = m.SenderID
	}
	if d.People, err = people(ctx, tx, senders); err != nil {
		return d, err
	}
	d.EarlierReports, err = listQueue(ctx, tx, ReportFilter{AfterID: rep.ID, SenderID: d.Message.SenderID, Limit: earlierReports})
	return d, err
}

// reportContext reads contextSQL for rep, oldest first.
func reportContext(ctx context.Context, tx pgx.Tx, actor *domain.Actor, rep domain.Report) ([]domain.Message, error) {
	rows, err := tx.Query(ctx, contextSQL, rep.ConversationID, rep.MessageID, contextSpan)
	if err != nil {
		return nil, fmt.Errorf("context of report %d: %w", rep.ID, err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Message, error) { return ScanMessage(row) })
	if err != nil {
		return nil, fmt.Errorf("context of report %d: %w", rep.ID, err)
	}
	slices.SortFunc(msgs, func(a, b domain.Message) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	for i := range msgs {
		msgs[i] = viewed(msgs[i], actor.UserID, true)
	}
	return msgs, nil
}

// Resolution is how an admin closes a report: Kind is a domain
// resolution (dismissed, message_deleted); SuspendSender also suspends
// the account that sent the message; Note, the moderator's own words, goes
// into the audit entries (never to the families).
type Resolution struct {
	Kind          string
	SuspendSender bool
	Note          string
}

// ResolveReport closes an open report, deleting the reported message and
// suspending its sender when the resolution says so. Audited, as are the
// deletion and the suspension, each with the note.
func (db *DB) ResolveReport(ctx context.Context, actor *domain.Actor, id int64, res Resolution) (domain.Report, error) {
	err := db.Transact(ctx, func(tx pgx.Tx) error {
		open, err := lockOpenReport(ctx, tx, id)
		if err != nil {
			return err
		}
		// The sender's account is locked before the message, as a send
		// locks its sender before writing to the conversation.
		if res.SuspendSender {
			if err := suspendSender(ctx, tx, actor, open, res.Note); err != nil {
				return err
			}
		}
		if res.Kind == domain.ResolutionMsgDeleted {
			if err := moderatorDelete(ctx, tx, actor, open.messageID); err != nil {
				return err
			}
		}
		if err := closeReport(ctx, tx, actor, open, res); err != nil {
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

// openReport is a report being resolved, locked.
type openReport struct {
	id, messageID, convID, senderID int64
	reporterChild                   *int64 // the reporter, when a child
}

// lockOpenReport locks report id, refusing one already resolved.
func lockOpenReport(ctx context.Context, tx pgx.Tx, id int64) (openReport, error) {
	o := openReport{id: id}
	var status string
	err := tx.QueryRow(ctx, `
		SELECT r.message_id, r.conversation_id, m.sender_id, r.status, CASE WHEN u.role = 'CHILD' THEN u.id END
		FROM reports r JOIN messages m ON m.id = r.message_id LEFT JOIN users u ON u.id = r.reporter_id
		WHERE r.id = $1 FOR UPDATE OF r`, id).Scan(&o.messageID, &o.convID, &o.senderID, &status, &o.reporterChild)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, domain.Errorf(domain.CodeNotFound, "no such report")
	}
	if err != nil {
		return o, fmt.Errorf("load report %d: %w", id, err)
	}
	if status != domain.ReportOpen {
		return o, domain.Errorf(domain.CodeConflict, "this report is already resolved")
	}
	return o, nil
}

// closeReport marks the report resolved and audits it.
func closeReport(ctx context.Context, tx pgx.Tx, actor *domain.Actor, o openReport, res Resolution) error {
	_, err := tx.Exec(ctx, `
		UPDATE reports SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = CURRENT_TIMESTAMP
		WHERE id = $1`, o.id, res.Kind, actor.UserID)
	if err != nil {
		return fmt.Errorf("resolve report %d: %w", o.id, err)
	}
	after := map[string]any{"report_id": o.id, "message_id": o.messageID, "conversation_id": o.convID,
		"status": domain.ReportResolved, "resolution": res.Kind}
	if o.reporterChild != nil {
		after["child_id"] = *o.reporterChild
	}
	if res.SuspendSender {
		after["sender_id"] = o.senderID
		after["sender_suspended"] = true
	}
	if res.Note != "" {
		after["note"] = res.Note
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: audit.ReportResolve, EntityType: "report", EntityID: o.id,
		Before: map[string]any{"status": domain.ReportOpen}, After: after})
}

// suspendSender suspends the reported message's sender (an account
// already suspended stays so, without a second entry).
func suspendSender(ctx context.Context, tx pgx.Tx, actor *domain.Actor, o openReport, note string) error {
	u, err := lockUser(ctx, tx, o.senderID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Errorf(domain.CodeConflict, "the sender's account was deleted: there is nobody to suspend")
	}
	if err != nil || u.Suspended {
		return err
	}
	_, err = suspendLocked(ctx, tx, actor, u, moderation{Note: note, ReportID: o.id})
	return err
}

// moderatorDelete soft-deletes a reported message on an admin's word.
func moderatorDelete(ctx context.Context, tx pgx.Tx, actor *domain.Actor, messageID int64) error {
	m, err := lockMessage(ctx, tx, messageID, actor.UserID)
	if err != nil {
		return err
	}
	return softDelete(ctx, tx, actor, m)
}
