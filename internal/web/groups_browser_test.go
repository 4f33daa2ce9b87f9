package web_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// befriend makes children a and b approved contacts: a's parent asks, b's
// parent approves (the same parent for siblings approves both sides).
func befriend(t *testing.T, fa *apitest.Family, a *apitest.Client, fb *apitest.Family, b *apitest.Client) {
	t.Helper()
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	b.Must(200, "GET", "/me/friend-code", nil, &code)
	var contact struct {
		ID     int64
		Status string
	}
	fa.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode, "child_id": a.UserID}, &contact)
	if contact.Status != "approved" {
		fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", contact.ID), nil, nil)
	}
}

// name gives child c of family f the display name n.
func name(f *apitest.Family, c *apitest.Client, n string) {
	f.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", c.UserID), map[string]string{"display_name": n}, nil)
}

// tick ticks the friend picker's box for who.
func (u *User) tick(who string) {
	u.t.Helper()
	u.until("the box for "+who, `(() => { const l = [...document.querySelectorAll(".picks label")].find(l => l.innerText.trim() === `+jsString(who)+`);
		if (l) l.click(); return l; })()`)
}

// openPeople opens a group chat's "People in this group" panel.
func (u *User) openPeople() {
	u.t.Helper()
	u.until("the people panel", `(() => { const d = document.querySelector("details.group-panel:not([hidden])"); if (d) d.open = true; return d && d.open; })()`)
}

// TestBrowserGroupChat: Zoe makes a group. Ben and her brother Leo are
// not friends, so a group of the three is refused with the reason in her
// words; Ben and Mia are, so that group is made. She renames it, Mia
// leaves (Zoe sees it live, named, after a reload too), adding Leo is
// refused in her words, she adds Mia back and takes her out again. Ben,
// a member, sees the group and its system messages but no owner tools.
func TestBrowserGroupChat(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb, fc := env.Family(admin, 2), env.Family(admin, 1), env.Family(admin, 1)
	zoe, leo, ben, mia := fa.Children[0], fa.Children[1], fb.Child(), fc.Child()
	name(fa, zoe, "Zoe")
	name(fa, leo, "Leo")
	name(fb, ben, "Ben")
	name(fc, mia, "Mia")
	befriend(t, fa, zoe, fa, leo)
	befriend(t, fa, zoe, fb, ben)
	befriend(t, fa, zoe, fc, mia)
	befriend(t, fb, ben, fc, mia)

	b := newBrowser(t, env.Server.URL)
	z := b.user("Zoe")
	z.login(zoe.Login, zoe.Password)
	z.see("Make a group")
	z.fill("Make a group", "Group name", "Club")
	z.tick("Ben")
	z.tick("Leo")
	z.click("Make a group", "Make the group")
	z.see("Ben and Leo are not friends yet: both their parents need to say OK.")
	z.seeNoDeveloperText()
	z.checkFull("child-group-refused")

	z.tick("Leo")
	z.tick("Mia")
	z.click("Make a group", "Make the group")
	z.until("the group's chat", `document.querySelector("h1") && document.querySelector("h1").innerText === "Club"`)
	z.openPeople()
	z.see("People in this group (3)")
	z.fill("Rename the group", "Group name", "Space club")
	z.click("Rename the group", "Rename")
	z.until("the new title", `document.querySelector("h1").innerText === "Space club"`)
	z.see("You named the group “Space club”.")
	z.fill("", "Your message", "Welcome to the space club!")
	z.click("", "Send")
	z.see("Welcome to the space club!")
	z.checkFull("child-group-chat")

	m := b.user("Mia")
	m.login(mia.Login, mia.Password)
	m.see("group of 3")
	m.click("", "Space club · group of 3")
	m.see("Welcome to the space club!")
	m.see("Zoe named the group “Space club”.")
	m.openPeople()
	m.seeNot("Rename the group")
	m.click("", "Leave the group")
	m.click("", "Yes, leave")
	m.see("Your chats")
	m.until("the group gone from Mia's list", `!document.querySelector("main").innerText.includes("Space club")`)

	z.see("Mia left the chat.")
	z.see("People in this group (2)")
	z.visit("#/")
	z.click("", "Space club · group of 2")
	z.see("Mia left the chat.") // her name is read again after a reload
	z.openPeople()
	z.setValue(`select[name=user_id]`, fmt.Sprint(leo.UserID))
	z.click("Add a friend to the group", "Add to the group")
	z.see("Leo and Ben are not friends yet: both their parents need to say OK.")
	z.seeNoDeveloperText()
	z.checkFull("child-group-add-refused")
	z.setValue(`select[name=user_id]`, fmt.Sprint(mia.UserID))
	z.click("Add a friend to the group", "Add to the group")
	z.see("Mia joined the chat.")
	z.see("People in this group (3)")
	z.click("", "Remove Mia from the group")
	z.click("", "Yes, take them out")
	z.see("Mia was removed from the chat.")
	z.see("People in this group (2)")

	n := b.user("Ben")
	n.login(ben.Login, ben.Password)
	n.click("", "Space club · group of 2")
	n.see("Zoe named the group “Space club”.")
	n.see("Mia left the chat.")
	n.see("Mia was removed from the chat.")
	n.openPeople()
	n.see("owner")
	n.seeNot("Rename the group")
	n.seeNot("Add a friend")
	n.checkFull("child-group-member")
}

// TestBrowserParentChat: a child starts a chat with their parent from the
// chats list; the parent finds it under "My chats" and answers, live;
// the parent starts a chat with their other child from that child's page,
// and makes a group for Ada with her friend Ben, which Ada owns.
func TestBrowserParentChat(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	ada, mx, ben := fa.Children[0], fa.Children[1], fb.Child()
	name(fa, ada, "Ada")
	name(fa, mx, "Max")
	name(fb, ben, "Ben")
	befriend(t, fa, ada, fb, ben)
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Anna"}, nil)

	b := newBrowser(t, env.Server.URL)
	k := b.user("Ada")
	k.login(ada.Login, ada.Password)
	k.see("Chat with your parent")
	k.click("", "Chat with Anna")
	k.until("the chat with Anna", `document.querySelector("h1") && document.querySelector("h1").innerText === "Chat with Anna"`)
	k.fill("", "Your message", "Can I go to Ben's after school?")
	k.click("", "Send")
	k.see("Can I go to Ben's after school?")

	p := b.user("Anna")
	p.login(fa.Parent.Login, fa.Parent.Password)
	p.see("My chats")
	p.checkFull("parent-my-chats")
	p.click("My chats", "Ada")
	p.see("Can I go to Ben's after school?")
	p.seeNot("Read-only")
	p.fill("", "Your message", "Yes, until 6!")
	p.click("", "Send")
	p.see("Yes, until 6!")
	p.checkFull("parent-chat-with-child")
	k.see("Yes, until 6!")
	k.checkFull("child-chat-with-parent")

	// From Max's page: the parent writes to him; the chat is in both
	// lists, and on Max's page it opens to write, not to read.
	p.visit(fmt.Sprintf("#/child/%d", mx.UserID))
	p.click("Chats", "Chat with Max")
	p.until("the chat with Max", `document.querySelector("h1") && document.querySelector("h1").innerText === "Chat with Max"`)
	p.fill("", "Your message", "Dinner is ready")
	p.click("", "Send")
	p.see("Dinner is ready")
	p.visit(fmt.Sprintf("#/child/%d", mx.UserID))
	p.click("You and Max", "Open your chat with Max")
	p.see("Dinner is ready")
	p.visit("#/")
	p.see("My chats")
	p.click("My chats", "Max")
	p.see("Dinner is ready")

	x := b.user("Max")
	x.login(mx.Login, mx.Password)
	x.click("", "Anna")
	x.see("Dinner is ready")

	// A group for Ada, made by her parent: Ada owns it, the parent reads.
	p.visit(fmt.Sprintf("#/child/%d", ada.UserID))
	p.fill("Make a group for Ada", "Group name", "Book club")
	p.tick("Ben")
	p.click("Make a group for Ada", "Make the group")
	p.until("the group, to read", `document.querySelector("h1") && document.querySelector("h1").innerText === "Ada's group “Book club”"`)
	p.see("Read-only")
	p.openPeople()
	p.see("People in this group (2)")
	p.seeNot("Rename the group")
	p.checkFull("parent-group-for-child")
	k.visit("#/")
	k.click("", "Book club · group of 2")
	k.openPeople()
	k.see("owner")
	k.see("Rename the group")
}
