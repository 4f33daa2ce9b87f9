// Package web is Pixel Pals' browser UI (SPEC §13): plain HTML, CSS and ES
// modules embedded in the binary and served at "/". It is only a client of
// the JSON API and the WebSocket under /api/v1, with the session cookie and
// the CSRF header; it has no back end of its own.
//
// Caching: every asset is served under /assets/<version>/, where version is
// a hash of all the assets, so a new binary changes every URL and the files
// can be cached for a year as immutable (relative imports between modules
// keep working inside one version). The page itself is small, revalidated
// on every load with an ETag, and names the current version. Text files are
// gzipped once at start-up and sent so to clients that accept it
// (compress.go).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"

	"pixelpals/internal/locale"
	"pixelpals/internal/respond"
)

//go:embed assets
var assetFS embed.FS

// ContentSecurityPolicy is sent with every UI response: scripts, styles,
// images and connections only from this origin, no inline script or style,
// no plugins, no framing. connect-src 'self' covers the same-origin
// WebSocket (ws/wss on the page's own host). blob: lets a voice clip being
// recorded, or an image being sent, be previewed before upload.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
	gz          []byte // body gzipped once (compress.go), nil when not worth it
	gzETag      string // the gzipped body's own ETag: a different representation
}

// UI serves the embedded page and its assets.
type UI struct {
	version string            // hash of every asset, the path segment of their URLs
	assets  map[string]asset  // by name below assets/, e.g. "app.js"
	index   asset             // the page, with the version filled in
	root    map[string]asset  // the manifest and service worker, by path (pwa.go)
	missing map[string][]byte // the 404 page by language, with the version filled in
}

// New loads the embedded assets.
func New() *UI {
	u := &UI{assets: map[string]asset{}}
	var names []string
	fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	sort.Strings(names)
	all := sha256.New()
	var page []byte
	raw := map[string][]byte{}
	for _, p := range names {
		b, err := assetFS.ReadFile(p)
		if err != nil {
			panic(err) // embedded: cannot happen
		}
		name := strings.TrimPrefix(p, "assets/")
		all.Write([]byte(name))
		all.Write(b)
		if name == "index.html" {
			page = b
			continue
		}
		if _, ok := rootFiles[name]; ok {
			raw[name] = b
			continue
		}
		u.assets[name] = newAsset(name, b)
	}
	u.version = hex.EncodeToString(all.Sum(nil))[:16]
	u.index = newAsset("index.html", bytes.ReplaceAll(page, []byte("{{VERSION}}"), []byte(u.version)))
	u.missing = notFoundPages(u.version)
	u.root = u.rootAssets(raw)
	return u
}

func newAsset(name string, b []byte) asset {
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".html":
		ct = "text/html; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	sum := sha256.Sum256(b)
	a := asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if compressible(name) {
		a.gz = gzipped(b)
	}
	if a.gz != nil {
		a.gzETag = strings.TrimSuffix(a.etag, `"`) + `-gz"`
	}
	return a
}

// Version is the path segment under /assets/ of the current assets.
func (u *UI) Version() string { return u.version }

// Register serves the UI on mux: the page at "/", the assets under
// /assets/<version>/, and a 404 page (with the same headers) for every
// other path outside the API.
func Register(mux *http.ServeMux) { New().Register(mux) }

// Register adds the UI's routes to mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.HandleFunc("/", u.serve)
}

// SetSecurityHeaders puts the headers every UI response carries.
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), geolocation=(), microphone=(self)")
}

func (u *UI) serve(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/" || p == "/index.html":
		// The page is revalidated each time so that a new binary's assets
		// are picked up at once.
		w.Header().Set("Cache-Control", "no-cache")
		serveAsset(w, r, u.index)
	case strings.HasPrefix(p, "/assets/"):
		version, name, _ := strings.Cut(strings.TrimPrefix(p, "/assets/"), "/")
		a, ok := u.assets[name]
		if !ok || version != u.version {
			u.notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		serveAsset(w, r, a)
	case u.root[p].body != nil:
		u.serveRoot(w, r, p)
	case p == "/favicon.ico":
		w.Header().Set("Cache-Control", "public, max-age=86400")
		serveAsset(w, r, u.assets["favicon.svg"])
	default:
		u.notFound(w, r)
	}
}

// serveAsset answers with a, gzipped when it has a gzipped body and the
// client accepts it (Vary tells caches the answer depends on that).
func serveAsset(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	body, etag := a.body, a.etag
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if respond.AcceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gz, a.gzETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// notFound answers a path outside the API that is nothing: a page a child
// may land on from an old or mistyped link, in words, with the way back.
// It is in the browser's language (Accept-Language; the page has no
// session to read an account's choice from).
func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept-Language")
	w.WriteHeader(http.StatusNotFound)
	w.Write(u.missing[locale.FromAcceptLanguage(r.Header.Get("Accept-Language"))])
}

// notFoundPages fills in the 404 page for each language.
func notFoundPages(version string) map[string][]byte {
	out := map[string][]byte{}
	for _, lang := range locale.Supported {
		page := strings.NewReplacer("{{VERSION}}", version, "{{LANG}}", lang,
			"{{TITLE}}", html.EscapeString(locale.Sprintf(lang, "Page not found")),
			"{{HEADING}}", html.EscapeString(locale.Sprintf(lang, "Oops, this page isn't here")),
			"{{TEXT}}", html.EscapeString(locale.Sprintf(lang, "The link may be old, or a letter in it may be wrong. Nothing is broken: your chats and friends are all still there.")),
			"{{GO}}", html.EscapeString(locale.Sprintf(lang, "Go to %s", "Pixel Pals"))).Replace(notFoundPage)
		out[lang] = []byte(page)
	}
	return out
}

// notFoundPage is the 404 page: static, styled by the app's stylesheet,
// no script (the CSP allows none inline).
const notFoundPage = `<!doctype html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} · Pixel Pals</title>
<link rel="icon" href="/assets/{{VERSION}}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/{{VERSION}}/style.css">
</head>
<body>
<header class="topbar">
  <a class="brand" href="/"><img src="/assets/{{VERSION}}/logo.svg" alt="" width="36" height="36"><span>Pixel Pals</span></a>
</header>
<main id="main">
<section class="card narrow hero" aria-labelledby="missing-h">
  <img class="sprite" src="/assets/{{VERSION}}/logo.svg" alt="" width="72" height="72">
  <h1 id="missing-h">{{HEADING}}</h1>
  <p>{{TEXT}}</p>
  <p><a class="btn" href="/">{{GO}}</a></p>
</section>
</main>
</body>
</html>
`
