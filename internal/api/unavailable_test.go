package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/migrations"
	"pixelpals/internal/pgtest"
)

// TestDatabaseRestartIsUnavailableNotInternal stops and starts PostgreSQL
// under a stream of reads and sends: every request that fails meanwhile
// answers 503 unavailable with Retry-After (never 500), the failures are
// counted by code in /metrics, and the service answers again once the
// database is back.
func TestDatabaseRestartIsUnavailableNotInternal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cluster := pgtest.Cluster(t)
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	db := pgtest.Open(t, cluster.ConnString("postgres"))
	m, err := migrations.New(db.Pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	env := apitest.New(t, apitest.Options{DB: db})
	fam := env.Family(env.Admin(), 2)
	a, b := fam.Children[0], fam.Children[1]
	approveLink(fam, a, fam, b)
	conv := createDirect(a, b.UserID)

	type outcome struct {
		status     int
		retryAfter string
		body       string
		err        error
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	request := func(c *apitest.Client, method, path, body string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, env.Server.URL+"/api/v1"+path, rd)
		if err != nil {
			panic(err) // a constant method and a valid URL
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		o := outcome{}
		resp, err := env.Server.Client().Do(req)
		if err == nil {
			var b []byte
			b, err = io.ReadAll(resp.Body)
			if cerr := resp.Body.Close(); err == nil {
				err = cerr
			}
			o = outcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b)}
		}
		o.err = err
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // a stream of requests, not a flood
	}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				switch w % 2 {
				case 0:
					request(a, "POST", fmt.Sprintf("/conversations/%d/messages", conv.ID),
						fmt.Sprintf(`{"type":"text","content":"hi","client_id":"w%d-%d"}`, w, i))
				default:
					request(fam.Parent, "GET", fmt.Sprintf("/conversations/%d/messages?limit=5", conv.ID), "")
				}
			}
		}()
	}

	time.Sleep(300 * time.Millisecond)
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Let requests run on until some succeed against the restarted server.
	deadline := time.Now().Add(20 * time.Second)
	for {
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		n := len(outcomes)
		recovered := n > 0 && outcomes[n-1].status/100 == 2
		mu.Unlock()
		if recovered || time.Now().After(deadline) {
			break
		}
	}
	close(stop)
	wg.Wait()

	counts := map[int]int{}
	for _, o := range outcomes {
		if o.err != nil {
			t.Fatalf("request failed without an answer: %v", o.err)
		}
		counts[o.status]++
		switch o.status {
		case 200, 201:
		case 503:
			if o.retryAfter == "" || !strings.Contains(o.body, `"code":"unavailable"`) {
				t.Fatalf("503 without Retry-After or code unavailable: %q %s", o.retryAfter, o.body)
			}
		default:
			t.Fatalf("status %d while the database restarted: %s", o.status, o.body)
		}
	}
	t.Logf("statuses while the database restarted: %v", counts)
	if counts[503] == 0 {
		t.Fatal("no request met the stopped database: the test proved nothing")
	}
	if last := outcomes[len(outcomes)-1]; last.status/100 != 2 {
		t.Fatalf("the service did not recover: last answer %d %s", last.status, last.body)
	}
	resp, err := env.Server.Client().Get(env.Server.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := io.ReadAll(resp.Body)
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(metrics), `pixelpals_http_errors_total{code="unavailable"`) {
		t.Fatal("/metrics does not count the unavailable answers")
	}
}
