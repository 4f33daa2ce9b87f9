package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/web"
)

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP allows inline or eval: %q", what, csp)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("%s: Referrer-Policy %q", what, got)
	}
}

// TestServing checks the page, the assets and the UI's 404 on the real
// server: security headers on every response, immutable caching of the
// versioned assets, ETag revalidation of the page, and that the API and
// health routes are not swallowed by the UI.
func TestServing(t *testing.T) {
	env := apitest.New(t)
	base := env.Server.URL

	resp, page := get(t, base+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkSecurityHeaders(t, "page", resp.Header)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("page Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("page has no ETag")
	}
	if r, _ := get(t, base+"/", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("page revalidation: %d, want 304", r.StatusCode)
	}

	m := regexp.MustCompile(`/assets/([0-9a-f]{16})/app\.js`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page names no versioned app.js:\n%s", page)
	}
	version := m[1]
	if version != web.New().Version() {
		t.Errorf("page version %s, UI version %s", version, web.New().Version())
	}
	for _, name := range []string{"app.js", "style.css", "chat.js", "logo.svg", "icons/eye.svg"} {
		r, body := get(t, base+"/assets/"+version+"/"+name)
		if r.StatusCode != 200 || body == "" {
			t.Errorf("%s: %d", name, r.StatusCode)
			continue
		}
		checkSecurityHeaders(t, name, r.Header)
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		if r.Header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", name)
		}
	}
	if r, _ := get(t, base+"/assets/"+version+"/app.js"); r.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("app.js Content-Type %q", r.Header.Get("Content-Type"))
	}

	for _, path := range []string{"/assets/0000000000000000/app.js", "/assets/" + version + "/nope.js", "/nope", "/assets/" + version + "/../web.go"} {
		r, _ := get(t, base+path)
		if r.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
		}
		checkSecurityHeaders(t, path, r.Header)
	}
	// The 404 page speaks the browser's language (issue 25).
	for accept, want := range map[string]string{"": `<html lang="en">`, "de-CH,de;q=0.8": "Hoppla, diese Seite gibt es nicht",
		"es": "Uy, esta página no está aquí", "fr": "Oops, this page isn&#39;t here"} {
		if r, body := get(t, base+"/nope", "Accept-Language", accept); r.StatusCode != 404 || !strings.Contains(body, want) {
			t.Errorf("GET /nope in %q: %d, lacks %q:\n%s", accept, r.StatusCode, want, body)
		}
	}
	r, err := http.Post(base+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", r.StatusCode)
	}
	checkSecurityHeaders(t, "POST /", r.Header)

	// The API and health routes still answer for themselves.
	if r, body := get(t, base+"/api/v1/me"); r.StatusCode != 401 || !strings.Contains(body, `"error"`) {
		t.Errorf("GET /api/v1/me: %d %s", r.StatusCode, body)
	}
	if r, body := get(t, base+"/api/v1/nope"); r.StatusCode != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("GET /api/v1/nope: %d %s", r.StatusCode, body)
	}
	if r, _ := get(t, base+"/healthz"); r.StatusCode != 200 {
		t.Errorf("GET /healthz: %d", r.StatusCode)
	}
}

// TestAssetsHaveNoInlineCodeOrStorage keeps the shipped files within the
// CSP (no inline script, no style attributes) and away from web storage,
// where a secret could be read by any script on the origin.
func TestAssetsHaveNoInlineCodeOrStorage(t *testing.T) {
	root := os.DirFS("assets")
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		s := string(b)
		if strings.HasSuffix(p, ".html") {
			if inlineScript.MatchString(s) {
				t.Errorf("%s has an inline script", p)
			}
			if strings.Contains(s, " style=") || strings.Contains(s, "<style") || strings.Contains(s, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(s) {
				t.Errorf("%s has inline style or an event handler attribute", p)
			}
		}
		if strings.HasSuffix(p, ".js") {
			for _, bad := range []string{"localStorage", "sessionStorage", "innerHTML", "eval(", "new Function", `"style"`, ".style.", "setAttribute(\"style"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s uses %s", p, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKindWordsForEveryCode: every error code the API has (the domain
// package's Code constants) has its kind words in words.js, so no error
// a child can meet falls back on the API's developer message.
func TestKindWordsForEveryCode(t *testing.T) {
	src, err := os.ReadFile("../domain/domain.go")
	if err != nil {
		t.Fatal(err)
	}
	words, err := os.ReadFile("assets/words.js")
	if err != nil {
		t.Fatal(err)
	}
	codes := regexp.MustCompile(`(?m)^\s*Code\w+\s*=\s*"([a-z_]+)"`).FindAllSubmatch(src, -1)
	if len(codes) < 15 {
		t.Fatalf("found only %d codes in domain.go: has the file moved?", len(codes))
	}
	for _, c := range codes {
		code := string(c[1])
		if !regexp.MustCompile(`(?m)^\s*`+code+`: `).Match(words) && !strings.Contains(string(words), `"`+code+`"`) {
			t.Errorf("words.js has no kind words for the API's code %q", code)
		}
	}
}
