package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"pixelpals/internal/readbatch"
)

// Reading the live events back (docs/live.md): the instances' delivery in
// order up to the frontier, a reconnecting client's replay, cursors, the
// retention purge's share of the outbox. The store wraps them for the
// live hub.

// Channel is what the outbox announces new events on (migration 00005).
const Channel = "pixelpals_events"

// frontierSQL is the oldest transaction id still running in this
// statement's snapshot: every transaction below it has committed or
// aborted, so the events below it are final.
const frontierSQL = `pg_snapshot_xmin(pg_current_snapshot())::text::bigint`

// A message's client id is its sender's business only (REST shows it to
// no one else), yet the message.created event of a send is one row for
// every recipient (store.MessageCreatedEventsSQL), its data as the sender
// sees it. Whoever reads events out strips the client id for everyone
// else: the instances (After: Record.Others), a replay (UserEvents).

// senderOnlySQL is true for an event e whose data holds its sender's
// client id.
const senderOnlySQL = `(e.type LIKE 'message.%' AND e.data ? 'client_id')`

// eventColumnsSQL are an event e's columns as scanLiveEvent reads them:
// for one holding a client id, also its sender and its data without it.
const eventColumnsSQL = `e.xact, e.id, e.type, e.at, e.user_ids, e.data,
		CASE WHEN ` + senderOnlySQL + ` THEN (e.data->>'sender_id')::bigint END,
		CASE WHEN ` + senderOnlySQL + ` THEN e.data - 'client_id' END`

// viewerDataSQL is an event e's data as the user (an SQL expression)
// receives it. IS DISTINCT FROM, not <>: an event without a sender keeps
// its client id from nobody rather than from everybody.
func viewerDataSQL(user string) string {
	return `CASE WHEN ` + senderOnlySQL + ` AND (e.data->>'sender_id')::bigint IS DISTINCT FROM ` + user + `
		THEN e.data - 'client_id' ELSE e.data END`
}

func scanLiveEvent(r pgx.CollectableRow) (Record, error) {
	var e Record
	var sender *int64
	err := r.Scan(&e.Pos.Xact, &e.Pos.ID, &e.Type, &e.At, &e.UserIDs, &e.Data, &sender, &e.Others)
	if sender != nil {
		e.Sender = *sender
	}
	return e, err
}

// After returns up to limit final events after pos, in order, for
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
func After(ctx context.Context, pool *pgxpool.Pool, pos Pos, limit int) ([]Record, bool, error) {
	var evs []Record
	var waiting bool
	err := readbatch.Run(ctx, pool,
		readbatch.Read{SQL: eventsAfterSQL, Args: []any{pos.Xact, pos.ID, limit}, Each: func(rows pgx.Rows) error {
			e, err := scanLiveEvent(rows)
			evs = append(evs, e)
			return err
		}},
		readbatch.Read{SQL: waitingSQL, Each: func(rows pgx.Rows) error { return rows.Scan(&waiting) }})
	if err != nil {
		return nil, false, fmt.Errorf("read events: %w", err)
	}
	return evs, waiting, nil
}

const eventsAfterSQL = `
		SELECT ` + eventColumnsSQL + ` FROM live_events e
		WHERE (e.xact, e.id) > ($1, $2) AND e.xact < ` + frontierSQL + `
		ORDER BY e.xact, e.id LIMIT $3`

// waitingSQL tells whether committed events wait at or beyond the
// frontier. max(xact) is one probe of the (xact, id) index; an EXISTS
// over xact >= the frontier was planned as a scan of the whole outbox.
const waitingSQL = `SELECT coalesce(max(xact) >= ` + frontierSQL + `, false) FROM live_events`

// Frontier is the position of the last final event: a reader that
// starts there misses nothing committed later.
func Frontier(ctx context.Context, pool *pgxpool.Pool) (Pos, error) {
	var p Pos
	err := pool.QueryRow(ctx, eventFrontierSQL).Scan(&p.Xact, &p.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Pos{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("event frontier: %w", err)
	}
	return p, nil
}

const eventFrontierSQL = `
		SELECT xact, id FROM live_events WHERE xact < ` + frontierSQL + `
		ORDER BY xact DESC, id DESC LIMIT 1`

// FrontierWaiting is Frontier and, in the same snapshot,
// After's waiting: where an instance with no socket open may move
// its position to without reading the events, in one round trip.
func FrontierWaiting(ctx context.Context, pool *pgxpool.Pool) (Pos, bool, error) {
	var p Pos
	var waiting bool
	err := readbatch.Run(ctx, pool,
		readbatch.Read{SQL: eventFrontierSQL, Each: func(rows pgx.Rows) error { return rows.Scan(&p.Xact, &p.ID) }},
		readbatch.Read{SQL: waitingSQL, Each: func(rows pgx.Rows) error { return rows.Scan(&waiting) }})
	if err != nil {
		return Pos{}, false, fmt.Errorf("event frontier: %w", err)
	}
	return p, waiting, nil
}

// UserEvents returns up to limit of userID's events after after and up to
// and including upTo (a final position), in order: a reconnecting
// client's replay. An event about a conversation (message.*, and
// conversation.* but member_removed, which tells the removed) is replayed
// only while userID may still read it, as a member or a member's parent,
// as REST decides: someone removed meanwhile does not replay its messages.
// familyReads is that rule as SQL (the store's FamilyReadsSQL): given the
// SQL of a conversation id and of the user's, a condition true when the
// user may read it.
func UserEvents(ctx context.Context, pool *pgxpool.Pool, familyReads func(conv, user string) string,
	userID int64, after, upTo Pos, limit int) ([]Record, error) {
	rows, err := pool.Query(ctx, `
		SELECT e.xact, e.id, e.type, e.at, e.user_ids, `+viewerDataSQL("$1")+`, NULL::bigint, NULL::jsonb FROM live_events e
		WHERE e.user_ids @> ARRAY[$1::bigint] AND (e.xact, e.id) > ($2, $3) AND (e.xact, e.id) <= ($4, $5)
		  AND (NOT (e.type LIKE 'message.%' OR e.type LIKE 'conversation.%')
		       OR e.type = `+ConvMemberRemoved.Literal()+`
		       OR `+familyReads(eventConvSQL, "$1")+`)
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
var eventConvSQL = `(CASE WHEN e.type LIKE 'message.%' OR e.type = ` + ConvMemberAdded.Literal() + `
		THEN e.data->>'conversation_id' ELSE e.data->>'id' END)::bigint`

// CursorInWindow reports whether the event at pos is still stored and no
// older than window: only then can a replay from it be complete.
func CursorInWindow(ctx context.Context, pool *pgxpool.Pool, pos Pos, window time.Duration) (bool, error) {
	var ok bool
	err := pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM live_events WHERE xact = $1 AND id = $2 AND at > CURRENT_TIMESTAMP - $3::interval)`,
		pos.Xact, pos.ID, window).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check cursor: %w", err)
	}
	return ok, nil
}

// DeleteOld deletes up to limit live events written before cutoff
// (the replay window's start), in one short statement: the retention
// purge's share of the outbox. A cursor pointing at a deleted event gets
// resync, as any cursor past the window does. Rows are deleted by the
// primary key, (xact, id) (migration 00012).
func DeleteOld(ctx context.Context, pool *pgxpool.Pool, cutoff time.Time, limit int) (int64, error) {
	tag, err := pool.Exec(ctx, `
		DELETE FROM live_events
		WHERE (xact, id) IN (SELECT xact, id FROM live_events WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old live events: %w", err)
	}
	return tag.RowsAffected(), nil
}
