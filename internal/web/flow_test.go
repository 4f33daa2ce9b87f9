package web_test

import (
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestBrowserFamilyFlow walks SPEC §13 end to end in real Chromium, with
// one isolated browser context per person: two parents sign up and wait,
// the admin approves them, each creates a child, the parents connect the
// children by friend code and both approve, the children chat live side
// by side, one reports a message, the admin resolves it, a parent reads the
// chat read-only, a game login goes from parent to child, and the parent
// exports and deletes the child.
func TestBrowserFamilyFlow(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	b := newBrowser(t, env.Server.URL)

	// Sign-up, then the awaiting-approval screen.
	pa := b.user("parent A")
	pa.visit("")
	pa.see("Welcome to Pixel Pals!")
	pa.check("login")
	pa.click("", "Create a parent account")
	pa.see("Only parents sign up")
	pa.fill("", "Your name", "Alice")
	pa.fill("", "Email", "alice@example.com")
	pa.fill("", "Password", "short")
	pa.click("", "Create account")
	pa.until("the password error next to its field", `document.querySelector("input[name=password][aria-invalid=true]")`)
	pa.check("signup-error")
	pa.fill("", "Password", "alice-password")
	pa.click("", "Create account")
	pa.see("Check your email") // issue 22.4: the link to confirm the address
	pa.click("", "Continue")
	pa.see("Awaiting approval")
	pa.check("pending")

	pb := b.user("parent B")
	pb.visit("#/signup")
	pb.fill("", "Your name", "Bob")
	pb.fill("", "Email", "bob@example.com")
	pb.fill("", "Password", "bob-password")
	pb.click("", "Create account")
	pb.click("Check your email", "Continue")
	pb.see("Awaiting approval")

	// The admin approves both.
	ad := b.user("admin")
	ad.login(admin.Login, admin.Password)
	ad.see("Parents waiting for approval")
	ad.see("alice@example.com")
	ad.check("admin-pending")
	ad.click("alice@example.com", "Approve")
	ad.click("bob@example.com", "Approve")
	ad.see("Nobody is waiting")

	// Each parent creates a child.
	// The waiting page notices the approval by itself.
	pa.see("Hello, Alice!")
	pa.see("No children yet")
	addChild(pa, "Ada", "ada1", "adapass")
	pa.check("parent-home")
	pb.see("Hello, Bob!")
	addChild(pb, "Ben", "ben1", "benpass")

	// Ada's friend code, typed in by Bob for Ben (which approves Ben's side).
	pa.click("Ada", "Open Ada")
	pa.see("Friend code")
	code := pa.text(".code")
	pb.click("Ben", "Open Ben")
	pb.fill("Add a friend by code", "Friend's code", code)
	pb.click("Add a friend by code", "Send friend request")
	pb.see("The other parent must approve it too")
	pb.see("waiting for the other parent")

	// Alice approves it from her home page (the request shows up by itself).
	pa.visit("#/")
	pa.see("Friend requests to approve")
	pa.click("Ben wants to be friends with Ada", "Approve Ben as Ada's friend")
	pa.see("No friend requests waiting for you")

	// The children log in and chat; what one sends shows up at the other's
	// without a reload.
	ka := b.user("child Ada")
	ka.login("ada1", "adapass")
	ka.see("Your parent can read all your chats")
	ka.click("Ben", "Chat with Ben")
	ka.see("Your parent can read this chat")
	kb := b.user("child Ben")
	kb.login("ben1", "benpass")
	kb.click("", "Ada")
	kb.see("Your parent can read this chat")
	kb.see("No messages yet")
	ka.fill("", "Your message", "Hi Ben! Want to build a castle?")
	ka.run(pressEnter("textarea[name=content]"))
	kb.see("Hi Ben! Want to build a castle?")
	kb.fill("", "Your message", "Yes! After school at 4")
	kb.click("", "Send")
	ka.see("Yes! After school at 4")
	ka.check("chat-child")
	kb.until("the live state shown", `document.getElementById("live").innerText.length > 0`)

	// Ben reports Ada's message; the admin removes it.
	kb.click("Hi Ben! Want to build a castle?", "Report")
	kb.fill("", "What is wrong with it?", "testing the report button")
	kb.check("report")
	kb.click("", "Send report")
	kb.see("A moderator will look at it")
	ad.click("", "Reports")
	ad.see("testing the report button")
	ad.check("admin-reports")
	ad.click("testing the report button", "Delete message")
	ad.click("testing the report button", "Yes, delete it")
	ad.see("No open reports")
	ka.see("This message was deleted.")
	kb.see("This message was deleted.")

	ka.fill("", "Your message", "See you at 4!")
	ka.click("", "Send")
	kb.see("See you at 4!")

	// Alice reads Ada's chat read-only (she still sees the deleted words),
	// and deletes one of Ada's messages.
	pa.click("Ada", "Open Ada")
	pa.click("Ben", "Read chat with Ben")
	pa.see("Read-only")
	pa.see("Yes! After school at 4")
	pa.see("Hi Ben! Want to build a castle?")
	var composer bool
	pa.js(`!!document.querySelector("textarea")`, &composer)
	if composer {
		t.Error("a parent reading their child's chat can type in it")
	}
	pa.click("See you at 4!", "Delete Ada's message")
	pa.until("the message marked deleted", `document.querySelectorAll(".messages .badge.bad").length === 2`)
	kb.see("This message was deleted.")
	kb.until("Ada's second message gone for Ben", `!document.querySelector(".messages").innerText.includes("See you at 4!")`)
	pa.check("chat-parent")

	// Keeper: Alice adds a game login, Ada reveals it.
	pa.click("", "← Back")
	pa.fill("Add a game login", "Game", "Minecraft")
	pa.fill("Add a game login", "Username in the game", "ada_builds")
	pa.fill("Add a game login", "Password in the game", "creeper-42")
	pa.click("Add a game login", "Save game login")
	pa.see("ada_builds")
	pa.seeNot("creeper-42")
	pa.check("parent-child")
	ka.click("", "Game logins")
	ka.see("Minecraft")
	ka.seeNot("creeper-42")
	ka.click("Minecraft", "Show password for Minecraft")
	ka.see("creeper-42")
	ka.check("child-logins")
	ka.click("", "Friends")
	ka.see("Your friend code")
	ka.check("child-friends")

	// Alice removes Ben as Ada's friend: their chat pauses, says why, and
	// cannot be written in.
	pa.click("Ben and Ada", "Remove friend")
	pa.click("Ben and Ada", "Yes, remove")
	pa.see("Ada has no friends here yet")
	ka.click("", "Chats")
	ka.see("paused")
	ka.click("", "Ben")
	ka.see("This chat is paused")
	ka.see("The chat was paused")
	ka.until("the composer disabled", `document.querySelector("textarea[name=content]").disabled && document.querySelector("form.composer button[type=submit]").disabled`)
	ka.check("chat-frozen")

	// Export: the link downloads everything about Ada as JSON.
	var export struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	pa.js(`(async () => { const a = [...document.querySelectorAll("a[download]")].find(a => a.innerText.includes("Download their data"));
		const r = await fetch(a.href); return {status: r.status, body: await r.text()}; })()`, &export)
	if export.Status != http.StatusOK || !strings.Contains(export.Body, `"ada1"`) || !strings.Contains(export.Body, "ada_builds") {
		t.Errorf("export: %d %.300s", export.Status, export.Body)
	}
	if strings.Contains(export.Body, "creeper-42") {
		t.Error("the export holds a game password")
	}

	// Delete Ada: her session ends and she is sent to the login page.
	pa.click("", "Delete Ada's account")
	pa.click("", "Yes, delete for good")
	pa.see("Hello, Alice!")
	pa.until("Ada gone from the list", `!document.querySelector("main").innerText.includes("Open Ada") && document.querySelector("main").innerText.includes("No children yet")`)
	ka.click("", "Chats")
	ka.see("Your session has ended")

	// Bob manages Ben: sees Ben's report, renames him, resets his password
	// (which ends Ben's sessions), then logs him out everywhere.
	pb.visit("#/")
	pb.click("Ben", "Open Ben")
	pb.see("testing the report button")
	pb.fill("Rename", "Name", "Benny")
	pb.click("Rename", "Rename")
	pb.see("Renamed.")
	pb.fill("New password", "New password", "benpass2")
	pb.click("New password", "Set password")
	pb.see("Password changed.")
	kb.see("Your session has ended")
	kb.login("ben1", "benpass2")
	kb.until("the new name in the header", `document.getElementById("whoami").innerText === "Benny"`)
	pb.click("", "Log out everywhere")
	kb.click("", "Friends")
	kb.see("Your session has ended")

	// Logout ends the session on the server, not just in the browser.
	cookie := pb.sessionCookie()
	if cookie == "" {
		t.Fatal("no session cookie in Bob's browser")
	}
	pb.click("", "Log out")
	pb.see("Welcome to Pixel Pals!")
	req, _ := http.NewRequest("GET", env.Server.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "pixelpals_session", Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout the old session cookie still answers %d", resp.StatusCode)
	}
}

func addChild(u *User, name, login, password string) {
	u.t.Helper()
	u.fill("Add a child", "Child's name", name)
	u.fill("Add a child", "Login name", login)
	u.fill("Add a child", "Password for your child", password)
	u.click("Add a child", "Create account")
	u.see(name + "'s account is ready")
	u.see("Logs in as " + login)
}
