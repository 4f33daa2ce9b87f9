// This file tests the trusted grown-ups' screens (issue 21.3): the
// grown-up's code, the parents' proposal and approval on the child's
// Grown-ups card, the chat it allows, and its end.

package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// trustedFixture is Ada with two guardians (Anna, the primary, and Bert)
// and Grandma Rose, an approved parent of another family.
type trustedFixture struct {
	env               *apitest.Env
	ada               *apitest.Client
	anna, bert, grand *apitest.Client
}

func newTrustedFixture(t *testing.T) *trustedFixture {
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 1)
	f := &trustedFixture{env: env, ada: fa.Child(), anna: fa.Parent}
	name(fa, f.ada, "Ada")
	f.bert = env.Guardian(admin, f.anna, f.ada.UserID)
	f.grand = env.Family(admin, 0).Parent
	for c, n := range map[*apitest.Client]string{f.anna: "Anna", f.bert: "Bert", f.grand: "Grandma Rose"} {
		c.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": n}, nil)
	}
	return f
}

// trustedText is the innerText of the trusted grown-ups on the Grown-ups
// card, as JavaScript.
const trustedText = `(document.querySelector(".grown-ups .trusted") || {innerText: ""}).innerText`

// TestBrowserTrustedAdults: Grandma makes a code on her home page; Anna
// types a wrong one (a clear error), then Grandma's, on Ada's Grown-ups
// card: pending, waiting for Bert. Bert says yes on his own page, and
// Anna's open card turns active without a reload, as Grandma's "Children
// who trust you" does. Grandma starts the chat and writes; Ada sees her
// among her trusted grown-ups, reads and answers. Anna removes Grandma:
// Grandma's open chat says it is paused and will not take a message, and
// Ada's list loses her. Trusted again, Grandma leaves by herself. In
// German, both sides speak German.
func TestBrowserTrustedAdults(t *testing.T) {
	f := newTrustedFixture(t)
	b := newBrowser(t, f.env.Server.URL)

	gm := b.user("Grandma")
	gm.login(f.grand.Login, f.grand.Password)
	gm.see("Be a trusted grown-up")
	gm.see("No child yet.")
	gm.click("Be a trusted grown-up", "Make a code")
	code := gm.text(".trusted-code")
	gm.see("Valid until")
	gm.see("we never send it")
	gm.narrow("trusted-grandma-code")
	gm.shootPart("trusted-grandma-card-code", ".trust")

	a := b.user("Anna")
	a.login(f.anna.Login, f.anna.Password)
	child := fmt.Sprintf("#/child/%d", f.ada.UserID)
	a.visit(child)
	a.see("Trusted grown-ups")
	a.see("Ada has no trusted grown-ups yet.")
	a.fill("Add a trusted grown-up", "Code from the grown-up", "WRONG")
	a.click("Add a trusted grown-up", "Add")
	a.see("That code doesn't look right")
	a.fill("Add a trusted grown-up", "Code from the grown-up", "222222222222")
	a.click("Add a trusted grown-up", "Add")
	a.see("That code doesn't work")
	a.seeNoDeveloperText()
	a.fill("Add a trusted grown-up", "Code from the grown-up", code)
	a.click("Add a trusted grown-up", "Add")
	a.see("Grandma Rose is added. Ada's other parents still need to say yes.")
	a.until("Grandma pending, waiting for Bert", trustedText+`.includes("Waiting for a yes from Bert")`)
	a.until("Anna's yes shown", trustedText+`.includes("Said yes: Anna (you)")`)
	a.narrow("trusted-card-pending")
	a.shootPart("trusted-card-pending-part", ".grown-ups")

	p := b.user("Bert")
	p.login(f.bert.Login, f.bert.Password)
	p.visit(child)
	p.until("Bert's own name in the waiting line", trustedText+`.includes("Waiting for a yes from Bert (you)")`)
	p.click("", "Say yes to Grandma Rose for Ada")
	p.until("active on Bert's card", trustedText+`.includes("can chat")`)

	// Anna's page, open all along, follows without a reload; so does
	// Grandma's home page.
	a.until("active on Anna's open card", trustedText+`.includes("can chat") && `+trustedText+`.includes("Said yes: Anna (you) and Bert")`)
	a.narrow("trusted-card-active")
	a.shootPart("trusted-card-active-part", ".grown-ups")
	gm.until("Ada among the children who trust Grandma", `document.querySelector(".trusting").innerText.includes("Ada")`)
	gm.narrow("trusted-grandma")
	gm.shootPart("trusted-grandma-card", ".trust")

	gm.click("Children who trust you", "Chat with Ada")
	gm.until("the chat with Ada", `document.querySelector("h1") && document.querySelector("h1").innerText === "Chat with Ada"`)
	gm.fill("", "Your message", "Hello Ada, it is Grandma!")
	gm.click("", "Send")
	gm.see("Hello Ada, it is Grandma!")

	k := b.user("Ada")
	k.login(f.ada.Login, f.ada.Password)
	k.see("Your trusted grown-ups")
	k.see("trusted grown-up")
	k.narrow("trusted-child")
	k.click("", "Chat with Grandma Rose")
	k.see("Hello Ada, it is Grandma!")
	k.fill("", "Your message", "Hi Grandma!")
	k.click("", "Send")
	k.see("Hi Grandma!")
	gm.see("Hi Grandma!")

	// The chat is in Grandma's "My chats", and the parents read it.
	gm.visit("#/")
	gm.click("My chats", "Ada")
	gm.see("Hi Grandma!")
	a.visit(child)
	a.click("", "Read chat with Grandma Rose")
	a.see("Hello Ada, it is Grandma!")

	// Anna removes Grandma: her open chat pauses; Ada's list loses her.
	k.visit("#/")
	k.see("Your trusted grown-ups")
	a.visit(child)
	a.click("", "Remove Grandma Rose as Ada's trusted grown-up")
	a.see("Remove Grandma Rose? Grandma Rose can then no longer write to Ada")
	a.click("", "Yes, remove")
	a.until("Grandma gone from the card", trustedText+`.includes("Ada has no trusted grown-ups yet.")`)
	gm.see("This chat is paused: you can no longer chat with Ada.")
	gm.until("the message box disabled", `document.querySelector("textarea").disabled`)
	gm.narrow("trusted-grandma-chat-paused")
	k.until("Grandma gone from Ada's chat choices", `!document.querySelector("main").innerText.includes("Your trusted grown-ups")`)
	gm.visit("#/")
	gm.until("the chat paused in My chats", `[...document.querySelectorAll("li")].some(li => li.innerText.includes("Ada") && li.innerText.includes("paused"))`)
	gm.see("No child yet.")

	// Trusted again, Grandma leaves by herself.
	gm.click("Be a trusted grown-up", "Make a code")
	again := gm.text(".trusted-code")
	a.visit(child)
	a.fill("Add a trusted grown-up", "Code from the grown-up", again)
	a.click("Add a trusted grown-up", "Add")
	a.see("Grandma Rose is added.")
	p.click("", "Say yes to Grandma Rose for Ada")
	gm.until("Ada back in Grandma's list", `document.querySelector(".trusting").innerText.includes("Ada")`)
	gm.click("", "Leave: stop being Ada's trusted grown-up")
	gm.see("Stop being Ada's trusted grown-up? Your chat with Ada is paused at once.")
	gm.click("", "Yes, leave")
	gm.see("No child yet.")
	a.until("Grandma gone from Anna's card", trustedText+`.includes("Ada has no trusted grown-ups yet.")`)

	// In German, Grandma's card and Anna's part of the Grown-ups card
	// speak German.
	for _, c := range []*apitest.Client{f.anna, f.grand} {
		c.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "de"}, nil)
	}
	gm.run(chromedp.Reload())
	gm.until("Grandma's page in German", `document.documentElement.lang === "de"`)
	gm.see("Vertrauensperson werden")
	gm.click("Vertrauensperson werden", "Code erstellen")
	gm.see("Gültig bis")
	gm.axeCheck("trusted-grandma-de")
	gm.shootPart("trusted-grandma-card-de", ".trust")
	a.run(chromedp.Reload())
	a.until("Anna's page in German", `document.documentElement.lang === "de"`)
	a.fill("Vertrauensperson hinzufügen", "Code der Vertrauensperson", gm.text(".trusted-code"))
	a.click("Vertrauensperson hinzufügen", "Hinzufügen")
	a.see("Grandma Rose ist eingetragen.")
	a.until("the pending line in German", trustedText+`.includes("Wartet auf das Ja von Bert")`)
	a.axeCheck("trusted-card-de")
	a.shootPart("trusted-card-de", ".grown-ups")
}
