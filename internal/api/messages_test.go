package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/apitest"
	"pixelpals/internal/ratelimit"
)

func countRows(t *testing.T, env *apitest.Env, table string) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHistoryPagingWhileSending pages through a conversation while two
// senders keep writing to it, and checks what docs/chat.md promises a
// reader who pages while others send: the pages, put together, are exactly
// the conversation's history as it stands afterwards, from the first
// page's newest message down (nothing skipped, nothing twice, newest
// first), so every message that existed when paging began comes back
// exactly once. Messages sent meanwhile may show up on any page, as long
// as they committed before that page was read (the first version of this
// test wrongly expected them on the first page only); one that commits
// later sorts above the first page and is met by reading from the top again.
func TestHistoryPagingWhileSending(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	conv := createDirect(f.Child(), f.Parent.UserID).ID
	var wg sync.WaitGroup
	for _, c := range []*apitest.Client{f.Parent, f.Child(), f.Parent, f.Child()} {
		wg.Go(func() {
			for range 60 {
				if r := send(c, conv, "before"); r.Status != 201 {
					t.Errorf("send before paging: %d %s", r.Status, r.Body)
				}
			}
		})
	}
	wg.Wait()
	ctx := context.Background()
	rows, err := env.DB.Pool.Query(ctx, `SELECT id FROM messages WHERE conversation_id = $1`, conv)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 240 {
		t.Fatalf("%d messages before paging, want 240", len(ids))
	}

	stop := make(chan struct{})
	sends := make(chan map[string]int, 2)
	for _, c := range []*apitest.Client{f.Parent, f.Child()} {
		wg.Go(func() { sends <- sendUntil(c, conv, 1, stop, nil) })
	}
	type item struct {
		ID        int64     `json:"id"`
		CreatedAt time.Time `json:"created_at"`
	}
	var paged []item
	var cursor string
	for {
		p := "/conversations/" + fmt.Sprint(conv) + "/messages?limit=17"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var resp struct {
			Items      []item  `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		f.Child().Must(200, "GET", p, nil, &resp)
		paged = append(paged, resp.Items...)
		time.Sleep(2 * time.Millisecond) // let the senders get ahead
		if resp.NextCursor == nil {
			break
		}
		cursor = *resp.NextCursor
	}
	close(stop)
	wg.Wait()
	close(sends)
	for counts := range sends {
		if counts["201"] == 0 || counts["201"] != sum(counts) {
			t.Fatalf("sends while paging: statuses %v, want only 201", counts)
		}
	}

	// The history as it stands now, from the first page's newest down.
	rows, err = env.DB.Pool.Query(ctx, `
		SELECT id FROM messages WHERE conversation_id = $1 AND (created_at, id) <= ($2, $3)
		ORDER BY created_at DESC, id DESC`, conv, paged[0].CreatedAt, paged[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int64, len(paged))
	for i, m := range paged {
		got[i] = m.ID
		// Keys follow commit order in a conversation, and so do ids.
		if i > 0 && m.ID >= got[i-1] {
			t.Errorf("message %d follows %d: not newest first", m.ID, got[i-1])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the pages hold %d messages %v,\nthe history from the first page's newest down %d: %v", len(got), got, len(want), want)
	}
	for _, id := range ids {
		if !slices.Contains(got, id) {
			t.Errorf("message %d, there before paging began, never came back", id)
		}
	}
	t.Logf("%d messages paged, %d of them sent while paging", len(got), len(got)-len(ids))
}

// TestHistoryPageUsesIndex checks the plan of a history page deep in a
// long conversation: an index range scan that stops after about a page of
// rows, whatever the conversation's length. For a conversation holding a
// small share of all messages (the usual case) that is
// idx_messages_history; for one holding a large share (10% here, or a
// one-conversation benchmark) the planner may rightly prefer walking
// idx_messages_created_at backwards, whose rows lie together on disk,
// skipping the other conversations' rows in between.
func TestHistoryPageUsesIndex(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	conv := createDirect(f.Child(), f.Parent.UserID).ID
	ctx := context.Background()
	// 20,000 messages here, interleaved in time with 180,000 in 900 other
	// conversations.
	_, err := env.DB.Pool.Exec(ctx, `
		INSERT INTO conversations (is_group, title, created_by)
		SELECT true, 'other ' || g, $1 FROM generate_series(1, 900) g`, f.Parent.UserID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.DB.Pool.Exec(ctx, `
		INSERT INTO messages (conversation_id, sender_id, type, content, created_at)
		SELECT CASE WHEN g % 10 = 0 THEN $1 ELSE $1 + 1 + g % 900 END, $2, 'text', 'm' || g,
		       timestamp '2026-01-01' + g * interval '100 milliseconds'
		FROM generate_series(1, 200000) g`, conv, f.Child().UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(ctx, `ANALYZE messages`); err != nil {
		t.Fatal(err)
	}
	halfway := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(100000 * 100 * time.Millisecond)
	explainHistoryPage(t, env, conv, halfway, 600)
	scan := explainHistoryPage(t, env, conv+7, halfway, 60)
	if scan["Index Name"] != "idx_messages_history" || !strings.Contains(fmt.Sprint(scan["Index Cond"]), "created_at") {
		t.Fatalf("history page of a small conversation: %v", scan)
	}

	// And through the API: a page deep in the history is a full page.
	var p pageJSON[messageJSON]
	f.Child().Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=200", conv), nil, &p)
	for range 90 {
		f.Child().Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=200&cursor=%s", conv, url.QueryEscape(*p.NextCursor)), nil, &p)
	}
	if len(p.Items) != 200 || p.NextCursor == nil || *p.Items[0].Content != fmt.Sprint("m", 200000-10*90*200) {
		t.Fatalf("page 91: %d items from %v", len(p.Items), p.Items[0])
	}
}

// explainHistoryPage runs the query of store.History after a cursor and
// checks that its scan reads at most maxRows rows and few heap pages. It
// returns the scan node of the plan.
func explainHistoryPage(t *testing.T, env *apitest.Env, conv int64, cursor time.Time, maxRows float64) map[string]any {
	t.Helper()
	var raw []byte
	err := env.DB.Pool.QueryRow(context.Background(), `
		EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
		SELECT m.id FROM messages m
		WHERE m.conversation_id = $1 AND (m.created_at, m.id) < ($2, $3)
		ORDER BY m.created_at DESC, m.id DESC
		LIMIT 51`, conv, cursor, int64(1<<30)).Scan(&raw)
	if err != nil {
		t.Fatal(err)
	}
	var plan []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	node := plan[0].Plan
	for node["Node Type"] != "Index Scan" && node["Node Type"] != "Index Only Scan" {
		children, _ := node["Plans"].([]any)
		if len(children) != 1 || node["Node Type"] == "Sort" {
			t.Fatalf("history page plan is not a limited index scan: %s", raw)
		}
		node = children[0].(map[string]any)
	}
	removed, _ := node["Rows Removed by Filter"].(float64)
	blocks := node["Shared Hit Blocks"].(float64) + node["Shared Read Blocks"].(float64)
	if node["Actual Rows"].(float64)+removed > maxRows || blocks > 60 {
		t.Fatalf("history page read %v rows (%v removed) and %v blocks: %s", node["Actual Rows"], removed, blocks, raw)
	}
	return node
}

func TestIdempotentSend(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 2)
	conv := createDirect(f.Child(), f.Parent.UserID).ID
	other := createDirect(f.Children[1], f.Parent.UserID).ID
	path := fmt.Sprintf("/conversations/%d/messages", conv)

	var first, again messageJSON
	f.Child().Must(201, "POST", path, map[string]any{"type": "text", "content": "once", "client_id": "abc-1"}, &first)
	f.Child().Must(200, "POST", path, map[string]any{"type": "text", "content": "once, retried", "client_id": "abc-1"}, &again)
	if again.ID != first.ID || *again.Content != "once" || *again.ClientID != "abc-1" {
		t.Fatalf("retry gave %+v, want the first message %+v", again, first)
	}
	// Another sender's ids are their own.
	f.Parent.Must(201, "POST", path, map[string]any{"type": "text", "content": "mine", "client_id": "abc-1"}, nil)
	// The parent's view does not show the child's client id.
	for _, m := range history(f.Parent, conv) {
		if m.SenderID != f.Parent.UserID && m.ClientID != nil {
			t.Fatalf("parent sees the child's client id: %+v", m)
		}
	}
	// Reusing an id in another conversation is a conflict.
	r := f.Parent.Do("POST", fmt.Sprintf("/conversations/%d/messages", other), map[string]any{"type": "text", "content": "x", "client_id": "abc-1"})
	if r.Status != 409 || r.ErrorField() != "client_id" {
		t.Fatalf("client id reused elsewhere: %d %s", r.Status, r.Body)
	}

	// Concurrent retries of one send: one message.
	var wg sync.WaitGroup
	results := make([]*apitest.Response, 8)
	for i := range results {
		wg.Go(func() {
			results[i] = f.Child().Do("POST", path, map[string]any{"type": "text", "content": "burst", "client_id": "burst-1"})
		})
	}
	wg.Wait()
	created, ids := 0, map[int64]bool{}
	for _, r := range results {
		var m messageJSON
		if err := jsonInto(r, &m); err != nil || (r.Status != 201 && r.Status != 200) {
			t.Fatalf("concurrent retry: %d %s", r.Status, r.Body)
		}
		if r.Status == 201 {
			created++
		}
		ids[m.ID] = true
	}
	var rows int
	if err := env.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM messages WHERE client_id = 'burst-1'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(ids) != 1 || rows != 1 {
		t.Fatalf("concurrent retries: %d created, ids %v, %d rows", created, ids, rows)
	}
}

func TestSendBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	f := env.Family(env.Admin(), 1)
	conv := createDirect(f.Child(), f.Parent.UserID).ID
	path := fmt.Sprintf("/conversations/%d/messages", conv)
	before := countRows(t, env, "messages")
	for _, tc := range []struct {
		body  any
		field string
	}{
		{`{"type": "text", "content": "hi", "client_id": "a", "extra": 1}`, "extra"},
		{`{"type": "text", "content": 5, "client_id": "a"}`, "content"},
		{`{"type": ["text"], "content": "hi", "client_id": "a"}`, "type"},
		{`{"type": "text", "content": "hi", "client_id": 7}`, "client_id"},
		{map[string]any{"type": "text", "content": strings.Repeat("é", 2001), "client_id": "a"}, "content"},
		{map[string]any{"type": "text", "content": " \t\n ", "client_id": "a"}, "content"},
		{map[string]any{"type": "text", "content": "a\x00b", "client_id": "a"}, "content"},
		{map[string]any{"type": "text", "client_id": "a"}, "content"},
		{map[string]any{"type": "text", "content": "hi"}, "client_id"},
		{map[string]any{"type": "text", "content": "hi", "client_id": strings.Repeat("x", 65)}, "client_id"},
		{map[string]any{"type": "text", "content": "hi", "client_id": "has space"}, "client_id"},
		// Media messages need an upload of the sender's (media_test.go).
		{map[string]any{"type": "image", "content": "hi", "client_id": "a", "media_id": 1}, "media_id"},
		{map[string]any{"type": "audio", "client_id": "a"}, "media_id"},
		{map[string]any{"type": "system", "content": "{}", "client_id": "a"}, "type"},
		{map[string]any{"type": "video", "content": "hi", "client_id": "a"}, "type"},
		{map[string]any{"type": "text", "content": "hi", "client_id": "a", "media_id": 3}, "media_id"},
		{`[]`, ""},
		{`{"type": "text"`, ""},
	} {
		r := f.Child().Do("POST", path, tc.body)
		if r.Status != 400 || r.ErrorField() != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %q", tc.body, r.Status, r.Body, tc.field)
		}
	}
	if after := countRows(t, env, "messages"); after != before {
		t.Fatalf("bad sends wrote %d messages", after-before)
	}
	// Zero-width characters are removed, lines kept ("\r\n" made "\n"),
	// ends trimmed. (Control characters and direction overrides were once
	// stripped here; they are refused now, see
	// TestEveryTextFieldNeedsVisibleText.)
	var m messageJSON
	f.Child().Must(201, "POST", path, map[string]any{"type": "text", "content": "  hi\u200b there\r\nbye\ufeff  ", "client_id": "ok"}, &m)
	if *m.Content != "hi there\nbye" {
		t.Fatalf("content stored as %q", *m.Content)
	}
	// Exactly 2000 characters is fine.
	f.Child().Must(201, "POST", path, map[string]any{"type": "text", "content": strings.Repeat("é", 2000), "client_id": "long"}, nil)
}

func TestSendRateLimited(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{SendRate: &ratelimit.Rate{PerSecond: 0.5, Burst: 3}})
	f := env.Family(env.Admin(), 1)
	conv := createDirect(f.Child(), f.Parent.UserID).ID
	for range 3 {
		mustSend(t, f.Child(), conv, "quick")
	}
	r := send(f.Child(), conv, "too quick")
	wantStatus(t, r, 429, "rate_limited")
	if ra := r.Header.Get("Retry-After"); ra != "2" {
		t.Fatalf("Retry-After %q, want 2", ra)
	}
	mustSend(t, f.Parent, conv, "the parent has their own budget")
	if n := len(history(f.Child(), conv)); n != 4 {
		t.Fatalf("%d messages, want 4", n)
	}
}
