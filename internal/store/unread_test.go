package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// TestReadStatesPlan checks the unread counts of a page of
// GET /conversations at a realistic size: a child in 50 of 400 busy
// conversations (300 messages each, 120,000 in all), each read but for
// its last 10 messages. The counts must be right, and the plan must read
// messages only through idx_messages_unread, from each marker on: the
// unread rows, never a conversation's whole history.
func TestReadStatesPlan(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	kid, other := newFamily(t, db, "reader").child, newFamily(t, db, "writer").child
	var convIDs []int64
	err := db.Pool.QueryRow(ctx, `
		WITH c AS (
			INSERT INTO conversations (is_group, title, created_by)
			SELECT true, 'busy ' || g, $1 FROM generate_series(1, 400) g RETURNING id)
		SELECT array_agg(id ORDER BY id) FROM c`, other.UserID).Scan(&convIDs)
	if err != nil {
		t.Fatal(err)
	}
	mine := convIDs[:50]
	_, err = db.Pool.Exec(ctx, `
		INSERT INTO messages (conversation_id, sender_id, type, content)
		SELECT c, $2, 'text', 'm' || g FROM unnest($1::int[]) c, generate_series(1, 300) g ORDER BY g, c`,
		convIDs, other.UserID)
	if err != nil {
		t.Fatal(err)
	}
	// The reader is in 50 of them, each read up to its 290th message.
	_, err = db.Pool.Exec(ctx, `
		INSERT INTO conversation_members (conversation_id, user_id, last_read_message_id)
		SELECT c, $2, (SELECT id FROM messages WHERE conversation_id = c ORDER BY id OFFSET 289 LIMIT 1)
		FROM unnest($1::int[]) c`, mine, kid.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE messages`); err != nil {
		t.Fatal(err)
	}

	var raw []byte
	if err := db.Pool.QueryRow(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+store.ReadStatesSQL, mine, kid.UserID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plan []struct{ Plan planNode }
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	scans := plan[0].Plan.on("messages")
	if len(scans) != 1 || scans[0].NodeType != "Index Only Scan" || scans[0].IndexName != "idx_messages_unread" {
		t.Fatalf("messages are not read through idx_messages_unread alone: %s", raw)
	}
	s := scans[0]
	if rows := s.ActualRows * s.ActualLoops; rows != 50*10 || s.HeapFetches > 50 {
		t.Fatalf("the counts read %v rows (%v heap fetches), want the 500 unread: %s", rows, s.HeapFetches, raw)
	}
	t.Logf("50 counts over 120,000 messages: %v ms, %v buffers", plan[0].Plan.TotalTime, s.SharedHit+s.SharedRead)

	rows, err := db.Pool.Query(ctx, store.ReadStatesSQL, mine, kid.UserID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var conv int64
		var last *int64
		var unread int
		if err := rows.Scan(&conv, &last, &unread); err != nil {
			t.Fatal(err)
		}
		if unread != 10 || last == nil {
			t.Fatalf("conversation %d: unread %d after %v, want 10", conv, unread, last)
		}
		n++
	}
	if n != 50 {
		t.Fatalf("%d read states, want 50", n)
	}
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the test reads.
type planNode struct {
	NodeType    string     `json:"Node Type"`
	Relation    string     `json:"Relation Name"`
	IndexName   string     `json:"Index Name"`
	ActualRows  float64    `json:"Actual Rows"`
	ActualLoops float64    `json:"Actual Loops"`
	HeapFetches float64    `json:"Heap Fetches"`
	SharedHit   float64    `json:"Shared Hit Blocks"`
	SharedRead  float64    `json:"Shared Read Blocks"`
	TotalTime   float64    `json:"Actual Total Time"`
	Plans       []planNode `json:"Plans"`
}

// on returns the nodes of the plan that scan relation.
func (n planNode) on(relation string) []planNode {
	var out []planNode
	if n.Relation == relation {
		out = append(out, n)
	}
	for _, c := range n.Plans {
		out = append(out, c.on(relation)...)
	}
	return out
}
