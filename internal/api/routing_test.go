package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestWrongMethodIs405 checks that a known path called with a method no
// route serves answers 405 with Allow, in the JSON error shape, while an
// unknown path stays 404.
func TestWrongMethodIs405(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	parent := env.Family(env.Admin(), 0).Parent
	cases := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"PUT", "/children", 405, "method_not_allowed", "GET, HEAD, POST"},
		{"POST", "/children/7", 405, "method_not_allowed", "PATCH, DELETE"},
		{"DELETE", "/openapi.json", 405, "method_not_allowed", "GET, HEAD"},
		{"POST", "", 405, "method_not_allowed", "GET, HEAD"},
		{"GET", "/no-such-thing", 404, "not_found", ""},
		{"PUT", "/no-such-thing", 404, "not_found", ""},
	}
	for _, c := range cases {
		r := parent.Do(c.method, c.path, nil)
		if r.Status != c.status || r.ErrorCode() != c.code || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d %s Allow %q, want %d %s Allow %q: %s", c.method, c.path,
				r.Status, r.ErrorCode(), r.Header.Get("Allow"), c.status, c.code, c.allow, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
	}
}

// TestAPIIndex: /api/v1 and /api/v1/ answer, without a redirect, with a
// JSON index pointing at the OpenAPI document.
func TestAPIIndex(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/api/v1", "/api/v1/"} {
		resp, err := client.Get(env.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if err := resp.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		var index struct{ OpenAPI string }
		if err := json.Unmarshal(b, &index); err != nil {
			t.Fatalf("GET %s: %d, not JSON: %s", path, resp.StatusCode, b)
		}
		if resp.StatusCode != 200 || index.OpenAPI != "/api/v1/openapi.json" {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		doc, err := client.Get(env.Server.URL + index.OpenAPI)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if doc.StatusCode != 200 || !strings.HasPrefix(doc.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("the index points at %s, which answers %d", index.OpenAPI, doc.StatusCode)
		}
	}
}
