// This file tests a child's "Grown-ups" screens (issue 21): inviting a
// second parent, accepting the code, reading the child's chats as a
// guardian, and being removed.

package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// TestBrowserGuardians: Anna (Ada's parent) makes an invitation code on
// Ada's page; Bert, an approved parent of another family, types it on
// his home page, sees Ada in his children list with Anna, opens Ada's
// page and reads her chat with Ben. Anna removes Bert: Ada disappears
// from his list, and her page tells him she is not in his family.
func TestBrowserGuardians(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ada, ben := fa.Child(), fb.Child()
	name(fa, ada, "Ada")
	name(fb, ben, "Ben")
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Anna"}, nil)
	fb.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Bert"}, nil)
	befriend(t, fa, ada, fb, ben)
	var convo struct{ ID int64 }
	ada.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{ben.UserID}, "is_group": false}, &convo)
	ada.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", convo.ID),
		map[string]any{"type": "text", "content": "Hello Ben, it is Ada!", "client_id": "g-1"}, nil)

	b := newBrowser(t, env.Server.URL)
	a := b.user("Anna")
	a.login(fa.Parent.Login, fa.Parent.Password)
	a.visit(fmt.Sprintf("#/child/%d", ada.UserID))
	a.see("Grown-ups")
	a.see("Anna (you)")
	a.see("main parent")
	a.click("Invite another parent", "Make an invitation code for Ada")
	a.until("the code", `document.querySelector(".invite-code")`)
	code := a.text(".invite-code")
	a.see("Valid until")
	a.see("we never send it")
	a.check("guardians-invite")
	a.shootPart("guardians-invite-card", ".grown-ups")

	p := b.user("Bert")
	p.login(fb.Parent.Login, fb.Parent.Password)
	p.see("Accept an invitation")
	p.fill("Accept an invitation", "Invitation code", "WRONG-CODE")
	p.click("Accept an invitation", "Accept")
	p.see("That invitation code doesn't look right")
	p.seeNoDeveloperText()
	p.fill("Accept an invitation", "Invitation code", code)
	p.click("Accept an invitation", "Accept")
	p.see("You now look after Ada too.")
	p.see("With Anna")
	p.check("guardians-accepted")
	p.shootPart("guardians-children-list", ".children")
	p.shootPart("guardians-accept-card", "section[aria-labelledby=accept-inv-h]")

	p.click("", "Open Ada")
	p.see("Bert (you)")
	p.check("guardians-second-parent")
	p.shootPart("guardians-second-parent-card", ".grown-ups")
	p.click("", "Read chat with Ben")
	p.see("Hello Ben, it is Ada!")

	// Ada may chat with each of her parents: Bert is offered beside Anna.
	k := b.user("Ada")
	k.login(ada.Login, ada.Password)
	k.see("Chat with your parents")
	k.see("Chat with Anna")
	k.click("", "Chat with Bert")
	k.fill("", "Your message", "Hi Bert!")
	k.click("", "Send")
	k.see("Hi Bert!")
	p.visit("#/")
	p.click("My chats", "Ada")
	p.see("Hi Bert!")
	k.narrow("guardians-child-parents")

	// Anna hands "main parent" over to Bert, and Bert hands it back.
	a.see("Bert")
	a.click("", "Make main parent: Bert")
	a.click("", "Yes, hand over")
	a.click("", "Leave: stop looking after Ada") // Anna may leave now; she does not
	a.click("", "Cancel")
	p.visit(fmt.Sprintf("#/child/%d", ada.UserID))
	p.click("", "Make main parent: Anna")
	p.click("", "Yes, hand over")
	p.until("Anna main parent again", `document.querySelector(".grown-ups li").innerText.includes("Anna")`)

	a.visit(fmt.Sprintf("#/child/%d", ada.UserID))
	a.click("", "Remove Bert")
	a.click("", "Yes, remove")
	a.until("Bert gone from the grown-ups", `!document.querySelector(".grown-ups").innerText.includes("Bert")`)
	a.check("guardians-removed")

	p.visit("#/")
	p.see("Your children")
	p.until("Ada gone from Bert's children", `!(document.querySelector(".children")?.innerText ?? "").includes("Ada")`)
	p.visit(fmt.Sprintf("#/child/%d", ada.UserID))
	p.see("This child is not in your family (any more).")

	// Invited again, Bert leaves by himself.
	a.click("Invite another parent", "Make an invitation code for Ada")
	a.until("a new code", `document.querySelector(".invite-code") && document.querySelector(".invite-code").innerText !== `+jsString(code))
	p.visit("#/")
	p.fill("Accept an invitation", "Invitation code", a.text(".invite-code"))
	p.click("Accept an invitation", "Accept")
	p.see("You now look after Ada too.")
	p.click("", "Open Ada")
	p.click("", "Leave: stop looking after Ada")
	p.click("", "Yes, leave")
	p.see("Your children")
	p.until("Ada gone after leaving", `!(document.querySelector(".children")?.innerText ?? "").includes("Ada")`)
	a.until("Bert gone from Anna's grown-ups", `!document.querySelector(".grown-ups").innerText.includes("Bert")`)

	// In German, Anna's card speaks German.
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "de"}, nil)
	a.visit(fmt.Sprintf("#/child/%d", ada.UserID))
	a.run(chromedp.Reload()) // the language is read with the account, when the page loads
	a.until("the page in German", `document.documentElement.lang === "de"`)
	a.see("Erwachsene")
	a.see("Anna (du)")
	a.click("Einen anderen Elternteil einladen", "Einladungscode erstellen (für Ada)")
	a.see("Gültig bis")
	a.axeCheck("guardians-de")
	a.shootPart("guardians-card-de", ".grown-ups")
}
