package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/config"
	"pixelpals/internal/pgtest"
	"pixelpals/internal/server"
	"pixelpals/internal/store"
)

func testConfig() config.Config {
	cfg := config.Load(func(string) string { return "" })
	if err := cfg.Finish(); err != nil {
		panic(err)
	}
	return cfg
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

// TestReadyzFollowsTheDatabase stops the database under a running server:
// readyz turns 503 while healthz stays 200, and readyz is 200 again once
// the database is back.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.Cluster(t)
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cluster.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := server.New(testConfig(), slog.New(slog.DiscardHandler), db).Handler()

	if code, body := get(t, h, "/readyz"); code != 200 {
		t.Fatalf("readyz with the database up: %d %s", code, body)
	}
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, h, "/readyz"); code != 503 {
		t.Fatalf("readyz with the database down: %d %s", code, body)
	}
	if code, _ := get(t, h, "/healthz"); code != 200 {
		t.Fatalf("healthz with the database down: %d", code)
	}
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The pool may still hold connections to the old server; the first
	// ping discards them, so allow a few tries.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := get(t, h, "/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d after the database came back", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRequestLogAndMetrics checks one log line per request, without the
// query string, and the per-route counters.
func TestRequestLogAndMetrics(t *testing.T) {
	logs := &apitest.Buffer{}
	h := server.New(testConfig(), slog.New(slog.NewJSONHandler(logs, nil)), nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	}).Handler()

	if code, _ := get(t, h, "/things/7?token=secret-value"); code != 204 {
		t.Fatalf("status %d", code)
	}
	if strings.Contains(logs.String(), "secret-value") {
		t.Fatalf("query string reached the log: %s", logs)
	}
	if !strings.Contains(logs.String(), `"route":"GET /things/{id}"`) {
		t.Fatalf("request log has no route pattern: %s", logs)
	}
	_, metrics := get(t, h, "/metrics")
	want := `pixelpals_http_requests_total{method="GET",route="GET /things/{id}",status="204"} 1`
	if !strings.Contains(metrics, want) {
		t.Fatalf("metrics lack %s", want)
	}
}

func TestPanicIsA500WithoutDetail(t *testing.T) {
	logs := &apitest.Buffer{}
	h := server.New(testConfig(), slog.New(slog.NewJSONHandler(logs, nil)), nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("internal detail") })
	}).Handler()
	code, body := get(t, h, "/boom")
	// The same error shape as every API error: respond.Error wrote it.
	if code != 500 || strings.TrimSpace(body) != `{"error":{"code":"internal","message":"internal error"}}` {
		t.Fatalf("got %d %s", code, body)
	}
	if !strings.Contains(logs.String(), "internal detail") {
		t.Fatal("the panic was not logged")
	}
}

// TestSecurityHeadersOnEveryResponse: a route's answer, an unmatched path,
// a method not allowed and a panic all carry nosniff and a same-origin
// resource policy.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := server.New(testConfig(), slog.New(slog.DiscardHandler), nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
		mux.HandleFunc("GET /plain", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<b>hi</b>") })
	}).Handler()
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/healthz", 200}, {"GET", "/plain", 200}, {"GET", "/nowhere", 404}, {"POST", "/healthz", 405}, {"GET", "/boom", 500}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code || rec.Header().Get("X-Content-Type-Options") != "nosniff" ||
			rec.Header().Get("Cross-Origin-Resource-Policy") != "same-origin" {
			t.Errorf("%s %s: %d, headers %v", c.method, c.path, rec.Code, rec.Header())
		}
	}
}

// TestGracefulShutdownFinishesInFlight cancels the server while a request
// is being served: the request still completes, then Serve returns.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{})
	srv := server.New(testConfig(), slog.New(slog.DiscardHandler), nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			if _, err := io.WriteString(w, "done"); err != nil {
				t.Error(err)
			}
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel()
	r := <-got
	if r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

// TestPanicIsLoggedAndCounted: a request that panicked still gets its
// request log line and its metrics, as a 500.
func TestPanicIsLoggedAndCounted(t *testing.T) {
	logs := &apitest.Buffer{}
	h := server.New(testConfig(), slog.New(slog.NewJSONHandler(logs, nil)), nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	}).Handler()
	get(t, h, "/boom")
	if !strings.Contains(logs.String(), `"msg":"request"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Fatalf("no request line for the panic: %s", logs)
	}
	_, metrics := get(t, h, "/metrics")
	if !strings.Contains(metrics, `pixelpals_http_requests_total{method="GET",route="GET /boom",status="500"} 1`) {
		t.Fatal("the panic was not counted")
	}
	if !strings.Contains(metrics, `pixelpals_http_errors_total{code="internal",route="GET /boom"} 1`) {
		t.Fatal("the panic was not counted by error code")
	}
}

// TestBoundedRoutes checks that a route wrapped with Bounded gets its own
// body cap and deadline while every other route keeps the defaults.
func TestBoundedRoutes(t *testing.T) {
	probe := func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		_, hasDeadline := r.Context().Deadline()
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
		if _, err := io.WriteString(w, strings.Join([]string{strconv.FormatInt(n, 10), strconv.FormatBool(hasDeadline)}, " ")); err != nil {
			t.Error(err)
		}
	}
	register := func(mux *http.ServeMux) {
		mux.HandleFunc("POST /plain", probe)
		mux.Handle("POST /upload", server.Bounded(http.HandlerFunc(probe), server.Bounds{MaxBody: 3 << 20}))
		mux.Handle("POST /socket", server.Bounded(http.HandlerFunc(probe), server.Bounds{Timeout: -1}))
	}
	h := server.New(testConfig(), slog.New(slog.DiscardHandler), nil, register).Handler()
	body := strings.Repeat("x", 2<<20) // over the default 1 MiB, under 3 MiB
	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/plain", http.StatusRequestEntityTooLarge, "true"},
		{"/upload", http.StatusOK, strconv.Itoa(len(body)) + " true"},
		{"/socket", http.StatusRequestEntityTooLarge, "false"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", c.path, strings.NewReader(body)))
		if rec.Code != c.status || !strings.HasSuffix(rec.Body.String(), c.want) {
			t.Errorf("POST %s: %d %q, want %d ending in %q", c.path, rec.Code, rec.Body.String(), c.status, c.want)
		}
	}
}
