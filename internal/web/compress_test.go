package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// raw GETs url with header pairs through a client that neither asks for
// nor undoes compression, so the test sees the bytes on the wire.
func raw(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func gunzip(t *testing.T, what string, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not gzip: %v", what, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: bad gzip: %v", what, err)
	}
	return out
}

// TestTextAssetsGzipped: the page, modules, stylesheet, SVGs, manifest and
// service worker go out gzipped to a client that accepts it (with Vary,
// their own ETag and the compressed length), whole to one that does not
// or says q=0, and revalidate with 304; PNGs are never gzipped.
func TestTextAssetsGzipped(t *testing.T) {
	env := apitest.New(t)
	base := env.Server.URL
	_, page := raw(t, base+"/")
	version := regexp.MustCompile(`/assets/([0-9a-f]{16})/app\.js`).FindSubmatch(page)
	if version == nil {
		t.Fatalf("no versioned app.js in the page:\n%s", page)
	}
	v := string(version[1])
	for _, p := range []string{"/", "/assets/" + v + "/app.js", "/assets/" + v + "/chat/history.js", "/assets/" + v + "/style.css",
		"/assets/" + v + "/logo.svg", "/manifest.webmanifest", "/sw.js"} {
		plain, whole := raw(t, base+p)
		zipped, body := raw(t, base+p, "Accept-Encoding", "br, gzip;q=0.8")
		checkVaries(t, p, plain, zipped)
		if plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Content-Length") != strconv.Itoa(len(whole)) {
			t.Errorf("%s without Accept-Encoding: encoding %q, length %s for %d bytes", p,
				plain.Header.Get("Content-Encoding"), plain.Header.Get("Content-Length"), len(whole))
		}
		if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Fatalf("%s with gzip: encoding %q, length %s for %d bytes", p,
				zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Content-Length"), len(body))
		}
		if !bytes.Equal(gunzip(t, p, body), whole) {
			t.Errorf("%s: the gzipped body is not the file", p)
		}
		if len(body) >= len(whole) {
			t.Errorf("%s: gzipped %d bytes, whole %d", p, len(body), len(whole))
		}
		checkRevalidation(t, base+p, zipped.Header.Get("ETag"), plain.Header.Get("ETag"))
		if r, _ := raw(t, base+p, "Accept-Encoding", "gzip;q=0, identity"); r.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: gzipped for gzip;q=0", p)
		}
	}
	r, b := raw(t, base+"/assets/"+v+"/icon-192.png", "Accept-Encoding", "gzip")
	if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "" || r.Header.Get("Vary") != "" || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("PNG: %d, encoding %q, Vary %q", r.StatusCode, r.Header.Get("Content-Encoding"), r.Header.Get("Vary"))
	}
}

func checkVaries(t *testing.T, p string, rs ...*http.Response) {
	t.Helper()
	for _, r := range rs {
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d", p, r.StatusCode)
		}
		if !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q lacks Accept-Encoding", p, r.Header.Get("Vary"))
		}
	}
}

// checkRevalidation: each representation has its own ETag, and each
// revalidates to 304 for the client asking for that representation.
func checkRevalidation(t *testing.T, url, gzETag, plainETag string) {
	t.Helper()
	if gzETag == "" || gzETag == plainETag {
		t.Errorf("%s: ETags gzip %q, whole %q: want two different ones", url, gzETag, plainETag)
	}
	if r, _ := raw(t, url, "Accept-Encoding", "gzip", "If-None-Match", gzETag); r.StatusCode != http.StatusNotModified {
		t.Errorf("%s: revalidating the gzipped one: %d, want 304", url, r.StatusCode)
	}
	if r, _ := raw(t, url, "If-None-Match", plainETag); r.StatusCode != http.StatusNotModified {
		t.Errorf("%s: revalidating the whole one: %d, want 304", url, r.StatusCode)
	}
	if r, _ := raw(t, url, "If-None-Match", gzETag); r.StatusCode != 200 {
		t.Errorf("%s: the gzipped ETag revalidated the whole file: %d, want 200", url, r.StatusCode)
	}
}
