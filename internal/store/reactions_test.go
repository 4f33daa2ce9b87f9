package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"pixelpals/internal/pgtest"
	"pixelpals/internal/store"
)

// TestReactionCountsPlan: a page of history costs one query for its
// reactions, whatever the chat holds. A conversation of 2,000 messages,
// each with 40 reactions (20 readers, 2 kinds each: 80,000 rows); a page
// of 50 messages must read its 2,000 reactions through the primary key,
// and no others, and count them right.
func TestReactionCountsPlan(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	kid := newFamily(t, db, "poster").child
	var page []int64
	err := db.Pool.QueryRow(ctx, `
		WITH c AS (INSERT INTO conversations (is_group, title, created_by) VALUES (true, 'busy', $1) RETURNING id),
		     m AS (INSERT INTO messages (conversation_id, sender_id, type, content)
		           SELECT c.id, $1, 'text', 'm' || g FROM c, generate_series(1, 2000) g RETURNING id)
		SELECT (array_agg(id ORDER BY id DESC))[1:50] FROM m`, kid.UserID).Scan(&page)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Pool.Exec(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role)
		           SELECT 'fan' || g || '@example.com', '!', 'PARENT' FROM generate_series(1, 20) g RETURNING id)
		INSERT INTO message_reactions (message_id, user_id, kind)
		SELECT m.id, u.id, k FROM messages m, u, unnest(ARRAY['heart', 'star']) k`)
	if err != nil {
		t.Fatal(err)
	}
	// The viewer put a heart on one message of the page.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO message_reactions (message_id, user_id, kind) VALUES ($1, $2, 'heart')`, page[3], kid.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE message_reactions`); err != nil {
		t.Fatal(err)
	}

	var raw []byte
	if err := db.Pool.QueryRow(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+store.ReactionCountsSQL, page, kid.UserID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plan []struct{ Plan planNode }
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	// An index (only) scan of the primary key, or a bitmap heap scan of
	// it: which one depends on how much of the table the visibility map
	// says is all-visible, which concurrent tests on the cluster hold back.
	scans := plan[0].Plan.on("message_reactions")
	if len(scans) != 1 || pkeyOf(scans[0]) != "message_reactions_pkey" {
		t.Fatalf("reactions are not read through their primary key alone: %s", raw)
	}
	if s := scans[0]; s.ActualRows*s.ActualLoops != 50*40+1 {
		t.Fatalf("the counts read %v rows, want the page's %d: %s", s.ActualRows*s.ActualLoops, 50*40+1, raw)
	}
	t.Logf("a page's reactions among 80,000: %v ms, %v buffers", plan[0].Plan.TotalTime, scans[0].SharedHit+scans[0].SharedRead)

	rows, err := db.Pool.Query(ctx, store.ReactionCountsSQL, page, kid.UserID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var msg int64
		var kind string
		var count int
		var mine bool
		if err := rows.Scan(&msg, &kind, &count, &mine); err != nil {
			t.Fatal(err)
		}
		wantMine := msg == page[3] && kind == "heart"
		want := 20
		if wantMine {
			want = 21
		}
		if count != want || mine != wantMine {
			t.Errorf("message %d %s: count %d mine %v, want %d %v", msg, kind, count, mine, want, wantMine)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("%d (message, kind) rows, want 100", n)
	}
}

// pkeyOf is the index a scan reads: its own, or its bitmap's.
func pkeyOf(n planNode) string {
	if n.IndexName != "" || len(n.Plans) != 1 {
		return n.IndexName
	}
	return n.Plans[0].IndexName
}
