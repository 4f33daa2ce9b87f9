package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"pixelpals/internal/server"
)

// TestHSTSOnlyOverTLS serves the same handler over real TLS and plain
// HTTP: every TLS response (a panic's 500 and a 404 included) carries
// Strict-Transport-Security, no plain one does.
func TestHSTSOnlyOverTLS(t *testing.T) {
	h := server.New(testConfig(), slog.New(slog.DiscardHandler), nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	}).Handler()
	secure, plain := httptest.NewTLSServer(h), httptest.NewServer(h)
	defer secure.Close()
	defer plain.Close()
	for _, path := range []string{"/healthz", "/nowhere", "/boom"} {
		for _, s := range []*httptest.Server{secure, plain} {
			resp, err := s.Client().Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			want := ""
			if s == secure {
				want = "max-age=63072000"
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != want {
				t.Errorf("%s %s: HSTS %q, want %q", s.URL, path, got, want)
			}
		}
	}
}
