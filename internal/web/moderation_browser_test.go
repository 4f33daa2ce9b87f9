package web_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// TestBrowserModeration is a moderator's round in real Chromium: the
// queue names the reporter and the sender with their families, gives the
// reason and the earlier reports about the sender, and shows the reported
// message among the five before and after it (a photo as its thumbnail,
// opening whole on a tap); the moderator suspends the sender with a note,
// the sender is logged out, and the audit log says so in a sentence with
// names, the raw entry behind a disclosure; the users list shows families.
// Axe-checked, shot whole at 360 and 1280 px.
func TestBrowserModeration(t *testing.T) {
	f := newModerationFixture(t)
	b := newBrowser(t, f.env.Server.URL)
	ad := b.user("moderator")
	ad.login(f.admin.Login, f.admin.Password)
	moderateQueue(t, ad, f)
	readAuditSentences(t, ad, f)
	seeFamilies(t, ad, f)
}

// moderationFixture is Mia (Anna Schmidt's) and Ben (Tom Weber's), friends
// with a chat of twelve lines and a photo; Ben's request for a password
// was reported by Anna and dismissed, his insult is reported by Mia now. A
// parent waits for approval.
type moderationFixture struct {
	env             *apitest.Env
	admin, mia, ben *apitest.Client
	waiting         *apitest.Client
	earlier, rep    int64
}

func newModerationFixture(t *testing.T) *moderationFixture {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	mia, ben := fa.Child(), fb.Child()
	name(fa, mia, "Mia")
	name(fb, ben, "Ben")
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Anna Schmidt"}, nil)
	fb.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Tom Weber"}, nil)
	waiting := env.PendingParent()
	befriend(t, fa, mia, fb, ben)
	var convo struct{ ID int64 }
	mia.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{ben.UserID}, "is_group": false}, &convo)
	sent := 0
	say := func(c *apitest.Client, text string) int64 {
		var m struct{ ID int64 }
		sent++
		c.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", convo.ID),
			map[string]any{"type": "text", "content": text, "client_id": fmt.Sprintf("m%d", sent)}, &m)
		return m.ID
	}
	say(mia, "hi Ben")
	say(ben, "hi")
	say(mia, "are you coming to the park?")
	early := say(ben, "give me your game password")
	say(mia, "no, that is secret")
	say(ben, "then you are out of the club")
	mean := say(ben, "you are so dumb, nobody likes you")
	say(mia, "that is not nice")
	var up struct{ ID int64 }
	if r := ben.Upload("frog.jpg", "image/jpeg", mediatest.JPEGWithGPS(1200, 900, 1)); r.Status != 201 || json.Unmarshal(r.Body, &up) != nil {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	ben.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", convo.ID),
		map[string]any{"type": "image", "media_id": up.ID, "client_id": "frog"}, nil)
	say(ben, "lol")
	say(mia, "I am telling my mum")
	say(ben, "whatever")
	// Anna reported the password message earlier (dismissed); Mia reports
	// the mean one now.
	var earlier, rep struct{ ID int64 }
	fa.Parent.Must(201, "POST", fmt.Sprintf("/messages/%d/report", early), map[string]string{"reason": "asks for passwords"}, &earlier)
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", earlier.ID), nil, nil)
	mia.Must(201, "POST", fmt.Sprintf("/messages/%d/report", mean), map[string]string{"reason": "He keeps calling me names"}, &rep)
	return &moderationFixture{env: env, admin: admin, mia: mia, ben: ben, waiting: waiting, earlier: earlier.ID, rep: rep.ID}
}

// moderateQueue: the queue names both children and families, gives the
// reason, the earlier report and the chat around the reported message;
// the moderator suspends Ben with a note.
func moderateQueue(t *testing.T, ad *User, f *moderationFixture) {
	ad.click("", "Reports")
	ad.see("Mia reported Ben")
	ad.see("child of Anna Schmidt")
	ad.see("child of Tom Weber")
	ad.see("“He keeps calling me names”")
	ad.see("1 earlier report about Ben")
	// Five before, the reported one, five after, the reported one marked.
	ad.until("the chat around the report", `(() => { const li = [...document.querySelectorAll(".mod-context > li")];
		return li.length === 11 && li[5].classList.contains("reported") && li[5].innerText.includes("you are so dumb")
			&& li[0].innerText.includes("hi Ben") === false && li[0].innerText.includes("hi"); })()`)
	ad.until("the photo as its thumbnail", `(() => { const i = document.querySelector(".mod-context button.photo img");
		return i && i.getAttribute("src").endsWith("?size=thumb") && i.complete && i.naturalWidth > 0; })()`)
	ad.js(`document.querySelector(".mod-context button.photo").click(); true`, new(bool))
	ad.until("the whole photo on a tap", `(() => { const i = document.querySelector("dialog.photo-view img.full");
		return i && !i.getAttribute("src").includes("size=thumb") && i.complete && i.naturalWidth === 1200; })()`)
	ad.click("", "Close")
	ad.run(pressTab("#logout")) // the focus leaves the queue, as a reader's would
	ad.js(`document.querySelector("details.earlier").open = true`, new(bool))
	ad.see("asks for passwords")
	ad.checkFull("admin-report-queue")

	ad.fill("", "Note for the audit log (optional)", "spamming and name-calling")
	ad.click("", "Suspend Ben")
	ad.click("", "Yes, suspend")
	ad.see("No open reports.")
	if r := f.ben.Do("GET", "/me", nil); r.Status != 401 {
		t.Errorf("the suspended sender's session answers %d", r.Status)
	}
}

// readAuditSentences: the audit log says what happened in sentences with
// names, the raw entry behind its disclosure.
func readAuditSentences(t *testing.T, ad *User, f *moderationFixture) {
	rep, earlier := f.rep, f.earlier
	ad.click("", "Audit log")
	ad.see(fmt.Sprintf("Admin deleted the message of report #%d and suspended Ben: spamming and name-calling", rep))
	ad.see(fmt.Sprintf("Admin suspended Ben (report #%d): spamming and name-calling", rep))
	ad.see(fmt.Sprintf("Admin dismissed report #%d.", earlier))
	ad.see("Tom Weber approved the contact between Ben and Mia.")
	ad.see("Mia reported a message")
	// The raw entry is there, behind its disclosure.
	var raw struct{ Closed, HasJSON bool }
	ad.js(`(() => { const d = document.querySelector("ul.audit > li details.raw");
		return { closed: !d.open, hasJSON: d.querySelector("pre").textContent.includes('"action": "report.resolve"') }; })()`, &raw)
	if !raw.Closed || !raw.HasJSON {
		t.Errorf("the newest entry's raw JSON: %+v", raw)
	}
	ad.checkFull("admin-audit-sentences")
}

// seeFamilies: the users list shows each parent with their children, the
// waiting parent marked; a search shows a child with their family, who is
// suspended with a note the audit log then says.
func seeFamilies(t *testing.T, ad *User, f *moderationFixture) {
	ad.click("", "Users")
	ad.until("Tom Weber's family with Ben beneath", `(() => { const f = [...document.querySelectorAll("li.family")].find(l => l.innerText.includes("Tom Weber"));
		return f && f.querySelector("ul.children") && f.querySelector("ul.children").innerText.includes("Ben") && f.querySelector("ul.children .badge.bad"); })()`)
	ad.until("the waiting parent marked", `(() => { const f = [...document.querySelectorAll("li.family.pending")].find(l => l.innerText.includes(`+jsString(f.waiting.Login)+`));
		return f && f.innerText.includes("waiting for approval"); })()`)
	var topChildren int
	ad.js(`[...document.querySelectorAll("ul.families > li")].filter(l => l.innerText.includes("Child of")).length`, &topChildren)
	if topChildren != 0 {
		t.Errorf("%d children listed on their own in the families view", topChildren)
	}
	ad.checkFull("admin-users-families")
	// A search shows a child on their own, with their family.
	ad.fill("", "Email or name contains", "Mia")
	ad.click("Find users", "Search")
	ad.until("Mia with her family", `(() => { const l = document.querySelectorAll("ul.families > li");
		return l.length === 1 && l[0].innerText.includes("Child of Anna Schmidt"); })()`)
	// Suspending from the list takes a note too, and the log says it.
	ad.click("Child of Anna Schmidt", "Suspend "+f.mia.Login)
	ad.fill("Child of Anna Schmidt", "Note for the audit log (optional)", "rude in chats")
	ad.click("Child of Anna Schmidt", "Yes, suspend")
	ad.until("Mia suspended", `document.querySelector("ul.families > li .badge.bad")`)
	ad.click("", "Audit log")
	ad.see("Admin suspended Mia: rude in chats")
}
