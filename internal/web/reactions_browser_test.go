package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// chip is a page condition on message msg's count of kind: shown with
// count n, pressed (you reacted) or not; n 0: no count shown.
func chip(msg int64, kind string, n int, pressed bool) string {
	el := fmt.Sprintf(`document.querySelector('li[data-id="%d"] .react-chip[data-key="react-chip-%s"]')`, msg, kind)
	if n == 0 {
		return `!` + el
	}
	return fmt.Sprintf(`%s && %s.querySelector(".react-n").innerText.trim() === "%d" && %s.getAttribute("aria-pressed") === "%t"`, el, el, n, el, pressed)
}

// TestBrowserReactions: child A reacts to child B's message with the
// keyboard (the React button opens the six choices, each a toggle); B
// sees it live and adds theirs by pressing the count; A sees that live;
// Escape closes the choices back on the React button; A's parent, who
// only reads, sees the counts and no buttons.
func TestBrowserReactions(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ka, kb := fa.Child(), fb.Child()
	conv := directChat(t, fa, ka, fb, kb)
	var m struct{ ID int64 }
	kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "Look, I drew a pixel cat!", "client_id": "cat"}, &m)
	ka.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "text", "content": "So cute!", "client_id": "cute"}, nil)
	li := fmt.Sprintf(`li[data-id="%d"]`, m.ID)

	b := newBrowser(t, env.Server.URL)
	a := b.user("child A")
	a.login(ka.Login, ka.Password)
	a.visit(fmt.Sprintf("#/chat/%d", conv))
	a.see("Look, I drew a pixel cat!")
	bb := b.user("child B")
	bb.login(kb.Login, kb.Password)
	bb.visit(fmt.Sprintf("#/chat/%d", conv))
	bb.see("So cute!")

	// A, by keyboard: Enter on React opens the choices on the first.
	add := li + " .react-add"
	a.until("the React button", `document.querySelector(`+jsString(add)+`)`)
	a.run(chromedp.Focus(add), pressEnter(add))
	a.until("the choices open, the heart focused", `document.querySelector(`+jsString(add)+`).getAttribute("aria-expanded") === "true" &&
		document.activeElement.dataset.key === "react-pick-heart" && document.activeElement.getAttribute("aria-pressed") === "false"`)
	a.run(pressEnter(li + ` .react-pick[data-key="react-pick-heart"]`))
	a.until("the heart counted", chip(m.ID, "heart", 1, true))
	a.until("closed", `document.querySelector(`+jsString(add)+`).getAttribute("aria-expanded") === "false"`)
	a.until("focus back on React", `document.activeElement.dataset.key === "add"`)

	// B sees it live, not pressed, and presses it.
	bb.until("A's heart, live", chip(m.ID, "heart", 1, false))
	bb.run(chromedp.Click(li + ` .react-chip[data-key="react-chip-heart"]`))
	bb.until("two hearts, B's own pressed", chip(m.ID, "heart", 2, true))
	a.until("B's heart, live", chip(m.ID, "heart", 2, true))

	// Escape closes the choices, back on the React button.
	a.run(chromedp.Focus(add), pressEnter(add))
	a.until("the choices open", `document.activeElement.dataset.key === "react-pick-heart"`)
	a.run(chromedp.Click(li + ` .react-pick[data-key="react-pick-star"]`))
	a.until("A's star", chip(m.ID, "star", 1, true))
	bb.until("A's star, live", chip(m.ID, "star", 1, false))
	a.run(chromedp.Focus(add), pressEnter(add))
	a.until("the choices open again", `document.activeElement.dataset.key === "react-pick-heart"`)
	a.run(chromedp.SendKeys(li+` .react-pick[data-key="react-pick-heart"]`, "\x1b"))
	a.until("closed by Escape, focus on React", `document.querySelector(`+jsString(add)+`).getAttribute("aria-expanded") === "false" &&
		document.activeElement.dataset.key === "add"`)

	// Taking the star off: B sees it go.
	a.run(chromedp.Click(li + ` .react-chip[data-key="react-chip-star"]`))
	a.until("A's star gone", chip(m.ID, "star", 0, false))
	bb.until("A's star gone, live", chip(m.ID, "star", 0, false))

	// B's screen with the choices open, at 360 and 1280 px, checked by axe.
	bb.run(chromedp.Focus(add), pressEnter(add))
	bb.until("B's choices open", `document.activeElement.dataset.key === "react-pick-heart"`)
	bb.check("reactions-child")

	// A's parent reads the chat: the counts, and nothing to press.
	p := b.user("parent A")
	p.login(fa.Parent.Login, fa.Parent.Password)
	p.visit(fmt.Sprintf("#/child/%d/chat/%d", ka.UserID, conv))
	p.see("Look, I drew a pixel cat!")
	p.until("the counts, as text", fmt.Sprintf(`document.querySelector('%s .reactions .react-n')?.innerText === "2" &&
		!document.querySelector('%s .reactions button')`, li, li))
	p.check("reactions-parent")
}
