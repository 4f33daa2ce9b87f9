package respond

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Compressing a JSON answer is a per-route decision (docs/web.md "Which
// API answers are compressed"): an answer that holds a secret next to
// something the requester chose (a search, a name they typed) lets an
// attacker who can make the browser send requests and see their sizes
// guess the secret one character at a time (BREACH). Gzip wraps only the
// routes that carry no secret; everything else is sent as written.

// gzipMinSize is the smallest answer worth compressing: below it, the
// gzip header and the work cost more than the bytes saved.
const gzipMinSize = 1024

// Gzip serves h's answers gzipped when the client accepts gzip and the
// answer is a JSON success of at least gzipMinSize bytes. The answer is
// held until h returns (JSON answers are small and bounded), so its
// length is known and nothing is compressed that would not shrink.
func Gzip(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !AcceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.ServeHTTP(w, r)
			return
		}
		hw := &heldWriter{ResponseWriter: w}
		h.ServeHTTP(hw, r)
		hw.finish()
	})
}

// heldWriter keeps an answer's status and body until finish.
type heldWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (hw *heldWriter) WriteHeader(status int) {
	if hw.status == 0 {
		hw.status = status
	}
}

func (hw *heldWriter) Write(b []byte) (int, error) {
	if hw.status == 0 {
		hw.status = http.StatusOK
	}
	return hw.body.Write(b)
}

// finish sends the held answer, compressed when it is worth it.
func (hw *heldWriter) finish() {
	if hw.status == 0 {
		hw.status = http.StatusOK
	}
	h := hw.ResponseWriter.Header()
	body := hw.body.Bytes()
	if hw.status == http.StatusOK && len(body) >= gzipMinSize && isJSON(h.Get("Content-Type")) && h.Get("Content-Encoding") == "" {
		if gz := gzipBytes(body); len(gz) < len(body) {
			body = gz
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	hw.ResponseWriter.WriteHeader(hw.status)
	// The status is sent; a failure now is the client leaving.
	_, _ = hw.ResponseWriter.Write(body)
}

func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(strings.ToLower(mt)) == "application/json"
}

// gzipWriters are reused: a gzip.Writer holds some hundreds of KiB of
// tables, too much to make for every answer.
var gzipWriters = sync.Pool{New: func() any {
	zw, err := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	if err != nil {
		panic(err) // a valid level: cannot happen
	}
	return zw
}}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	zw.Write(b) // a bytes.Buffer does not fail
	zw.Close()
	gzipWriters.Put(zw)
	return buf.Bytes()
}

// AcceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3): gzip (or x-gzip)
// listed without q=0, or else * without q=0 (* stands only for the
// codings not listed: gzip refused by name stays refused).
func AcceptsGzip(header string) bool {
	named, star := false, false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		ok := true
		if q, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			if v, err := strconv.ParseFloat(strings.TrimSpace(q), 64); err == nil && v == 0 {
				ok = false
			}
		}
		if coding == "*" {
			star = star || ok
			continue
		}
		if !ok {
			return false
		}
		named = true
	}
	return named || star
}
