package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// cachedURLs lists every request kept in the page's Cache Storage, by
// path (every cache, not only the service worker's current one).
func (u *User) cachedURLs() []string {
	u.t.Helper()
	var urls []string
	u.js(`(async () => {
		const out = [];
		for (const name of await caches.keys()) {
			for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname + new URL(req.url).search);
		}
		return out.sort();
	})()`, &urls)
	return urls
}

// shellOf is the app shell /sw.js lists.
func shellOf(t *testing.T, base string) []string {
	t.Helper()
	_, body := get(t, base+"/sw.js")
	m := regexp.MustCompile(`const SHELL = (\[.*\]);`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("sw.js has no SHELL")
	}
	var shell []string
	if err := json.Unmarshal([]byte(m[1]), &shell); err != nil {
		t.Fatal(err)
	}
	return shell
}

// setOffline cuts (or restores) this user's network, for the page and its
// service worker alike, and navigator.onLine with it.
func (u *User) setOffline(off bool) {
	u.t.Helper()
	yes := true
	conds := []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}
	if _, err := chromedp.Call(u.ctx, network.EmulateNetworkConditionsByRule,
		network.EmulateNetworkConditionsByRuleParams{EmulateOfflineServiceWorker: &yes, MatchedNetworkConditions: conds}); err != nil {
		u.t.Fatal(err)
	}
	if _, err := chromedp.Call(u.ctx, network.OverrideNetworkState,
		network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		u.t.Fatal(err)
	}
}

// TestBrowserInstallableOffline: Chromium finds the manifest the page
// links, parses it without error and finds the app installable; the
// service worker takes control and keeps exactly the app shell, never an
// API answer, however much the parent browses; with the network cut, a
// reload opens the kept shell, which says it is offline (axe-clean, at
// 360 px too), and the page comes back by itself with the network.
func TestBrowserInstallableOffline(t *testing.T) {
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 1)
	b := newBrowser(t, env.Server.URL)
	u := b.user("parent")
	u.login(fam.Parent.Login, fam.Parent.Password)
	u.see("Your children")

	m, err := chromedp.Call(u.ctx, page.GetAppManifest, page.GetAppManifestParams{})
	if err != nil {
		t.Fatal(err)
	}
	if m.URL != env.Server.URL+"/manifest.webmanifest" || len(m.Errors) > 0 || m.Manifest == nil {
		t.Fatalf("manifest %s: errors %v, parsed %v", m.URL, m.Errors, m.Manifest != nil)
	}
	if p := m.Manifest; p.Name != "Pixel Pals" || !strings.EqualFold(strings.TrimPrefix(p.Display, "k"), "standalone") || p.StartURL != env.Server.URL+"/" || len(p.Icons) != 3 {
		t.Errorf("parsed manifest: name %q display %q start %q, %d icons", p.Name, p.Display, p.StartURL, len(p.Icons))
	}
	u.until("the service worker controlling the page", `navigator.serviceWorker.controller !== null`)
	inst, err := chromedp.Call(u.ctx, page.GetInstallabilityErrors, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range inst.InstallabilityErrors {
		// Each test user is a separate browser context, which Chromium
		// counts as incognito, where nothing installs: not the app's doing.
		if e.ErrorID != "in-incognito" {
			t.Errorf("not installable: %s", e.ErrorID)
		}
	}

	shell := shellOf(t, env.Server.URL)
	deadline := time.Now().Add(15 * time.Second)
	for len(u.cachedURLs()) < len(shell) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	u.visit(fmt.Sprintf("#/child/%d", fam.Child().UserID))
	u.see("Account")
	u.visit("#/")
	u.see("Notifications on this device")
	cached := u.cachedURLs()
	if !slices.Equal(cached, shell) {
		t.Errorf("the caches hold %d requests, want exactly the %d of the shell", len(cached), len(shell))
	}
	for _, c := range cached {
		if strings.HasPrefix(c, "/api/") {
			t.Errorf("an API answer was cached: %s", c)
		}
	}
	u.checkFull("parent-home-push")

	u.setOffline(true)
	u.run(chromedp.Reload())
	u.see("You're offline")
	u.see("no internet connection")
	u.check("offline")
	u.setOffline(false)
	u.until("the page back by itself", `document.querySelector("main").innerText.includes("Your children")`)
}

// setNotifications answers the notification permission prompt for u's
// browser context: "granted" or "denied".
func (u *User) setNotifications(setting browser.PermissionSetting) {
	u.t.Helper()
	_, err := chromedp.CallBrowser(u.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: setting,
		Origin: u.b.base, BrowserContextID: chromedp.FromContext(u.ctx).BrowserContextID})
	if err != nil {
		u.t.Fatal(err)
	}
}

// pushSwitch is the JavaScript for the "Notify me on this device" switch.
const pushSwitch = `document.getElementById([...document.querySelectorAll("label")].find(l => l.innerText.trim() === "Notify me on this device").htmlFor)`

// TestBrowserPushSwitch drives the parent's switch as far as headless
// Chromium goes: with notifications blocked, turning it on says how to
// allow them and stays off; with them allowed, the browser asks its push
// service for a subscription with the server's VAPID key. Headless
// Chromium has no push service to reach, so it cannot subscribe: the page
// says so, the switch goes back off, and the server keeps nothing. (The
// server's side, a real subscription's pushes encrypted and decrypted, is
// internal/notify's TestPushDelivered.)
func TestBrowserPushSwitch(t *testing.T) {
	env := apitest.New(t)
	fam := env.Family(env.Admin(), 1)
	b := newBrowser(t, env.Server.URL)
	u := b.user("parent")
	u.setNotifications(browser.PermissionSettingDenied)
	u.login(fam.Parent.Login, fam.Parent.Password)
	u.see("Notifications on this device")
	u.until("the switch ready", `!(`+pushSwitch+`).disabled`)
	var on bool
	u.js(`(`+pushSwitch+`).checked`, &on)
	if on {
		t.Fatal("the switch is on before anything was asked")
	}
	u.js(`(`+pushSwitch+`).click(), true`, nil)
	u.see("Notifications are blocked for Pixel Pals in this browser")
	u.until("the switch back off", `!(`+pushSwitch+`).checked && !(`+pushSwitch+`).disabled`)
	u.checkFull("parent-push-blocked")

	u.setNotifications(browser.PermissionSettingGranted)
	u.js(`(`+pushSwitch+`).click(), true`, nil)
	u.until("the subscription attempt's outcome", `(() => { const t = document.querySelector("main").innerText;
		return t.includes("Notifications are on for this device") || t.includes("could not sign up for notifications"); })()`)
	var text string
	u.js(`document.querySelector("main").innerText`, &text)
	var subs int
	if err := env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM push_subscriptions`).Scan(&subs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "Notifications are on for this device") {
		// A Chromium that reaches a push service: the server has it.
		if subs != 1 {
			t.Fatalf("the page says on, the server has %d subscriptions", subs)
		}
	} else if subs != 0 {
		t.Fatalf("the subscription failed, yet the server has %d", subs)
	}
	u.checkFull("parent-push-switch")

	// Logging out turns push off on the device first (push.js
	// forgetDevice): with or without a subscription, the logout goes
	// through and ends the session on the server.
	cookie := u.sessionCookie()
	u.click("", "Log out")
	u.see("Welcome to Pixel Pals!")
	req, _ := http.NewRequest("GET", env.Server.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "pixelpals_session", Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("after logging out, the old session answers %d, want 401", resp.StatusCode)
	}
}
