package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// TestBrowserLanguages: a parent and a child read their pages in German
// (their stored choice) and in Spanish (chosen with the switch on the
// page: the parent's own, and the child's on the parent's child page),
// with <html lang> set, no serious axe finding, and nothing wider than a
// 360 px phone (German words are long); the screenshots are in the
// artefact folder.
func TestBrowserLanguages(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ka, kb := fa.Child(), fb.Child()
	name(fa, ka, "Mathilda")
	name(fb, kb, "Friedrich-Wilhelm")
	befriend(t, fa, ka, fb, kb)
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", ka.UserID),
		map[string]string{"game_name": "Minecraft", "username": "mathilda_mc", "password": "blocks-and-more"}, nil)
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "de"}, nil)
	fa.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", ka.UserID), map[string]any{"locale": "de"}, nil)
	b := newBrowser(t, env.Server.URL)

	pa := b.user("German parent")
	pa.login(fa.Parent.Login, fa.Parent.Password)
	pa.until("the page in German", `document.documentElement.lang === "de"`)
	pa.see("Deine Kinder")
	pa.see("Freundschaftsanfragen zum Erlauben")
	pa.narrow("parent-home-de")
	pa.visit(fmt.Sprintf("#/child/%d", ka.UserID))
	pa.see("Schlafenszeit")
	pa.see("Sprache von Mathilda")
	// Relative times in the language: the game login changed "gerade eben" (or "vor 1 Minute" on a slow machine).
	pa.until("a relative time in German", `/geändert (gerade eben|vor \d+ Minute)/.test(document.querySelector("main").innerText)`)
	pa.narrow("child-page-de")
	pa.visit(fmt.Sprintf("#/child/%d/activity", ka.UserID))
	pa.see("Aktivität von Mathilda")
	pa.narrow("activity-de")

	kid := b.user("German child")
	kid.login(ka.Login, ka.Password)
	kid.until("the page in German", `document.documentElement.lang === "de"`)
	kid.see("Deine Eltern können alle deine Chats lesen.")
	kid.see("Chat mit einem Freund starten")
	kid.narrow("child-chats-de")
	kid.visit("#/friends")
	kid.see("Dein Freundescode")
	kid.narrow("child-friends-de")

	// Spanish through the switches: the parent's own, then the child's.
	pa.visit("#/")
	pa.choose("Sprache", "Sprache", "es")
	pa.click("Sprache", "Sprache speichern")
	pa.until("the page in Spanish", `document.documentElement.lang === "es"`)
	pa.see("Tus hijos")
	var me struct{ User struct{ Locale *string } }
	fa.Parent.Must(200, "GET", "/me", nil, &me)
	if me.User.Locale == nil || *me.User.Locale != "es" {
		t.Fatalf("the switch stored %v, want es", me.User.Locale)
	}
	pa.narrow("parent-home-es")
	pa.visit(fmt.Sprintf("#/child/%d", ka.UserID))
	pa.choose("Idioma de Mathilda", "Idioma", "es")
	pa.click("Idioma de Mathilda", "Guardar idioma")
	pa.see("Guardado.")
	pa.narrow("child-page-es")

	// The child's open page takes the new language when it is loaded again.
	kid.visit("#/")
	kid.run(chromedp.Reload())
	kid.until("the child's page in Spanish", `document.documentElement.lang === "es"`)
	kid.see("Tu madre o tu padre puede leer todos tus chats.")
	kid.narrow("child-chats-es")
	kid.visit("#/me")
	kid.see("Cambiar tu foto")
	kid.narrow("child-me-es")

	// Back to automatic: the browser's language (Chromium's, English).
	kid.choose("Idioma", "Idioma", "")
	kid.click("Idioma", "Guardar idioma")
	kid.until("the page back in the browser's English", `document.documentElement.lang === "en"`)
	kid.see("Change your picture")
}

// choose picks value in the select labelled label inside scope.
func (u *User) choose(scope, label, value string) {
	u.t.Helper()
	sel := fmt.Sprintf(`(() => { %s return byLabel(%s, %s); })()`, helpers, jsString(scope), jsString(label))
	u.until(fmt.Sprintf("a choice %q in %q", label, scope), sel)
	u.js(`(() => { const el = `+sel+`; el.value = `+jsString(value)+`; el.dispatchEvent(new Event("change")); return true; })()`, nil)
}

// narrow checks the page as check does (axe, screenshots at 360 px and
// desktop) and asserts, at 360 px, that nothing is wider than the window.
func (u *User) narrow(name string) {
	u.t.Helper()
	u.check(name)
	u.phone()
	// The whole page at phone width, to look at (check shoots the screen).
	png, err := chromedp.Run(u.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artefacts(u.t), name+"-phone-full.png"), png, 0o644); err != nil {
		u.t.Fatal(err)
	}
	var fit struct {
		Scroll, Inner int
		Wide          []string
	}
	u.js(`({scroll: document.documentElement.scrollWidth, inner: innerWidth,
		wide: [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
			.slice(0, 5).map(e => e.tagName + " " + (e.innerText || "").slice(0, 40))})`, &fit)
	u.desktop()
	if fit.Scroll > fit.Inner || len(fit.Wide) > 0 {
		u.t.Errorf("%s: %s at 360 px: scrollWidth %d > innerWidth %d, too wide: %v", u.name, name, fit.Scroll, fit.Inner, fit.Wide)
	}
}

// phone and desktop size the window, waiting until the page has the width.
func (u *User) phone() {
	u.t.Helper()
	u.run(chromedp.EmulateViewport(360, 740))
	u.until("the phone width", `innerWidth === 360`)
}

func (u *User) desktop() {
	u.t.Helper()
	u.run(chromedp.EmulateViewport(1280, 860))
	u.until("the desktop width", `innerWidth === 1280`)
}
