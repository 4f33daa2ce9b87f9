package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real headless Chromium against the real
// service (internal/apitest: real HTTP stack, fresh PostgreSQL database).
// Each user gets an isolated browser context (own cookies and storage) in
// one browser process, so two children can chat side by side.

const installChromium = "install Chromium: sudo apt-get install -y chromium (or run scripts/setup --tests)"

const axeVersion = "4.14.1"

// repoRoot is the module root, two levels up from this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// artefacts is where screenshots go: $PIXELPALS_ARTEFACTS, else
// artefacts/web at the module root (git-ignored).
func artefacts(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PIXELPALS_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "artefacts", "web")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Browser is one Chromium process.
type Browser struct {
	t    *testing.T
	root context.Context
	base string // the service's URL
	axe  string // axe-core's source, injected only here in the tests
}

// newBrowser starts Chromium for t; it fails (never skips) when Chromium
// or axe-core is missing, saying how to install them.
func newBrowser(t *testing.T, base string, extraFlags ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	path := os.Getenv("PIXELPALS_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Fatal("no Chromium found: " + installChromium)
	}
	axePath := filepath.Join(repoRoot(t), ".cache", "axe-core-"+axeVersion, "axe.min.js")
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run scripts/setup --tests, which fetches it from npm", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 860),
	}
	opts = append(opts, extraFlags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(actx)
	if err := chromedp.Do(root); err != nil {
		cancelRoot()
		cancelAlloc()
		t.Fatalf("start Chromium at %s: %v (%s)", path, err, installChromium)
	}
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	return &Browser{t: t, root: root, base: base, axe: string(axe)}
}

// User is one person's isolated browser context (one tab).
type User struct {
	t    *testing.T
	b    *Browser
	name string
	ctx  context.Context

	mu     sync.Mutex
	errors []string // uncaught exceptions and console.error calls
}

// cspProbe records Content-Security-Policy violations in the page, so a
// test can assert there were none.
const cspProbe = `window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`

func (b *Browser) user(name string) *User {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	u := &User{t: b.t, b: b, name: name, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			u.mu.Lock()
			msg := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			u.errors = append(u.errors, msg)
			u.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				u.mu.Lock()
				u.errors = append(u.errors, "console.error: "+strings.Join(parts, " "))
				u.mu.Unlock()
			}
		}
	})
	if err != nil {
		b.t.Fatalf("%s: %v (%s)", name, err, installChromium)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	b.t.Cleanup(u.checkClean)
	return u
}

// checkClean fails the test if the page threw, logged an error or broke
// its own CSP, or put anything in web storage.
func (u *User) checkClean() {
	u.t.Helper()
	u.mu.Lock()
	errs := u.errors
	u.mu.Unlock()
	for _, e := range errs {
		u.t.Errorf("%s: page error: %s", u.name, e)
	}
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		CSP     []string `json:"csp"`
		Storage int      `json:"storage"`
	}](`({csp: window.__csp || [], storage: localStorage.length + sessionStorage.length})`))
	if err != nil {
		return // the tab may be gone already
	}
	for _, v := range out.CSP {
		u.t.Errorf("%s: CSP violation: %s", u.name, v)
	}
	if out.Storage != 0 {
		u.t.Errorf("%s: the page put %d items in web storage", u.name, out.Storage)
	}
}

func (u *User) run(actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.t.Fatalf("%s: %v", u.name, err)
	}
}

// visit opens the page at hash (e.g. "#/login").
func (u *User) visit(hash string) {
	u.t.Helper()
	u.run(chromedp.Navigate(u.b.base + "/" + hash))
}

// js evaluates expr in the page (awaiting a promise) into out.
func (u *User) js(expr string, out any) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatalf("%s: evaluate %.80q: %v", u.name, expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			u.t.Fatalf("%s: decode %s: %v", u.name, raw, err)
		}
	}
}

// until polls the boolean JavaScript expression cond until it holds.
func (u *User) until(what, cond string) {
	u.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var ok bool
		u.js("!!("+cond+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var text string
			u.js(`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`, &text)
			u.t.Fatalf("%s: timed out waiting for %s; the page says:\n%s", u.name, what, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// helpers are page-side functions the tests use to find things the way a
// person does: by their visible text and labels.
const helpers = `
const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && !el.closest("[hidden]");
const norm = s => (s || "").replace(/\s+/g, " ").trim();
const scopeOf = scope => {
  if (!scope) return document;
  const all = [...document.querySelectorAll("li, section, form, tr, .card")].filter(el => visible(el) &&
    (norm(el.innerText).includes(scope) || el.getAttribute("aria-label") === scope));
  return all.sort((a, b) => a.innerText.length - b.innerText.length)[0] || null;
};
const byText = (scope, text, sel) => {
  const root = scopeOf(scope);
  if (!root) return null;
  return [...root.querySelectorAll(sel || "button, a")].find(el => visible(el) && !el.disabled &&
    (norm(el.innerText) === text || el.getAttribute("aria-label") === text)) || null;
};
const byLabel = (scope, text) => {
  const root = scopeOf(scope);
  if (!root) return null;
  const l = [...root.querySelectorAll("label")].find(l => norm(l.innerText) === text && visible(l));
  return l ? document.getElementById(l.htmlFor) : null;
};
`

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// click clicks the visible button or link whose text (or aria-label) is
// text, inside the smallest list item, form or card containing scope (""
// for the whole page).
func (u *User) click(scope, text string) {
	u.t.Helper()
	u.until(fmt.Sprintf("a button %q in %q", text, scope),
		fmt.Sprintf(`(() => { %s const el = byText(%s, %s); if (el) el.click(); return el; })()`, helpers, jsString(scope), jsString(text)))
}

// fill types value into the input labelled label (inside scope).
func (u *User) fill(scope, label, value string) {
	u.t.Helper()
	sel := fmt.Sprintf(`(() => { %s return byLabel(%s, %s); })()`, helpers, jsString(scope), jsString(label))
	u.until(fmt.Sprintf("a field %q in %q", label, scope), sel)
	var id string
	u.js(`(() => { const el = `+sel+`; el.value = ""; el.focus(); return el.id; })()`, &id)
	u.run(chromedp.SendKeys(chromedp.ID(id), value))
}

// see waits until the main area shows text (a page still loading has
// no main area yet).
func (u *User) see(text string) {
	u.t.Helper()
	u.until(fmt.Sprintf("the text %q", text), `!!document.querySelector("main")?.innerText.includes(`+jsString(text)+`)`)
}

// seeNot asserts the main area does not show text right now.
func (u *User) seeNot(text string) {
	u.t.Helper()
	var has bool
	u.js(`document.querySelector("main").innerText.includes(`+jsString(text)+`)`, &has)
	if has {
		u.t.Fatalf("%s: the page shows %q, it should not", u.name, text)
	}
}

// text is the trimmed innerText of the first element matching css.
func (u *User) text(css string) string {
	u.t.Helper()
	u.until("an element "+css, `document.querySelector(`+jsString(css)+`)`)
	var s string
	u.js(`document.querySelector(`+jsString(css)+`).innerText.trim()`, &s)
	return s
}

// login logs in through the login form.
func (u *User) login(login, password string) {
	u.t.Helper()
	u.visit("#/login")
	u.fill("", "Email or login name", login)
	u.fill("", "Password", password)
	u.click("", "Log in")
	u.until("being logged in", `!document.getElementById("logout").hidden`)
}

// sessionCookie is the browser's session cookie (HttpOnly, so only the
// browser itself, here through the DevTools protocol, can read it).
func (u *User) sessionCookie() string {
	u.t.Helper()
	res, err := chromedp.Call(u.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{u.b.base}})
	if err != nil {
		u.t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "pixelpals_session" {
			if !c.HTTPOnly {
				u.t.Errorf("the session cookie is not HttpOnly")
			}
			return c.Value
		}
	}
	return ""
}

// check shoots the screen at phone and desktop width into the artefact
// folder and checks it with axe-core, failing on serious or critical
// violations.
func (u *User) check(name string) {
	u.t.Helper()
	time.Sleep(150 * time.Millisecond) // let the last render settle
	u.axeCheck(name)
	dir := artefacts(u.t)
	for _, size := range []struct {
		label string
		w, h  int64
	}{{"phone", 360, 740}, {"desktop", 1280, 860}} {
		u.run(chromedp.EmulateViewport(size.w, size.h), chromedp.Sleep(120*time.Millisecond))
		png, err := chromedp.Run(u.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			u.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.label+".png"), png, 0o644); err != nil {
			u.t.Fatal(err)
		}
	}
	// The page must not scroll sideways at phone width.
	var wide bool
	u.run(chromedp.EmulateViewport(360, 740), chromedp.Sleep(100*time.Millisecond))
	u.js(`document.documentElement.scrollWidth > 362`, &wide)
	u.run(chromedp.EmulateViewport(1280, 860))
	if wide {
		u.t.Errorf("%s: page %s scrolls sideways at 360 px", u.name, name)
	}
}

func (u *User) axeCheck(name string) {
	u.t.Helper()
	var loaded bool
	u.js(`typeof window.axe === "object"`, &loaded)
	if !loaded {
		u.js(u.b.axe+";true", &loaded)
	}
	var violations []string
	u.js(`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).slice(0, 5).join(", ")))`, &violations)
	for _, v := range violations {
		u.t.Errorf("%s: axe on %s: %s", u.name, name, v)
	}
}

// pressEnter presses Enter in the element matching css.
func pressEnter(css string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(css), "\r")
}

// pressTab focuses the element matching css and presses Tab, so focus
// moves the way a keyboard user moves it.
func pressTab(css string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(css), "\t")
}
