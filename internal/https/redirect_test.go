package https

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRedirect: plain requests go to the same path on https, on the TLS
// listener's port unless it is 443, and with ACME domains never to a
// host that is not one of them.
func TestRedirect(t *testing.T) {
	for _, c := range []struct {
		port    string
		domains []string
		method  string
		host    string
		target  string
		want    string
	}{
		{"443", nil, "GET", "chat.example.org", "/app?x=1", "https://chat.example.org/app?x=1"},
		{"443", nil, "POST", "chat.example.org:80", "/api/v1/auth/login", "https://chat.example.org/api/v1/auth/login"},
		{"8443", nil, "GET", "127.0.0.1:8080", "/", "https://127.0.0.1:8443/"},
		{"443", []string{"chat.example.org"}, "GET", "evil.example.net", "/x", "https://chat.example.org/x"},
		{"443", []string{"a.example.org", "b.example.org"}, "GET", "B.example.org", "/", "https://b.example.org/"},
	} {
		f := &Front{httpsPort: c.port}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, c.target, nil)
		req.Host = c.host
		f.redirector(c.domains).ServeHTTP(rec, req)
		if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != c.want {
			t.Errorf("%s http://%s%s: %d %q, want 308 %q", c.method, c.host, c.target, rec.Code, rec.Header().Get("Location"), c.want)
		}
	}
}
