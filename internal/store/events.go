package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/domain"
)

// Live events (SPEC §12) are written here, in the transaction of the action
// they report, into the live_events outbox (migration 00005; docs/live.md).
// Who receives an event, and what each recipient sees, is decided at write
// time by the same rules and the same views as the REST reads: an event is
// one row per audience, the recipients who see the same payload.

// Channels the outbox and the sessions table announce on (migration 00005).
const (
	EventsChannel        = "pixelpals_events"
	SessionsEndedChannel = "pixelpals_sessions"
)

// Event is one audience of an event to write: its recipients and the
// payload they all see.
type Event struct {
	Type EventType
	To   []int64
	Data any
	// About are the users whose personal data Data holds (names, text):
	// their account's deletion deletes the event.
	About []int64
}

// AppendEvents writes events in tx, in order, in one statement. The
// outbox's trigger announces them; PostgreSQL delivers that NOTIFY at
// commit, so nobody hears of an event whose action rolled back.
func AppendEvents(ctx context.Context, tx pgx.Tx, evs []Event) error {
	cols, err := encodeEvents(evs)
	if err != nil || cols.empty() {
		return err
	}
	if _, err = tx.Exec(ctx, appendEventsSQL, cols.args()...); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}

// appendEventsSQL writes the events encodeEvents encoded, one array per
// column, row n of each the n-th event: every send writes its events
// with it, and arrays cost PostgreSQL less than taking one JSON document
// apart row by row. The recipient lists travel as array literals
// ('{1,2}') because an array of arrays cannot be ragged.
const appendEventsSQL = `
		INSERT INTO live_events (type, user_ids, subject_ids, data)
		SELECT t, u::bigint[], s::bigint[], d::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(t, u, s, d, n)
		ORDER BY n`

// eventColumns are appendEventsSQL's parameters.
type eventColumns struct {
	types, to, about, data []string
}

func (c eventColumns) empty() bool { return len(c.types) == 0 }

func (c eventColumns) args() []any { return []any{c.types, c.to, c.about, c.data} }

// encodeEvents is the parameters of appendEventsSQL for evs, leaving out
// those without a recipient.
func encodeEvents(evs []Event) (eventColumns, error) {
	var c eventColumns
	for _, e := range evs {
		if len(e.To) == 0 {
			continue
		}
		data, err := json.Marshal(e.Data)
		if err != nil {
			return eventColumns{}, fmt.Errorf("encode %s event: %w", e.Type, err)
		}
		c.types = append(c.types, string(e.Type))
		c.to = append(c.to, arrayLiteral(e.To))
		c.about = append(c.about, arrayLiteral(e.About))
		c.data = append(c.data, string(data))
	}
	return c, nil
}

// arrayLiteral is ids as a PostgreSQL array literal: {1,2,3}.
func arrayLiteral(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}'))
}

// fanOut builds the audiences of one event: view gives what each viewer
// sees (nil: nothing, they are no recipient), and viewers who see the same
// bytes share a row.
func fanOut(typ EventType, about, viewers []int64, view func(viewerID int64) any) ([]Event, error) {
	var out []Event
	byPayload := map[string]int{}
	for _, v := range viewers {
		d := view(v)
		if d == nil {
			continue
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encode %s event: %w", typ, err)
		}
		i, ok := byPayload[string(b)]
		if !ok {
			i = len(out)
			byPayload[string(b)] = i
			out = append(out, Event{Type: typ, Data: json.RawMessage(b), About: about})
		}
		out[i].To = append(out[i].To, v)
	}
	return out, nil
}

// messageEvents writes message.created or message.deleted for messages
// written in tx: every member and every parent of a member gets each
// message as History shows it to them (a tombstone for members once
// deleted, the client id to its sender only). This is the one place a
// sent message's event is written; a batched send calls it with all its
// messages.
func messageEvents(ctx context.Context, tx pgx.Tx, typ EventType, msgs ...domain.Message) error {
	convIDs := make([]int64, len(msgs))
	for i, m := range msgs {
		convIDs[i] = m.ConversationID
	}
	rows, err := tx.Query(ctx, convAudiencesSQL, distinct(convIDs))
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
	return AppendEvents(ctx, tx, evs)
}

// messageEventsFor builds messageEvents' events from the audiences of the
// messages' conversations (convAudiencesSQL, read in the transaction).
func messageEventsFor(typ EventType, audiences map[int64][]viewer, msgs []domain.Message) ([]Event, error) {
	var evs []Event
	for _, m := range msgs {
		vs := audiences[m.ConversationID]
		e, err := fanOut(typ, []int64{m.SenderID}, viewerIDs(vs), func(id int64) any {
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

// distinct returns the ids sorted, without repeats.
func distinct(ids []int64) []int64 {
	s := slices.Clone(ids)
	slices.Sort(s)
	return slices.Compact(s)
}

// sentMessageEvents writes message.created for messages just sent in tx.
func sentMessageEvents(ctx context.Context, tx pgx.Tx, msgs ...domain.Message) error {
	return messageEvents(ctx, tx, EventMessageCreated, msgs...)
}

// tombstoneCreatedEvents rewrites the stored message.created events of a
// message just deleted in tx to its tombstone, so a replay from a cursor
// before the send shows members what History shows them, not the text.
// Each row is shared by members and parents (the payload was the same
// before the deletion), so all are rewritten; parents keep the content
// through the message.deleted event written with it.
func tombstoneCreatedEvents(ctx context.Context, tx pgx.Tx, m domain.Message) error {
	patch, err := json.Marshal(map[string]any{"content": nil, "media_id": nil, "media_url": nil, "deleted": true, "deleted_at": m.DeletedAt})
	if err != nil {
		return fmt.Errorf("encode tombstone of message %d: %w", m.ID, err)
	}
	// The type and data->>'id' match idx_live_events_message (00011).
	_, err = tx.Exec(ctx, `
		UPDATE live_events SET data = data || $2::jsonb
		WHERE type = `+EventMessageCreated.literal()+` AND data->>'id' = $1::text`,
		strconv.FormatInt(m.ID, 10), patch)
	if err != nil {
		return fmt.Errorf("tombstone events of message %d: %w", m.ID, err)
	}
	return nil
}

// messageByID loads a message in tx, unshaped.
func messageByID(ctx context.Context, tx pgx.Tx, id int64) (domain.Message, error) {
	m, err := scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages m WHERE m.id = $1`, id))
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
func conversationEvent(ctx context.Context, tx pgx.Tx, typ EventType, convID int64, before []viewer, userID int64) error {
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
	parentOf, err := parentsOf(ctx, tx, about)
	if err != nil {
		return err
	}
	evs, err := fanOut(typ, about, recipients, func(id int64) any {
		v, canRead := viewerOf(now, id)
		var c *domain.Conversation
		if canRead {
			cc := convs[0]
			cc.ReadOnly = !v.member
			// child_ids as this reader's REST shows it: their own
			// children among the members.
			cc.ChildIDs = []int64{}
			for _, m := range cc.Members {
				if parentOf[m.UserID] == id {
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
	return AppendEvents(ctx, tx, evs)
}

// parentsOf maps each of ids that is a child to their parent.
func parentsOf(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id, parent_id FROM users WHERE id = ANY($1) AND parent_id IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("parents of %v: %w", ids, err)
	}
	out := map[int64]int64{}
	var id, parent int64
	_, err = pgx.ForEachRow(rows, []any{&id, &parent}, func() error { out[id] = parent; return nil })
	if err != nil {
		return nil, fmt.Errorf("parents of %v: %w", ids, err)
	}
	return out, nil
}

// contactFamilies are both children of a link and their parents.
func contactFamilies(c contactRow) []int64 {
	ids := []int64{c.a, c.b}
	for _, p := range []int64{c.parentA, c.parentB} {
		if p != 0 && !slices.Contains(ids, p) {
			ids = append(ids, p)
		}
	}
	return ids
}

// contactEvent writes contact.requested or contact.approved: both
// families get the link as GET /contacts shows it.
func contactEvent(ctx context.Context, tx pgx.Tx, typ EventType, c contactRow) error {
	contact, err := contactIn(ctx, tx, c.id)
	if err != nil {
		return err
	}
	return AppendEvents(ctx, tx, []Event{{Type: typ, To: contactFamilies(c), Data: contact, About: []int64{c.a, c.b}}})
}

// contactGone is the data of contact.revoked: the link no longer exists,
// so only which link it was.
type contactGone struct {
	ID       int64   `json:"id"`
	ChildIDs []int64 `json:"child_ids"`
}

func contactRevokedEvent(ctx context.Context, tx pgx.Tx, c contactRow) error {
	return AppendEvents(ctx, tx, []Event{{Type: EventContactRevoked, To: contactFamilies(c),
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
	m, err := messageByID(ctx, tx, r.MessageID)
	if err != nil {
		return err
	}
	m.ClientID = nil
	full := r
	full.Message = &m
	evs := []Event{{Type: EventReportFiled, To: admins, Data: full, About: reportSubjects(r, m)}}
	if err := AppendEvents(ctx, tx, evs); err != nil {
		return err
	}
	return familyReportEvents(ctx, tx, EventReportFiled, reportID)
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
func familyReportEvents(ctx context.Context, tx pgx.Tx, typ EventType, id int64) error {
	var reporter, reporterParent, senderParent *int64
	var sender int64
	err := tx.QueryRow(ctx, `
		SELECT r.reporter_id, rep.parent_id, m.sender_id, snd.parent_id
		FROM reports r JOIN messages m ON m.id = r.message_id
		LEFT JOIN users rep ON rep.id = r.reporter_id
		LEFT JOIN users snd ON snd.id = m.sender_id
		WHERE r.id = $1`, id).Scan(&reporter, &reporterParent, &sender, &senderParent)
	if err != nil {
		return fmt.Errorf("audience of report %d: %w", id, err)
	}
	about := []int64{sender}
	if reporter != nil {
		about = append(about, *reporter)
	}
	var evs []Event
	for _, v := range []*int64{reporter, reporterParent, senderParent} {
		if v == nil || slices.ContainsFunc(evs, func(e Event) bool { return e.To[0] == *v }) {
			continue
		}
		view, ok, err := reportSeenBy(ctx, tx, *v, id)
		if err != nil {
			return err
		}
		if ok {
			evs = append(evs, Event{Type: typ, To: []int64{*v}, Data: view, About: about})
		}
	}
	return AppendEvents(ctx, tx, evs)
}

// EventPos is a position in the order every reader reads events in:
// (xact, id), the writing transaction's id, then the row's.
type EventPos struct{ Xact, ID int64 }

// Less orders positions.
func (p EventPos) Less(q EventPos) bool {
	return p.Xact < q.Xact || (p.Xact == q.Xact && p.ID < q.ID)
}

// String is the position as an opaque client cursor.
func (p EventPos) String() string {
	return strconv.FormatInt(p.Xact, 36) + "." + strconv.FormatInt(p.ID, 36)
}

// ParseEventPos reads a cursor made by String.
func ParseEventPos(s string) (EventPos, error) {
	x, i, ok := strings.Cut(s, ".")
	if !ok || len(s) > 32 {
		return EventPos{}, errors.New("malformed cursor")
	}
	xact, err1 := strconv.ParseInt(x, 36, 64)
	id, err2 := strconv.ParseInt(i, 36, 64)
	if err1 != nil || err2 != nil || xact < 0 || id < 0 {
		return EventPos{}, errors.New("malformed cursor")
	}
	return EventPos{xact, id}, nil
}

// LiveEvent is one stored event row.
type LiveEvent struct {
	Pos     EventPos
	Type    EventType
	At      time.Time
	UserIDs []int64
	Data    json.RawMessage
}

// frontierSQL is the oldest transaction id still running in this
// statement's snapshot: every transaction below it has committed or
// aborted, so the events below it are final.
const frontierSQL = `pg_snapshot_xmin(pg_current_snapshot())::text::bigint`

func scanLiveEvent(r pgx.CollectableRow) (LiveEvent, error) {
	var e LiveEvent
	err := r.Scan(&e.Pos.Xact, &e.Pos.ID, &e.Type, &e.At, &e.UserIDs, &e.Data)
	return e, err
}

// EventsAfter returns up to limit final events after pos, in order, for
// an instance to deliver to its sockets, and whether committed events
// wait beyond the frontier (an older transaction is still running), so
// that the caller looks again soon.
//
// It runs after every notification, so after every send, on every
// instance: one round trip, both reads in one snapshot (so one frontier),
// on generic plans. A custom plan for the cursor's values had the planner
// probe the end of the (xact, id) index for the column's actual maximum,
// past the rows of sends not yet committed, and planning cost several
// times what running did.
func (db *DB) EventsAfter(ctx context.Context, pos EventPos, limit int) ([]LiveEvent, bool, error) {
	var evs []LiveEvent
	var waiting bool
	err := db.genericReads(ctx,
		read{eventsAfterSQL, []any{pos.Xact, pos.ID, limit}, func(rows pgx.Rows) error {
			e, err := scanLiveEvent(rows)
			evs = append(evs, e)
			return err
		}},
		read{waitingSQL, nil, func(rows pgx.Rows) error { return rows.Scan(&waiting) }})
	if err != nil {
		return nil, false, fmt.Errorf("read events: %w", err)
	}
	return evs, waiting, nil
}

const eventsAfterSQL = `
		SELECT xact, id, type, at, user_ids, data FROM live_events
		WHERE (xact, id) > ($1, $2) AND xact < ` + frontierSQL + `
		ORDER BY xact, id LIMIT $3`

// waitingSQL tells whether committed events wait at or beyond the
// frontier. max(xact) is one probe of the (xact, id) index; an EXISTS
// over xact >= the frontier was planned as a scan of the whole outbox.
const waitingSQL = `SELECT coalesce(max(xact) >= ` + frontierSQL + `, false) FROM live_events`

// EventFrontier is the position of the last final event: a reader that
// starts there misses nothing committed later.
func (db *DB) EventFrontier(ctx context.Context) (EventPos, error) {
	var p EventPos
	err := db.Pool.QueryRow(ctx, eventFrontierSQL).Scan(&p.Xact, &p.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return EventPos{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("event frontier: %w", err)
	}
	return p, nil
}

const eventFrontierSQL = `
		SELECT xact, id FROM live_events WHERE xact < ` + frontierSQL + `
		ORDER BY xact DESC, id DESC LIMIT 1`

// EventFrontierWaiting is EventFrontier and, in the same snapshot,
// EventsAfter's waiting: where an instance with no socket open may move
// its position to without reading the events, in one round trip.
func (db *DB) EventFrontierWaiting(ctx context.Context) (EventPos, bool, error) {
	var p EventPos
	var waiting bool
	err := db.genericReads(ctx,
		read{eventFrontierSQL, nil, func(rows pgx.Rows) error { return rows.Scan(&p.Xact, &p.ID) }},
		read{waitingSQL, nil, func(rows pgx.Rows) error { return rows.Scan(&waiting) }})
	if err != nil {
		return EventPos{}, false, fmt.Errorf("event frontier: %w", err)
	}
	return p, waiting, nil
}

// UserEvents returns up to limit of userID's events after after and up to
// and including upTo (a final position), in order: a reconnecting
// client's replay. An event about a conversation (message.*, and
// conversation.* but member_removed, which tells the removed) is replayed
// only while userID may still read it, as a member or a member's parent,
// as REST decides: someone removed meanwhile does not replay its messages.
func (db *DB) UserEvents(ctx context.Context, userID int64, after, upTo EventPos, limit int) ([]LiveEvent, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT e.xact, e.id, e.type, e.at, e.user_ids, e.data FROM live_events e
		WHERE e.user_ids @> ARRAY[$1::bigint] AND (e.xact, e.id) > ($2, $3) AND (e.xact, e.id) <= ($4, $5)
		  AND (NOT (e.type LIKE 'message.%' OR e.type LIKE 'conversation.%')
		       OR e.type = `+EventConvMemberRemoved.literal()+`
		       OR `+familyReadsSQL(eventConvSQL, "$1")+`)
		ORDER BY e.xact, e.id LIMIT $6`, userID, after.Xact, after.ID, upTo.Xact, upTo.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("replay events of %d: %w", userID, err)
	}
	evs, err := pgx.CollectRows(rows, scanLiveEvent)
	if err != nil {
		return nil, fmt.Errorf("replay events of %d: %w", userID, err)
	}
	return evs, nil
}

// eventConvSQL is the conversation a message.* or conversation.* event e
// is about.
var eventConvSQL = `(CASE WHEN e.type LIKE 'message.%' OR e.type = ` + EventConvMemberAdded.literal() + `
		THEN e.data->>'conversation_id' ELSE e.data->>'id' END)::bigint`

// CursorInWindow reports whether the event at pos is still stored and no
// older than window: only then can a replay from it be complete.
func (db *DB) CursorInWindow(ctx context.Context, pos EventPos, window time.Duration) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM live_events WHERE xact = $1 AND id = $2 AND at > CURRENT_TIMESTAMP - $3::interval)`,
		pos.Xact, pos.ID, window).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check cursor: %w", err)
	}
	return ok, nil
}

// DeleteOldEvents deletes up to limit live events written before cutoff
// (the replay window's start), in one short statement: the retention
// purge's share of the outbox. A cursor pointing at a deleted event gets
// resync, as any cursor past the window does. Rows are deleted by the
// primary key, (xact, id) (migration 00012).
func (db *DB) DeleteOldEvents(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `
		DELETE FROM live_events
		WHERE (xact, id) IN (SELECT xact, id FROM live_events WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old live events: %w", err)
	}
	return tag.RowsAffected(), nil
}

// LiveSessions returns which of the sessions SessionActor would still
// accept (unexpired, not idle past IdleTimeout, a usable account, a child's
// parent approved and usable): an instance closes the sockets of the others.
func (db *DB) LiveSessions(ctx context.Context, ids []int64) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT s.id FROM sessions s
		JOIN users u ON u.id = s.user_id AND u.deleted_at IS NULL
		LEFT JOIN users p ON p.id = u.parent_id
		WHERE s.id = ANY($1) AND s.expires_at > CURRENT_TIMESTAMP
		  AND s.last_seen_at > CURRENT_TIMESTAMP - $2::interval
		  AND u.suspended_at IS NULL AND `+parentUsableSQL("u", "p"),
		ids, IdleTimeout)
	if err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	live, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	return live, nil
}
