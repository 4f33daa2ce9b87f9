// This file tests what a family reads when something goes wrong or goes
// away (issue 19.7): a declined sign-up, kind words instead of the API's
// developer messages, a deleted friend's chat and a pending friend's
// picture.

package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// developerTexts are API messages no child or parent should ever read.
var developerTexts = []string{"POST /media", "in all", "no such conversation", "404 page not found",
	"wrong login or password", "keep your account waiting", "Someone", "Just you"}

// seeNoDeveloperText fails if the page shows one of developerTexts.
func (u *User) seeNoDeveloperText() {
	u.t.Helper()
	var body string
	u.js(`document.body.innerText`, &body)
	for _, s := range developerTexts {
		if bytes.Contains([]byte(body), []byte(s)) {
			u.t.Errorf("%s: the page shows %q:\n%s", u.name, s, body)
		}
	}
}

// TestBrowserRejectedParent: a parent waiting for approval is declined
// by an admin; the waiting page turns by itself into a page saying so and
// what they can do, and stays so after a reload and a login attempt.
func TestBrowserRejectedParent(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	pending := env.PendingParent()
	b := newBrowser(t, env.Server.URL)
	p := b.user("declined parent")
	p.login(pending.Login, pending.Password)
	p.see("Awaiting approval")
	p.click("", "Check again")
	p.see("changes by itself")

	admin.Must(204, "POST", fmt.Sprintf("/admin/users/%d/reject", pending.UserID), nil, nil)
	p.see("Your request was declined")
	p.see("Your account has been removed")
	p.see("sign up again")
	p.seeNoDeveloperText()
	p.check("parent-declined")

	p.visit("")
	p.run(chromedp.Reload())
	p.see("Your request was declined")
	// A login with the removed account, from this browser, says it too.
	p.click("", "Log in with another account")
	p.fill("", "Email or login name", pending.Login)
	p.fill("", "Password", pending.Password)
	p.click("", "Log in")
	p.see("Your request was declined")
	p.seeNoDeveloperText()
	p.click("", "Sign up again")
	p.see("Create a parent account")
}

// tooWidePNG is a tiny PNG whose header says 12001 × 1 pixels: wider than
// any picture the service takes, refused from its header alone.
func tooWidePNG(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 12001, 1))); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "wide.png", buf.Bytes())
}

func smallPNG(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "small.png", buf.Bytes())
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrowserKindWords: the errors a child meets read as kind sentences:
// a picture too big, a chat that is not there, a page that is not there;
// and "Type a message first." goes once a photo is sent.
func TestBrowserKindWords(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ka, kb := fa.Child(), fb.Child()
	conv := directChat(t, fa, ka, fb, kb)

	b := newBrowser(t, env.Server.URL)
	a := b.user("child A")
	a.login(ka.Login, ka.Password)
	a.visit(fmt.Sprintf("#/chat/%d", conv))
	a.see("Send a photo")
	a.click("Send a message", "Send")
	a.see("Type a message first.")
	a.run(chromedp.SetUploadFiles(chromedp.CSS(`.tools input[type=file]`), []string{smallPNG(t)}))
	a.until("the photo in the chat", `document.querySelector(".messages img.media")`)
	a.until("the old hint gone", `!document.querySelector("main").innerText.includes("Type a message first.")`)

	a.run(chromedp.SetUploadFiles(chromedp.CSS(`.tools input[type=file]`), []string{tooWidePNG(t)}))
	a.see("That is too big to send.")
	a.seeNoDeveloperText()
	a.check("child-kind-words-upload")

	// A photo that is gone by the time it is sent: the API says "no such
	// image of yours: upload it with POST /media first"; the page's client
	// (api.js, as every view uses it) says it kindly.
	var said struct{ Message, Dev string }
	a.js(fmt.Sprintf(`import(document.querySelector("script[type=module]").src.replace("app.js", "api.js"))
		.then(m => m.api("POST", "/conversations/%d/messages", {type: "image", media_id: 987654321, client_id: "gone-1"}))
		.then(() => ({message: "sent?!"}), e => ({message: e.message, dev: e.devMessage}))`, conv), &said)
	if said.Message != "That picture didn't arrive. Try sending it again." || !bytes.Contains([]byte(said.Dev), []byte("POST /media")) {
		t.Errorf("a gone photo reads %+v", said)
	}

	a.visit("#/chat/987654")
	a.see("We couldn't find that.")
	a.seeNoDeveloperText()
	a.check("child-chat-not-found")

	a.run(chromedp.Navigate(env.Server.URL + "/chats/oops"))
	a.until("the 404 page", `document.querySelector("h1") && document.querySelector("h1").innerText.includes("this page isn't here")`)
	a.seeNoDeveloperText()
	a.until("its picture", `(() => { const i = document.querySelector("img.sprite"); return i && i.complete && i.naturalWidth > 0; })()`)
	a.check("not-found-page")
	a.click("", "Go to Pixel Pals")
	a.until("the app again", `document.getElementById("main") && document.getElementById("main").innerText.includes("Your chats")`)
}

// directChat links two children (both parents approve) and opens their
// direct chat.
func directChat(t *testing.T, fa *apitest.Family, ka *apitest.Client, fb *apitest.Family, kb *apitest.Client) int64 {
	t.Helper()
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	kb.Must(200, "GET", "/me/friend-code", nil, &code)
	var contact struct{ ID int64 }
	fa.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode, "child_id": ka.UserID}, &contact)
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", contact.ID), nil, nil)
	var convo struct{ ID int64 }
	ka.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{kb.UserID}, "is_group": false}, &convo)
	return convo.ID
}

// adaBenChat makes two children of two families, named Ada and Ben, and
// their direct chat.
func adaBenChat(t *testing.T, env *apitest.Env) (ada, ben *apitest.Client, conv int64) {
	t.Helper()
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ada, ben = fa.Child(), fb.Child()
	name(fa, ada, "Ada")
	name(fb, ben, "Ben")
	return ada, ben, directChat(t, fa, ada, fb, ben)
}

// noBrokenAvatars is a page condition: every shown avatar has loaded a
// picture.
const noBrokenAvatars = `[...document.querySelectorAll("img.avatar")].filter(i => !i.hidden).every(i => i.complete && i.naturalWidth > 0)`

// TestBrowserDeletedFriend: after a friend's account is deleted, the
// child's chat with them names "a deleted account", with the default
// picture and the right reason for the pause, and the child can hide it;
// their parent still reads it, with the reason.
func TestBrowserDeletedFriend(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ka, kb := fa.Child(), fb.Child()
	conv := directChat(t, fa, ka, fb, kb)
	kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "text", "content": "see you", "client_id": "b1"}, nil)
	ka.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "text", "content": "bye!", "client_id": "a1"}, nil)

	b := newBrowser(t, env.Server.URL)
	a := b.user("child A")
	a.login(ka.Login, ka.Password)
	// The chat is open when the friend's account is deleted: it changes
	// by itself.
	a.visit(fmt.Sprintf("#/chat/%d", conv))
	a.see("see you")
	fb.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", kb.UserID), nil, nil)
	a.see("because the other account was deleted")
	a.see("A deleted account left the chat.")
	a.seeNoDeveloperText()

	a.click("", "← Back")
	a.see("A deleted account")
	a.until("the chat list's pictures", noBrokenAvatars)
	a.until("the list's hide button", `[...document.querySelectorAll("main button")].some(b => b.getAttribute("aria-label") === "Hide the chat with a deleted account")`)
	a.check("child-chats-deleted-friend")
	a.click("", "A deleted account")
	a.see("Chat with a deleted account")
	a.see("because the other account was deleted")
	a.see("A deleted account left the chat.")
	a.seeNot("Both parents need to approve")
	a.until("the pictures in the chat", `document.querySelector(".messages img.avatar:not([hidden])") && `+noBrokenAvatars)
	a.seeNoDeveloperText()
	a.check("child-chat-deleted-friend")
	a.click("", "Hide this chat")
	a.see("Your chats")
	a.until("the chat gone from the list", `!document.querySelector("main").innerText.includes("A deleted account")`)
	a.check("child-chats-after-hide")

	p := b.user("parent A")
	p.login(fa.Parent.Login, fa.Parent.Password)
	p.visit(fmt.Sprintf("#/child/%d", ka.UserID))
	p.see("A deleted account")
	p.click("", "Read chat with a deleted account")
	p.see("because the friend's account was deleted")
	p.seeNoDeveloperText()
	p.check("parent-chat-deleted-friend")
}

// TestBrowserPendingFriendAvatar: a friend still waiting for a parent's
// OK, whose picture the child may not see yet (404), shows the default
// sprite instead of a broken image. The request is addressed to the child,
// so it shows as their "wants to be friends with you!" row.
func TestBrowserPendingFriendAvatar(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fc := env.Family(admin, 1), env.Family(admin, 1)
	ka, kc := fa.Child(), fc.Child()
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	ka.Must(200, "GET", "/me/friend-code", nil, &code)
	fc.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode, "child_id": kc.UserID}, nil)

	// The premise: until A's parent says OK, A may not see C's picture.
	ka.Must(404, "GET", fmt.Sprintf("/profiles/%d/avatar?size=thumb", kc.UserID), nil, nil)

	b := newBrowser(t, env.Server.URL)
	a := b.user("child A")
	a.login(ka.Login, ka.Password)
	a.click("", "Friends")
	// The request is addressed to A, so A sees it as a question to answer.
	a.see("wants to be friends with you!")
	a.until("the pending friend's picture", `document.querySelector(".list li.ask img.avatar:not([hidden])") && `+noBrokenAvatars)
	var src string
	a.js(`document.querySelector(".list li.ask img.avatar").src`, &src)
	if !bytes.HasSuffix([]byte(src), []byte("/avatar.svg")) {
		t.Errorf("the pending friend's picture is %s, want the default sprite", src)
	}
	a.check("child-friends-pending")
}
