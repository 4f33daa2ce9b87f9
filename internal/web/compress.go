package web

import (
	"bytes"
	"compress/gzip"
	"path"
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
