package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
)

// The installable app (docs/web.md "Installable app"): its manifest and
// service worker are served at the root, not under /assets/<version>/,
// because a service worker controls only the paths below its own, and an
// installed app is known by its manifest's address. Both name the current
// version, so they are revalidated on every load (no-cache), like the page.
const (
	manifestPath = "/manifest.webmanifest"
	workerPath   = "/sw.js"
)

// rootFiles are the embedded files served at the root, by their names
// under assets/.
var rootFiles = map[string]string{"manifest.webmanifest": manifestPath, "sw.js": workerPath}

// rootAssets fills the version (and, into the service worker, the app
// shell's URLs: the page and every versioned asset) into the root files.
func (u *UI) rootAssets(raw map[string][]byte) map[string]asset {
	shell := []string{"/"}
	for name := range u.assets {
		shell = append(shell, "/assets/"+u.version+"/"+name)
	}
	sort.Strings(shell)
	list, _ := json.Marshal(shell)
	out := map[string]asset{}
	for name, b := range raw {
		b = bytes.ReplaceAll(b, []byte("{{VERSION}}"), []byte(u.version))
		b = bytes.ReplaceAll(b, []byte("{{SHELL}}"), list)
		a := newAsset(name, b)
		if name == "manifest.webmanifest" {
			a.contentType = "application/manifest+json"
		}
		out[rootFiles[name]] = a
	}
	return out
}

// serveRoot serves the root file at p.
func (u *UI) serveRoot(w http.ResponseWriter, r *http.Request, p string) {
	w.Header().Set("Cache-Control", "no-cache")
	serveAsset(w, r, u.root[p])
}
