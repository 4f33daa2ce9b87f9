// This file tests a parent's mail settings page (issue 22.7): per kind
// at once, daily or off, the weekly summary and the digest's time zone.

package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// TestBrowserMailSettings: from the home page's card a parent opens the
// mail settings, which show the server's settings; a time zone the server
// does not know is refused under its field and changes nothing; good
// choices are saved, shown again after a reload, and are what the API
// answers. axe-clean, shot at 360 px and desktop.
func TestBrowserMailSettings(t *testing.T) {
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 1)
	b := newBrowser(t, env.Server.URL)
	pa := b.user("a parent")
	pa.login(fa.Parent.Login, fa.Parent.Password)
	pa.see("Mails to you")
	pa.click("Mails to you", "Mail settings")
	pa.until("the settings form", `document.querySelector("form[aria-label='Mail settings'] select[name=leak_guard]")`)
	var got struct{ LeakGuard, ContactRequest string }
	pa.js(`({LeakGuard: document.querySelector("select[name=leak_guard]").value,
		ContactRequest: document.querySelector("select[name=contact_request]").value})`, &got)
	if got.LeakGuard != "now" || got.ContactRequest != "now" {
		t.Fatalf("the form shows %+v, want the defaults (now)", got)
	}
	pa.checkFull("parent-mail-settings")

	pa.setValue("select[name=leak_guard]", "daily")
	pa.setValue("select[name=report_resolved]", "off")
	pa.setValue("input[name=time_zone]", "Mars/Olympus")
	pa.click("", "Save mail settings")
	pa.until("the time zone's error under its field", `document.querySelector("input[name=time_zone][aria-invalid=true]") &&
		document.querySelector("input[name=time_zone]").closest(".field").querySelector(".field-error").innerText.includes("time zone")`)
	var s map[string]any
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["leak_guard"] != "now" || s["time_zone"] != "UTC" {
		t.Fatalf("a refused save changed settings: %v", s)
	}
	pa.checkFull("parent-mail-settings-error")

	pa.setValue("input[name=time_zone]", "Asia/Tokyo")
	pa.js(`document.querySelector("input[name=weekly_summary]").click(); true`, nil)
	pa.click("", "Save mail settings")
	pa.until("saved", `document.querySelector("form[aria-label='Mail settings'] .ok-msg").innerText.includes("Saved")`)
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["leak_guard"] != "daily" || s["report_resolved"] != "off" || s["time_zone"] != "Asia/Tokyo" || s["weekly_summary"] != false {
		t.Fatalf("after saving: %v", s)
	}

	pa.run(chromedp.Reload())
	pa.until("the saved settings after a reload", `document.querySelector("select[name=leak_guard]")?.value === "daily" &&
		document.querySelector("input[name=time_zone]").value === "Asia/Tokyo" &&
		!document.querySelector("input[name=weekly_summary]").checked`)

	unsubscribeInBrowser(t, env, pa, fa)
}

// unsubscribeInBrowser opens a digest's unsubscribe link in the browser:
// a page asking to confirm (the GET changes nothing), then its button
// switches every daily kind off.
func unsubscribeInBrowser(t *testing.T, env *apitest.Env, pa *User, fa *apitest.Family) {
	t.Helper()
	var s map[string]any
	tok, err := notify.Unsubscribe{Ring: env.Vault}.Token(fa.Parent.UserID, notify.UnsubscribeDaily)
	if err != nil {
		t.Fatal(err)
	}
	pa.run(chromedp.Navigate(notify.UnsubscribeURL(env.Server.URL, tok)))
	pa.see("Stop getting daily digest mails?")
	pa.check("unsubscribe-confirm")
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["leak_guard"] != "daily" {
		t.Fatalf("the confirm page changed settings: %v", s)
	}
	pa.click("", "Yes, stop these mails")
	pa.see("Done: you will get no more daily digest mails.")
	pa.check("unsubscribe-done")
	fa.Parent.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s["leak_guard"] != "off" || s["report_resolved"] != "off" || s["contact_request"] != "now" {
		t.Fatalf("after unsubscribing from the digest: %v", s)
	}
}
