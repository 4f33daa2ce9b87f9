package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// BenchmarkActivity builds a family whose child has exchanged 100k
// messages (over 90 days, 5% images) with 8 contacts, prints the plan of
// each dashboard section (EXPLAIN ANALYZE), and times the whole
// GET /children/{id}/activity read in the store beside a raw count of the
// child's messages in the window. Run with
//
//	go test -run='^$' -bench=Activity -benchtime=20x -v ./bench/
func BenchmarkActivity(b *testing.B) {
	const total = 100_000
	ctx := context.Background()
	env := apitest.New(b)
	admin := env.Admin()
	fam := env.Family(admin, 1)
	child := fam.Child()
	var convs []int64
	for range 8 {
		other := env.Family(admin, 1)
		approveLink(b, fam, child, other, other.Child())
		var c struct{ ID int64 }
		child.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{other.Child().UserID}, "is_group": false}, &c)
		convs = append(convs, c.ID)
	}
	if _, err := env.DB.Pool.Exec(ctx, `
		INSERT INTO messages (conversation_id, sender_id, type, content, created_at)
		SELECT c.conv, CASE WHEN g % 2 = 0 THEN $2 ELSE (SELECT user_id FROM conversation_members WHERE conversation_id = c.conv AND user_id <> $2) END,
		       CASE WHEN g % 20 = 0 THEN 'image' ELSE 'text' END, 'message ' || g,
		       now()::timestamp - (g * interval '90 days' / $3)
		FROM generate_series(1, $3) g
		CROSS JOIN LATERAL (SELECT ($1::int[])[1 + g % cardinality($1::int[])] AS conv) c`,
		convs, child.UserID, total); err != nil {
		b.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	until := time.Now().UTC()
	args := []any{child.UserID, until.Add(-store.ActivityWindow), until, 200}
	names := make([]string, 0, len(store.ActivitySections))
	for k := range store.ActivitySections {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		sql := store.ActivitySections[name]
		a := args
		if !strings.Contains(sql, "$4") {
			a = args[:3]
		}
		rows, err := env.DB.Pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+sql, a...)
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			rows.Scan(&line)
			plan = append(plan, line)
		}
		rows.Close()
		b.Logf("section %s:\n%s", name, strings.Join(plan, "\n"))
	}
	parent := &domain.Actor{UserID: fam.Parent.UserID, Role: domain.RoleParent, Active: true}
	var lat, raw []time.Duration
	for b.Loop() {
		t0 := time.Now()
		act, err := env.DB.ChildActivity(ctx, parent, child.UserID, until)
		if err != nil || len(act.Contacts) != 8 {
			b.Fatal(err, len(act.Contacts))
		}
		lat = append(lat, time.Since(t0))
		t0 = time.Now()
		var n int
		if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE conversation_id = ANY($1) AND created_at >= $2`,
			convs, args[1]).Scan(&n); err != nil {
			b.Fatal(err)
		}
		raw = append(raw, time.Since(t0))
	}
	b.ReportMetric(ms(percentile(lat, 0.5)), "activity-p50-ms")
	b.ReportMetric(ms(percentile(raw, 0.5)), "raw-count-p50-ms")
}

func approveLink(b *testing.B, fa *apitest.Family, a *apitest.Client, fb *apitest.Family, c *apitest.Client) {
	b.Helper()
	var code struct {
		Code string `json:"friend_code"`
	}
	c.Must(200, "GET", "/me/friend-code", nil, &code)
	var link struct{ ID int64 }
	fa.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.Code, "child_id": a.UserID}, &link)
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", link.ID), nil, nil)
}
