package web

import (
	"bytes"
	"compress/gzip"
	"path"
	"strconv"
	"strings"
)

// Text assets (modules, the stylesheet, the page, pictures drawn in SVG,
// the manifest) shrink to a quarter or less with gzip. They are embedded
// and never change while the binary runs, so each is compressed once, at
// start-up, at the best level: no request pays for compressing, and every
// answer for one file is byte-for-byte the same (stable ETag, Content-Length).

// compressible says whether a file is text that gzip pays for. PNG icons
// are compressed already.
func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".css", ".html", ".svg", ".json", ".webmanifest":
		return true
	}
	return false
}

// gzipped is b compressed, or nil when compressing does not make it
// smaller (a tiny file).
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		panic(err) // a valid level: cannot happen
	}
	zw.Write(b) // a bytes.Buffer does not fail
	zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

// acceptsGzip reads Accept-Encoding (RFC 9110 §12.5.3): gzip (or x-gzip,
// or *) listed without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(strings.TrimSpace(q), 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}
