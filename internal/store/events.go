package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
	"pixelpals/internal/eventlog"
)

// The live events of each action (SPEC §12), built in the action's
// transaction: who receives each one, and what each recipient sees, is
// decided here by the rules of visibility.go and the same views as the
// REST reads. They are written to the outbox by eventlog.Append.

// messageEvents writes message.created or message.deleted for messages
// written in tx: every member and every parent of a member gets each
// message as History shows it to them (a tombstone for members once
// deleted, the client id to its sender only). The send pipeline
// (internal/sending) writes its batch's events in its own round trip, from
// the same messageEventsFor (MessageCreatedEvents).
func messageEvents(ctx context.Context, tx pgx.Tx, typ eventlog.Type, msgs ...domain.Message) error {
	convIDs := make([]int64, len(msgs))
	for i, m := range msgs {
		convIDs[i] = m.ConversationID
	}
	rows, err := tx.Query(ctx, convAudiencesSQL, Distinct(convIDs))
	if err != nil {
		return fmt.Errorf("audiences of %d messages: %w", len(msgs), err)
	}
	audiences, err := collectAudiences(rows)
	if err != nil {
		return err
	}
	evs, err := messageEventsFor(typ, audiences, msgs)
	if err != nil {
		return err
	}
	return eventlog.Append(ctx, tx, evs)
}

// messageEventsFor builds messageEvents' events from the audiences of the
// messages' conversations (convAudiencesSQL, read in the transaction).
func messageEventsFor(typ eventlog.Type, audiences map[int64][]viewer, msgs []domain.Message) ([]eventlog.Event, error) {
	var evs []eventlog.Event
	for _, m := range msgs {
		vs := audiences[m.ConversationID]
		e, err := eventlog.FanOut(typ, []int64{m.SenderID}, viewerIDs(vs), func(id int64) any {
			v, _ := viewerOf(vs, id)
			return viewed(m, id, v.parentOfMember)
		})
		if err != nil {
			return nil, err
		}
		evs = append(evs, e...)
	}
	return evs, nil
}

// Distinct returns the ids sorted, without repeats.
func Distinct(ids []int64) []int64 {
	s := slices.Clone(ids)
	slices.Sort(s)
	return slices.Compact(s)
}

// tombstoneCreatedEvents rewrites the stored message.created events of a
// message just deleted in tx to its tombstone, so a replay from a cursor
// before the send shows members what History shows them, not the text.
// Each row is shared by members and parents (the payload was the same
// before the deletion), so all are rewritten; parents keep the content
// through the message.deleted event written with it.
func tombstoneCreatedEvents(ctx context.Context, tx pgx.Tx, m domain.Message) error {
	patch, err := json.Marshal(map[string]any{"content": nil, "media_id": nil, "media_url": nil,
		"media_thumb_url": nil, "media_width": nil, "media_height": nil, "deleted": true, "deleted_at": m.DeletedAt})
	if err != nil {
		return fmt.Errorf("encode tombstone of message %d: %w", m.ID, err)
	}
	// The type and data->>'id' match idx_live_events_message (00011).
	_, err = tx.Exec(ctx, `
		UPDATE live_events SET data = data || $2::jsonb
		WHERE type = `+eventlog.MessageCreated.Literal()+` AND data->>'id' = $1::text`,
		strconv.FormatInt(m.ID, 10), patch)
	if err != nil {
		return fmt.Errorf("tombstone events of message %d: %w", m.ID, err)
	}
	return nil
}

// messageByID loads a message in tx, unshaped.
func messageByID(ctx context.Context, tx pgx.Tx, id int64) (domain.Message, error) {
	m, err := ScanMessage(tx.QueryRow(ctx, `SELECT `+MessageColumns+` FROM messages m WHERE m.id = $1`, id))
	if err != nil {
		return m, fmt.Errorf("load message %d: %w", id, err)
	}
	return m, nil
}

// memberChange is the data of conversation.member_added and
// conversation.member_removed. Conversation is left out for a recipient
// who may no longer read it (the removed member, a parent whose child
// left).
type memberChange struct {
	ConversationID int64                `json:"conversation_id"`
	UserID         int64                `json:"user_id"`
	Conversation   *domain.Conversation `json:"conversation,omitempty"`
}

// conversationEvent writes an event about a conversation changed in tx to
// before (who could read it before the change; nil when the change adds
// nobody's access away) and to everyone who may read it now. Each gets the
// conversation as GET /conversations/{id} shows them, or, with userID set,
// a memberChange about that user.
func conversationEvent(ctx context.Context, tx pgx.Tx, typ eventlog.Type, convID int64, before []viewer, userID int64) error {
	now, err := convAudience(ctx, tx, convID)
	if err != nil {
		return err
	}
	convs, err := conversationsFor(ctx, tx, 0, []int64{convID})
	if err != nil {
		return err
	}
	if len(convs) == 0 {
		return fmt.Errorf("conversation %d vanished in its own transaction", convID)
	}
	recipients := viewerIDs(now)
	for _, v := range before {
		if !slices.Contains(recipients, v.id) {
			recipients = append(recipients, v.id)
		}
	}
	var about []int64
	for _, m := range convs[0].Members {
		about = append(about, m.UserID)
	}
	guardians, err := guardiansOf(ctx, tx, about)
	if err != nil {
		return err
	}
	evs, err := eventlog.FanOut(typ, about, recipients, func(id int64) any {
		v, canRead := viewerOf(now, id)
		var c *domain.Conversation
		if canRead {
			cc := convs[0]
			cc.ReadOnly = !v.member
			// child_ids as this reader's REST shows it: their own
			// children among the members.
			cc.ChildIDs = []int64{}
			for _, m := range cc.Members {
				if slices.Contains(guardians[m.UserID], id) {
					cc.ChildIDs = append(cc.ChildIDs, m.UserID)
				}
			}
			c = &cc
		}
		if userID != 0 {
			return memberChange{ConversationID: convID, UserID: userID, Conversation: c}
		}
		return c
	})
	if err != nil {
		return err
	}
	return eventlog.Append(ctx, tx, evs)
}

// contactFamilies are both children of a link and all their guardians.
func contactFamilies(c contactRow) []int64 {
	ids := []int64{c.a, c.b}
	for _, p := range slices.Concat(c.guardiansA, c.guardiansB) {
		if !slices.Contains(ids, p) {
			ids = append(ids, p)
		}
	}
	return ids
}

// contactEvent writes contact.requested or contact.approved: both
// families get the link as GET /contacts shows it.
func contactEvent(ctx context.Context, tx pgx.Tx, typ eventlog.Type, c contactRow) error {
	contact, err := contactIn(ctx, tx, c.id)
	if err != nil {
		return err
	}
	return eventlog.Append(ctx, tx, []eventlog.Event{{Type: typ, To: contactFamilies(c), Data: contact, About: []int64{c.a, c.b}}})
}

// contactGone is the data of contact.revoked: the link no longer exists,
// so only which link it was.
type contactGone struct {
	ID       int64   `json:"id"`
	ChildIDs []int64 `json:"child_ids"`
}

func contactRevokedEvent(ctx context.Context, tx pgx.Tx, c contactRow) error {
	return eventlog.Append(ctx, tx, []eventlog.Event{{Type: eventlog.ContactRevoked, To: contactFamilies(c),
		Data: contactGone{ID: c.id, ChildIDs: []int64{c.a, c.b}}}})
}

// reportFiledEvent tells the admins (with the message in full, as their
// queue shows it) and the families (familyReportEvents) of a new report.
func reportFiledEvent(ctx context.Context, tx pgx.Tx, reportID int64) error {
	r, err := reportIn(ctx, tx, reportID)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id FROM users WHERE role = 'ADMIN' AND deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("admins: %w", err)
	}
	admins, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("admins: %w", err)
	}
	// Admins get the report as their queue shows it (listQueue): the
	// message in full, the people named.
	queued, err := listQueue(ctx, tx, ReportFilter{AfterID: reportID + 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(queued) == 0 || queued[0].ID != reportID {
		return fmt.Errorf("report %d not in the queue", reportID)
	}
	full := queued[0]
	evs := []eventlog.Event{{Type: eventlog.ReportFiled, To: admins, Data: full, About: reportSubjects(r, *full.Message)}}
	if err := eventlog.Append(ctx, tx, evs); err != nil {
		return err
	}
	return familyReportEvents(ctx, tx, eventlog.ReportFiled, reportID)
}

// reportSubjects are the users whose data a report's events hold: the
// sender (the message, for admins) and the reporter (their reason).
func reportSubjects(r domain.Report, m domain.Message) []int64 {
	about := []int64{m.SenderID}
	if r.ReporterID != nil {
		about = append(about, *r.ReporterID)
	}
	return about
}

// familyReportEvents writes typ about report id to each family account
// whose GET /reports lists it (the reporter, the reporting child's parent,
// the reported child's parent), each with the report as that list shows
// it: the same query decides who hears and what they see.
func familyReportEvents(ctx context.Context, tx pgx.Tx, typ eventlog.Type, id int64) error {
	var reporter *int64
	var sender int64
	err := tx.QueryRow(ctx, `
		SELECT r.reporter_id, m.sender_id
		FROM reports r JOIN messages m ON m.id = r.message_id
		WHERE r.id = $1`, id).Scan(&reporter, &sender)
	if err != nil {
		return fmt.Errorf("audience of report %d: %w", id, err)
	}
	about := []int64{sender}
	if reporter != nil {
		about = append(about, *reporter)
	}
	guardians, err := guardiansOf(ctx, tx, about)
	if err != nil {
		return err
	}
	// The reporter, the reporting child's guardians, the reported child's.
	audience := []*int64{reporter}
	var reporterGuardians []int64
	if reporter != nil {
		reporterGuardians = guardians[*reporter]
	}
	for _, g := range slices.Concat(reporterGuardians, guardians[sender]) {
		audience = append(audience, &g)
	}
	var evs []eventlog.Event
	for _, v := range audience {
		if v == nil || slices.ContainsFunc(evs, func(e eventlog.Event) bool { return e.To[0] == *v }) {
			continue
		}
		view, ok, err := reportSeenBy(ctx, tx, *v, id)
		if err != nil {
			return err
		}
		if ok {
			evs = append(evs, eventlog.Event{Type: typ, To: []int64{*v}, Data: view, About: about})
		}
	}
	return eventlog.Append(ctx, tx, evs)
}
