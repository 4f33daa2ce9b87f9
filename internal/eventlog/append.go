package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// Events are written in the transaction of the action they report, into
// the live_events outbox (migration 00005): an event is one row per
// audience, the recipients who see the same payload.

// Event is one audience of an event to write: its recipients and the
// payload they all see.
type Event struct {
	Type Type
	To   []int64
	Data any
	// About are the users whose personal data Data holds (names, text):
	// their account's deletion deletes the event.
	About []int64
}

// Append writes events in tx, in order, in one statement. The
// outbox's trigger announces them; PostgreSQL delivers that NOTIFY at
// commit, so nobody hears of an event whose action rolled back.
func Append(ctx context.Context, tx pgx.Tx, evs []Event) error {
	cols, err := Encode(evs)
	if err != nil || cols.Empty() {
		return err
	}
	if _, err = tx.Exec(ctx, AppendSQL, cols.Args()...); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	return nil
}

// AppendSQL writes the events Encode encoded, one array per column, row
// n of each the n-th event. Append runs it; a caller that pipelines its
// transaction's statements (the batched send) queues it with Encode's
// Args. Every send writes its events with it, and arrays cost PostgreSQL less than taking one JSON document
// apart row by row. The recipient lists travel as array literals
// ('{1,2}') because an array of arrays cannot be ragged.
const AppendSQL = `
		INSERT INTO live_events (type, user_ids, subject_ids, data)
		SELECT t, u::bigint[], s::bigint[], d::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(t, u, s, d, n)
		ORDER BY n`

// Columns are AppendSQL's parameters.
type Columns struct {
	types, to, about, data []string
}

// Empty tells whether there is no event to write (AppendSQL need not run).
func (c Columns) Empty() bool { return len(c.types) == 0 }

// Args are AppendSQL's parameters.
func (c Columns) Args() []any { return []any{c.types, c.to, c.about, c.data} }

// Encode is the parameters of AppendSQL for evs, leaving out those
// without a recipient.
func Encode(evs []Event) (Columns, error) {
	var c Columns
	for _, e := range evs {
		if len(e.To) == 0 {
			continue
		}
		data, err := json.Marshal(e.Data)
		if err != nil {
			return Columns{}, fmt.Errorf("encode %s event: %w", e.Type, err)
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

// FanOut builds the audiences of one event: view gives what each viewer
// sees (nil: nothing, they are no recipient), and viewers who see the same
// bytes share a row.
func FanOut(typ Type, about, viewers []int64, view func(viewerID int64) any) ([]Event, error) {
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
