package respond_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"pixelpals/internal/respond"
)

// TestGzip: respond.Gzip compresses a JSON success of 1 KiB or more for a
// client that takes gzip, and nothing else: not a small answer, not an
// error, not another type, not for a client that refuses gzip.
func TestGzip(t *testing.T) {
	big := map[string]string{"words": strings.Repeat("pancakes and then homework ", 100)}
	cases := []struct {
		name    string
		accept  string
		status  int
		body    any
		ctype   string
		gzipped bool
	}{
		{"a big JSON page", "gzip, deflate", 200, big, "", true},
		{"x-gzip", "x-gzip", 200, big, "", true},
		{"refused", "gzip;q=0, identity", 200, big, "", false},
		{"not asked", "", 200, big, "", false},
		{"small", "gzip", 200, map[string]int{"n": 1}, "", false},
		{"an error", "gzip", 400, big, "", false},
		{"not JSON", "gzip", 200, nil, "text/plain", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := respond.Gzip(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.ctype != "" {
					w.Header().Set("Content-Type", c.ctype)
					w.Write([]byte(strings.Repeat("plain text ", 300)))
					return
				}
				respond.JSON(w, c.status, c.body)
			}))
			plain := httptest.NewRecorder()
			respond.Gzip(h).ServeHTTP(plain, httptest.NewRequest("GET", "/x", nil))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/x", nil)
			if c.accept != "" {
				req.Header.Set("Accept-Encoding", c.accept)
			}
			h.ServeHTTP(rec, req)
			if rec.Code != c.status && c.ctype == "" {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("Vary %q", rec.Header().Values("Vary"))
			}
			body := rec.Body.Bytes()
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != c.gzipped {
				t.Fatalf("gzipped %t, want %t", got, c.gzipped)
			}
			if c.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Fatalf("decoded body differs from the plain answer")
			}
		})
	}
}

// TestAcceptsGzip: gzip refused by name (q=0) stays refused whatever "*"
// says: "*" stands only for the codings not listed (RFC 9110 §12.5.3).
func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                 false,
		"gzip":             true,
		"br, gzip;q=0.5":   true,
		"x-gzip":           true,
		"*":                true,
		"gzip;q=0":         false,
		"gzip;q=0, *":      false,
		"*, gzip; q=0.000": false,
		"*;q=0":            false,
		"*;q=0, gzip":      true,
		"identity, br;q=1": false,
	} {
		if got := respond.AcceptsGzip(h); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
