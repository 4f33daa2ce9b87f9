package deploytest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"pixelpals/internal/deploytest"
)

// TestServeThroughPgBouncer runs two `pixelpals serve` instances whose only
// way to the database is the real PgBouncer in transaction pooling mode,
// with fewer server connections than the instances' pools hold, so that
// consecutive transactions of one client connection land on different
// server connections. pgx runs in cache_describe mode: no named prepared
// statements, which PgBouncer 1.18 cannot keep across transactions (pgx's
// default mode fails at the first migration with "prepared statement
// stmtcache_... already exists"). The instances start
// together on an empty database (the migration lock works through the
// pooler), and the API's main flows run across both: sign-up, admin
// approval, a child, a contact approved by both parents, a conversation,
// sends, the history and a keeper reveal.
func TestServeThroughPgBouncer(t *testing.T) {
	pg := deploytest.NewPostgres(t, "pg", false)
	pg.Exec(t, "postgres", "CREATE DATABASE pixelpals")
	// PgBouncer logs in as a role of its own, so that its server
	// connections can be told from direct ones.
	pg.Exec(t, "postgres", "CREATE ROLE pooler LOGIN SUPERUSER")
	bouncer := deploytest.StartPgBouncer(t, pg.URL("pixelpals")+" user=pooler")
	env := map[string]string{
		"DATABASE_URL":         bouncer.URL("cache_describe"),
		"PIXELPALS_VAULT_KEYS": deploytest.KeyLine(t),
		// LISTEN needs a session of its own, so it bypasses transaction
		// pooling (the live events' connection; ignored by a service
		// without them).
		"PIXELPALS_LISTEN_DATABASE_URL": pg.URL("pixelpals"),
	}
	one, two := deploytest.StartServe(t, env), deploytest.StartServe(t, env)
	one.WaitListening(t)
	two.WaitListening(t)
	deploytest.CreateAdmin(t, env["DATABASE_URL"], "admin@example.com", "admin-password")
	w := deploytest.BuildWorld(t, one.URL(), "admin@example.com", "admin-password", "pgb")

	// The children send alternately through both instances, concurrently.
	servers := []*deploytest.Server{one, two}
	var wg sync.WaitGroup
	var want []string
	for k, kid := range []*deploytest.Client{w.KidA, w.KidB} {
		for i := range 10 {
			want = append(want, fmt.Sprintf("kid %d says %d", k, i))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				c := *kid
				c.Base = servers[i%2].URL()
				if r, err := c.Do("POST", fmt.Sprintf("/conversations/%d/messages", w.Conversation), map[string]string{
					"type": "text", "content": fmt.Sprintf("kid %d says %d", k, i), "client_id": fmt.Sprintf("k%d-%d", k, i)}); err != nil || r.Status != 201 {
					t.Errorf("send %d/%d: %v %+v", k, i, err, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	parentView := *w.ParentB
	parentView.Base = two.URL()
	got := parentView.History(w.Conversation)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("history through the pooler: %q, want %q", got, want)
	}

	// The keeper through the pooler: the parent stores, the child reveals.
	var cred deploytest.ID
	w.ParentA.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", w.KidAID),
		map[string]string{"game_name": "Blocks", "username": "a_builder", "password": "hunter2!"}, &cred)
	kid := *w.KidA
	kid.Base = two.URL()
	var revealed struct{ Password string }
	kid.Must(200, "POST", fmt.Sprintf("/game-credentials/%d/reveal", cred.ID), nil, &revealed)
	if revealed.Password != "hunter2!" {
		t.Fatalf("revealed %q", revealed.Password)
	}

	// All of that went through PgBouncer's few server connections (the
	// LISTEN connections, when the service has them, go direct as
	// postgres).
	var backends int
	pg.QueryRow(t, "postgres", `SELECT count(*) FROM pg_stat_activity WHERE datname = 'pixelpals' AND usename = 'pooler'`, nil, &backends)
	if backends == 0 || backends > deploytest.PoolSize {
		t.Fatalf("%d server connections to pixelpals, want 1..%d (all through PgBouncer)", backends, deploytest.PoolSize)
	}
	for _, s := range servers {
		if !s.Ready() {
			t.Fatalf("not ready through PgBouncer:\n%s", s.Output)
		}
	}
	// The instances started together and applied each migration once.
	var applied, distinct int
	pg.QueryRow(t, "pixelpals", `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`, nil, &applied, &distinct)
	if applied == 0 || applied != distinct {
		t.Fatalf("%d migrations recorded, %d distinct: want each once", applied, distinct)
	}
}
