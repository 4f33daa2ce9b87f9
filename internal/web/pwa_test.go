package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/web"
)

type manifest struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	ShortName       string `json:"short_name"`
	StartURL        string `json:"start_url"`
	Scope           string `json:"scope"`
	Display         string `json:"display"`
	ThemeColor      string `json:"theme_color"`
	BackgroundColor string `json:"background_color"`
	Icons           []struct {
		Src, Sizes, Type, Purpose string
	} `json:"icons"`
}

// cssVar is the value of a custom property in style.css's :root.
func cssVar(t *testing.T, name string) string {
	t.Helper()
	css, err := os.ReadFile("assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`--` + name + `:\s*(#[0-9a-fA-F]{6})`).FindSubmatch(css)
	if m == nil {
		t.Fatalf("style.css has no --%s", name)
	}
	return strings.ToLower(string(m[1]))
}

// TestManifest: the page links the manifest; it is served at the root,
// revalidated, and describes an installable app (standalone, the whole
// site, the UI's colours) whose icons are served PNGs of their stated
// sizes, the maskable one filled to its edges with its drawing inside the
// safe circle.
func TestManifest(t *testing.T) {
	env := apitest.New(t)
	base := env.Server.URL
	_, page := get(t, base+"/")
	for _, want := range []string{`<link rel="manifest" href="/manifest.webmanifest">`, `<meta name="theme-color" content="` + cssVar(t, "ink") + `">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	r, body := get(t, base+"/manifest.webmanifest")
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/manifest+json" || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("manifest: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
	}
	checkSecurityHeaders(t, "manifest", r.Header)
	var m manifest
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("manifest does not parse: %v\n%s", err, body)
	}
	if m.Name != "Pixel Pals" || m.ShortName == "" || len(m.ShortName) > 12 || m.StartURL != "/" || m.Scope != "/" || m.ID != "/" || m.Display != "standalone" {
		t.Errorf("manifest %+v", m)
	}
	if m.ThemeColor != cssVar(t, "ink") || m.BackgroundColor != cssVar(t, "page") {
		t.Errorf("colours theme %s background %s, want the UI's --ink and --page", m.ThemeColor, m.BackgroundColor)
	}
	var purposes []string
	for _, ic := range m.Icons {
		if !strings.HasPrefix(ic.Src, "/assets/"+web.New().Version()+"/") {
			t.Errorf("icon %s is not a current versioned asset", ic.Src)
		}
		r, b := get(t, base+ic.Src)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" || ic.Type != "image/png" {
			t.Fatalf("icon %s: %d %s", ic.Src, r.StatusCode, r.Header.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader([]byte(b)))
		if err != nil {
			t.Fatalf("icon %s: %v", ic.Src, err)
		}
		if got := fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()); got != ic.Sizes {
			t.Errorf("icon %s is %v, manifest says %s", ic.Src, img.Bounds().Size(), ic.Sizes)
		}
		if ic.Purpose == "maskable" {
			checkMaskable(t, ic.Src, img)
		}
		purposes = append(purposes, ic.Purpose+" "+ic.Sizes)
	}
	for _, want := range []string{"any 192x192", "any 512x512", "maskable 512x512"} {
		if !slices.Contains(purposes, want) {
			t.Errorf("no %s icon: %v", want, purposes)
		}
	}
}

// checkMaskable: a launcher crops a maskable icon to a shape of its own
// that always covers the circle of 80 % of its side; outside it, only
// the background may show.
func checkMaskable(t *testing.T, name string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	bg := img.At(0, 0)
	if _, _, _, a := bg.RGBA(); a != 0xffff {
		t.Errorf("%s: the corner is transparent; a maskable icon is filled to its edges", name)
	}
	c, r := float64(b.Dx())/2, 0.4*float64(b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.At(x, y) != bg && math.Hypot(float64(x)+.5-c, float64(y)+.5-c) > r {
				t.Fatalf("%s: the drawing reaches (%d,%d), outside the safe circle", name, x, y)
			}
		}
	}
}

// TestServiceWorkerServed: /sw.js is served at the root (so its scope is
// the whole site), revalidated, named for the current version, and its
// app shell lists the page and every asset, each served, and nothing under
// /api/.
func TestServiceWorkerServed(t *testing.T) {
	env := apitest.New(t)
	base := env.Server.URL
	r, body := get(t, base+"/sw.js")
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("sw.js: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
	}
	checkSecurityHeaders(t, "sw.js", r.Header)
	version := web.New().Version()
	if !strings.Contains(body, `const VERSION = "`+version+`"`) {
		t.Errorf("sw.js does not name version %s", version)
	}
	m := regexp.MustCompile(`const SHELL = (\[.*\]);`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("sw.js has no SHELL list")
	}
	var shell []string
	if err := json.Unmarshal([]byte(m[1]), &shell); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/", "/assets/" + version + "/app.js", "/assets/" + version + "/push.js", "/assets/" + version + "/icon-192.png"} {
		if !slices.Contains(shell, want) {
			t.Errorf("the shell lacks %s", want)
		}
	}
	for _, u := range shell {
		if strings.HasPrefix(u, "/api/") || strings.HasSuffix(u, "/sw.js") || strings.HasSuffix(u, ".webmanifest") {
			t.Errorf("the shell lists %s", u)
		}
		if r, _ := get(t, base+u); r.StatusCode != 200 {
			t.Errorf("shell file %s: %d", u, r.StatusCode)
		}
	}
	if r, _ := get(t, base+"/assets/"+version+"/sw.js"); r.StatusCode != 404 {
		t.Errorf("sw.js is also served under /assets/: %d", r.StatusCode)
	}
}
