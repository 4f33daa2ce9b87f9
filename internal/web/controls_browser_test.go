// This file tests the parental-control screens (docs/controls.md): the
// password guard's refusal, the child's sleep screen, blocking and
// unblocking, the parent's sleep-mode settings and the activity dashboard.

package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/live"
)

// shiftClock is the service's clock: the real time plus an offset the test
// moves, so the browser (on the real clock) and the service agree until
// the test jumps the service ahead.
type shiftClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *shiftClock) jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// controlsFixture is two families whose children Ada and Ben are approved
// friends with a direct chat, Ada has a kept Blockcraft login, and each
// has sent a message, a photo went from Ben to Ada, and a report each way.
type controlsFixture struct {
	env        *apitest.Env
	clock      *shiftClock
	fa, fb     *apitest.Family
	ka, kb     *apitest.Client
	contact    int64
	convo      int64
	gamePass   string
	adaMessage int64
}

func newControlsFixture(t *testing.T) *controlsFixture {
	t.Helper()
	f := &controlsFixture{clock: &shiftClock{}, gamePass: "Hunter2!x"}
	f.env = apitest.New(t, apitest.Options{Now: f.clock.Now, Live: live.Config{PollInterval: 50 * time.Millisecond}})
	admin := f.env.Admin()
	f.fa, f.fb = f.env.Family(admin, 1), f.env.Family(admin, 1)
	f.ka, f.kb = f.fa.Child(), f.fb.Child()
	f.fa.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", f.ka.UserID), map[string]string{"display_name": "Ada"}, nil)
	f.fb.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", f.kb.UserID), map[string]string{"display_name": "Ben"}, nil)
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	f.kb.Must(200, "GET", "/me/friend-code", nil, &code)
	var contact struct{ ID int64 }
	f.fa.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode, "child_id": f.ka.UserID}, &contact)
	f.fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", contact.ID), nil, nil)
	f.contact = contact.ID
	var convo struct{ ID int64 }
	f.ka.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{f.kb.UserID}, "is_group": false}, &convo)
	f.convo = convo.ID
	f.fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", f.ka.UserID),
		map[string]string{"game_name": "Blockcraft", "username": "ada_builds", "password": f.gamePass}, nil)

	var m struct{ ID int64 }
	f.ka.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.convo), map[string]any{"type": "text", "content": "Hi Ben!", "client_id": "c-1"}, &m)
	f.adaMessage = m.ID
	var bm struct{ ID int64 }
	f.kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.convo), map[string]any{"type": "text", "content": "Hi Ada!", "client_id": "c-2"}, &bm)
	f.kb.Must(201, "POST", fmt.Sprintf("/messages/%d/report", f.adaMessage), map[string]string{"reason": "test report about Ada"}, nil)
	f.ka.Must(201, "POST", fmt.Sprintf("/messages/%d/report", bm.ID), map[string]string{"reason": "test report by Ada"}, nil)

	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	up := f.kb.Upload("pic.png", "image/png", buf.Bytes())
	var media struct{ ID int64 }
	if err := json.Unmarshal(up.Body, &media); err != nil || up.Status != 201 {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	f.kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.convo), map[string]any{"type": "image", "media_id": media.ID, "client_id": "c-3"}, nil)
	return f
}

// setValue sets a form control (a select, a time input) the way a change
// by hand ends, firing input and change.
func (u *User) setValue(css, value string) {
	u.t.Helper()
	u.until("the control "+css, `document.querySelector(`+jsString(css)+`)`)
	var ok bool
	u.js(`(() => { const el = document.querySelector(`+jsString(css)+`); el.value = `+jsString(value)+`;
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true}));
		return el.value === `+jsString(value)+`; })()`, &ok)
	if !ok {
		u.t.Fatalf("%s: %s does not take the value %q", u.name, css, value)
	}
}

// checkFull is check with whole-page screenshots (the new controls sit
// below the fold on long pages): axe-core, then the page at phone and
// desktop width, which must not scroll sideways on the phone.
func (u *User) checkFull(name string) {
	u.t.Helper()
	time.Sleep(150 * time.Millisecond)
	u.axeCheck(name)
	dir := artefacts(u.t)
	for _, size := range []struct {
		label string
		w, h  int64
	}{{"phone", 360, 740}, {"desktop", 1280, 860}} {
		u.run(chromedp.EmulateViewport(size.w, size.h), chromedp.Sleep(150*time.Millisecond))
		if size.label == "phone" {
			var wide bool
			u.js(`document.documentElement.scrollWidth > 362`, &wide)
			if wide {
				u.t.Errorf("%s: page %s scrolls sideways at 360 px", u.name, name)
			}
		}
		img, err := chromedp.Run(u.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			u.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.label+".png"), img, 0o644); err != nil {
			u.t.Fatal(err)
		}
	}
}

// shootPart saves the element matching css alone, at phone and desktop
// width, to look at a section of a long page closely.
func (u *User) shootPart(name, css string) {
	u.t.Helper()
	dir := artefacts(u.t)
	for _, size := range []struct {
		label string
		w, h  int64
	}{{"phone", 360, 740}, {"desktop", 1280, 860}} {
		u.run(chromedp.EmulateViewport(size.w, size.h), chromedp.Sleep(150*time.Millisecond))
		img, err := chromedp.Run(u.ctx, chromedp.Screenshot(chromedp.CSS(css)))
		if err != nil {
			u.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.label+".png"), img, 0o644); err != nil {
			u.t.Fatal(err)
		}
	}
}

// noSecretStored fails when secret is in the page's web storage or
// cookies.
func (u *User) noSecretStored(secret string) {
	u.t.Helper()
	var found bool
	u.js(`(() => { const s = `+jsString(secret)+`; const all = [document.cookie];
		for (const st of [localStorage, sessionStorage]) for (let i = 0; i < st.length; i++) all.push(st.key(i), st.getItem(st.key(i)));
		return all.some(v => (v || "").includes(s)); })()`, &found)
	if found {
		u.t.Errorf("%s: the typed password is in the browser's storage", u.name)
	}
}

// TestBrowserLeakGuardAndBlocks: on a phone-sized screen Ada types her
// Blockcraft password (disguised with spaces) into a chat: the send is
// refused with the friendly explanation beside the message box, nothing
// is stored, and her parent, on another page, gets a notice naming the
// game. Then Ada blocks Ben (after a dialog saying only her parent can
// unblock): both children see why their chat is paused, Ben's parent can
// not unblock, Ada's parent does, and the chat is back.
func TestBrowserLeakGuardAndBlocks(t *testing.T) {
	f := newControlsFixture(t)
	b := newBrowser(t, f.env.Server.URL)

	pa := b.user("Ada's parent")
	pa.login(f.fa.Parent.Login, f.fa.Parent.Password)
	pa.see("Your children")

	ka := b.user("Ada")
	ka.login(f.ka.Login, f.ka.Password)
	ka.run(chromedp.EmulateViewport(360, 740))
	ka.visit(fmt.Sprintf("#/chat/%d", f.convo))
	ka.see("Hi Ada!")
	ka.fill("", "Your message", "my blockcraft pass is h u n t e r 2 ! x shhh")
	ka.click("", "Send")
	ka.until("the leak-guard explanation beside the composer",
		`(() => { const el = document.querySelector("form.composer .leak"); return el && !el.hidden && el.innerText.includes("Whoa, this message has your Blockcraft password in it!"); })()`)
	var inView bool
	ka.js(`(() => { const r = document.querySelector("form.composer .leak").getBoundingClientRect(); return r.width > 0 && r.width <= 360 && r.left >= 0; })()`, &inView)
	if !inView {
		t.Error("the leak-guard message does not fit the phone screen")
	}
	var invalid string
	ka.js(`document.querySelector("textarea[name=content]").getAttribute("aria-invalid") + " " + document.querySelector("textarea[name=content]").getAttribute("aria-describedby")`, &invalid)
	if !strings.HasPrefix(invalid, "true leak-") {
		t.Errorf("the message box is not tied to the explanation: %q", invalid)
	}
	var listed bool
	ka.js(`document.querySelector(".messages").innerText.includes("my blockcraft pass")`, &listed)
	if listed {
		t.Error("the refused message shows in the chat")
	}
	ka.noSecretStored("h u n t e r")
	ka.checkFull("child-leak-guard")
	var stored int
	if err := f.env.DB.Pool.QueryRow(t.Context(), `SELECT count(*) FROM messages WHERE content ILIKE '%hunter%' OR content ILIKE '%h u n t e r%'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d messages with the password were stored", stored)
	}
	// The next message goes through and clears the warning.
	ka.fill("", "Your message", "never mind, see you tomorrow")
	ka.click("", "Send")
	ka.until("the message sent", `document.querySelector(".messages").innerText.includes("never mind, see you tomorrow")`)
	ka.until("the warning gone", `document.querySelector("form.composer .leak").hidden`)

	// The parent is told, on whatever page they are, naming the game only.
	pa.until("the password-guard notice", `document.querySelector(".notices .notice") && document.querySelector(".notices").innerText.includes("Blockcraft")`)
	var notice string
	pa.js(`document.querySelector(".notices").innerText`, &notice)
	if !strings.Contains(notice, "Ada") || strings.Contains(strings.ToLower(notice), "hunter") {
		t.Errorf("the notice: %q", notice)
	}
	pa.checkFull("parent-leak-notice")
	pa.click("", "See Ada's activity")
	pa.see("Ada's activity")
	pa.until("the hit on the dashboard", `document.querySelector(".leaks") && document.querySelector(".leaks").innerText.includes("Blockcraft")`)
	pa.click("", "Dismiss")
	pa.until("the notice dismissed", `!document.querySelector(".notices .notice")`)

	// Ada blocks Ben.
	ka.run(chromedp.EmulateViewport(1280, 860))
	ka.click("", "Friends")
	ka.click("", "Block Ben")
	ka.until("the block dialog", `document.querySelector("dialog[open]")`)
	var dialog string
	ka.js(`document.querySelector("dialog[open]").innerText`, &dialog)
	if !strings.Contains(dialog, "Only your parent can unblock Ben") {
		t.Errorf("the block dialog: %q", dialog)
	}
	ka.checkFull("child-block-dialog")
	ka.click("", "Cancel")
	ka.until("the dialog closed", `!document.querySelector("dialog")`)
	ka.seeNot("You blocked Ben")
	ka.click("", "Block Ben")
	ka.click("", "Yes, block Ben")
	ka.see("You blocked Ben. Only your parent can unblock.")
	ka.checkFull("child-blocked")
	ka.click("", "Chats")
	ka.see("paused")
	ka.visit(fmt.Sprintf("#/chat/%d", f.convo))
	ka.see("This chat is paused because you blocked Ben. Only your parent can unblock them.")
	ka.until("the composer disabled", `document.querySelector("textarea[name=content]").disabled`)
	ka.checkFull("child-chat-blocked")

	kb := b.user("Ben")
	kb.login(f.kb.Login, f.kb.Password)
	kb.visit(fmt.Sprintf("#/chat/%d", f.convo))
	kb.see("This chat is paused because Ada blocked it.")
	kb.click("", "Friends")
	kb.see("Ada blocked this friendship")

	// Ben's parent sees the block but cannot lift it.
	pb := b.user("Ben's parent")
	pb.login(f.fb.Parent.Login, f.fb.Parent.Password)
	pb.visit(fmt.Sprintf("#/child/%d", f.kb.UserID))
	pb.see("Ada blocked Ben. Only Ada's parent can unblock.")
	var unblock bool
	pb.js(`[...document.querySelectorAll("button")].some(b => b.innerText.trim() === "Unblock")`, &unblock)
	if unblock {
		t.Error("the other child's parent is offered Unblock")
	}

	// Ada's parent unblocks; the chat is back for both.
	pa.visit(fmt.Sprintf("#/child/%d", f.ka.UserID))
	pa.see("blocked by Ada")
	pa.see("Ada blocked Ben. Their chats are paused until you unblock.")
	pa.checkFull("parent-unblock")
	pa.click("", "Unblock Ben")
	pa.click("", "Yes, unblock")
	pa.until("the link a friendship again", `!document.querySelector("main").innerText.includes("blocked by Ada")`)
	kb.visit(fmt.Sprintf("#/chat/%d", f.convo))
	kb.see("Hi Ada!")
	kb.until("the composer usable again", `!document.querySelector("textarea[name=content]").disabled`)
	kb.seeNot("This chat is paused")
	ka.visit("#/friends")
	ka.seeNot("You blocked Ben")
}

// TestBrowserSleepMode: Ada's parent turns sleep mode on in the family's
// zone (not the browser's) with a window around now; Ada's send is refused
// and the sleep screen names the end in the family's local time, on every
// page; her direct chat with her parent stays open to try and is refused
// while the switch is off; the settings survive a reload; when the
// service's clock passes the end the screen goes away by itself; the
// parent turns it off. The dashboard then shows every section, and a
// child with no activity shows every empty state.
func TestBrowserSleepMode(t *testing.T) {
	f := newControlsFixture(t)
	b := newBrowser(t, f.env.Server.URL)
	const zone = "Asia/Kolkata" // +05:30, never the test machine's
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	start := now.Add(-time.Hour).Truncate(time.Minute)
	end := now.Add(2 * time.Hour).Truncate(time.Minute)
	wantUntil := fmt.Sprintf("Sleeping until %d:%02d", end.Hour(), end.Minute())

	ka := b.user("Ada")
	ka.login(f.ka.Login, f.ka.Password)
	ka.visit(fmt.Sprintf("#/chat/%d", f.convo))
	ka.see("Hi Ada!")

	pa := b.user("Ada's parent")
	pa.login(f.fa.Parent.Login, f.fa.Parent.Password)
	pa.visit(fmt.Sprintf("#/child/%d", f.ka.UserID))
	pa.see("Off. Ada can chat at any time.")
	var zones struct {
		Selected string `json:"selected"`
		Browser  string `json:"browser"`
	}
	pa.js(`({selected: document.querySelector("input[name=time_zone]").value, browser: Intl.DateTimeFormat().resolvedOptions().timeZone})`, &zones)
	if zones.Selected != zones.Browser || zones.Selected == "" {
		t.Errorf("the time zone defaults to %q, the browser's is %q", zones.Selected, zones.Browser)
	}
	// A zone the server does not know: kind words (words.js) under the field.
	pa.setValue("input[name=time_zone]", "Mars/Olympus")
	pa.click("", "Turn sleep mode on")
	pa.until("the time-zone error under its field", `document.querySelector("input[name=time_zone][aria-invalid=true]") &&
		document.querySelector(".sleep-settings").innerText.includes("Pick a time zone from the list")`)
	pa.see("Off. Ada can chat at any time.")
	pa.setValue("input[name=time_zone]", zone)
	for _, span := range []string{"weekday", "weekend"} {
		pa.js(`document.querySelector("input[name='`+span+`.on']").checked || document.querySelector("input[name='`+span+`.on']").click(), true`, nil)
		pa.setValue("input[name='"+span+".start']", start.Format("15:04"))
		pa.setValue("input[name='"+span+".end']", end.Format("15:04"))
	}
	pa.js(`(() => { const s = document.querySelector("input[name=allow_parent_messages]"); if (s.checked) s.click(); return true; })()`, nil)
	pa.click("", "Turn sleep mode on")
	pa.see("Saved.")
	wantState := fmt.Sprintf("On. Ada is in quiet time now, until %d:%02d (%s time).", end.Hour(), end.Minute(), zone)
	pa.see(wantState)

	// Ada's page learns it from her own sleep_mode.changed, which her
	// socket delivers even in quiet time: the screen replaces the
	// composer without her sending. (A refused send, 423, is tried in the
	// chat with her parent below.)
	ka.until("the sleep screen in place of the composer", `document.querySelector(".sleep.compact") && document.querySelector("form.composer").hidden`)
	pa.checkFull("parent-sleep-settings")
	pa.shootPart("parent-sleep-settings-card", ".sleep-settings")
	if got := ka.text(".sleep h2"); got != wantUntil {
		t.Errorf("the sleep screen says %q, want %q", got, wantUntil)
	}
	ka.see("Your messages can wait until then. Good night!")
	ka.checkFull("child-sleep-chat")
	ka.click("", "Chats")
	ka.until("the sleep screen on the chats page", `document.querySelector(".sleep h2") && document.querySelector(".sleep h2").innerText.trim() === `+jsString(wantUntil))
	ka.checkFull("child-sleep")
	// A fresh load asks GET /me/sleep-mode.
	ka.visit("#/friends")
	ka.until("the sleep screen after a reload", `document.querySelector(".sleep h2") && document.querySelector(".sleep h2").innerText.trim() === `+jsString(wantUntil))

	// The direct chat with the parent stays open to try; with the switch
	// off the send is refused there too.
	ka.click("", "Write to my parent")
	ka.see("Quiet time is on. If your parent allows it, you can still write to them here.")
	ka.fill("", "Your message", "Good night!")
	ka.click("", "Send")
	ka.until("refused in the parent chat", `document.querySelector(".sleep.compact")`)

	// The parent allows it; the settings are there after a reload.
	pa.run(chromedp.Reload())
	pa.see(wantState)
	var saved struct {
		Zone, WdStart, WdEnd, WeEnd string
		Allow                       bool
	}
	pa.js(`({Zone: document.querySelector("input[name=time_zone]").value, WdStart: document.querySelector("input[name='weekday.start']").value,
		WdEnd: document.querySelector("input[name='weekday.end']").value, WeEnd: document.querySelector("input[name='weekend.end']").value,
		Allow: document.querySelector("input[name=allow_parent_messages]").checked})`, &saved)
	if saved.Zone != zone || saved.WdStart != start.Format("15:04") || saved.WdEnd != end.Format("15:04") || saved.WeEnd != end.Format("15:04") || saved.Allow {
		t.Errorf("the settings after a reload: %+v", saved)
	}
	pa.js(`document.querySelector("input[name=allow_parent_messages]").click(), true`, nil)
	pa.click("", "Save sleep mode")
	pa.see("Saved.")
	ka.run(chromedp.Reload())
	ka.see("Quiet time is on.")
	ka.checkFull("child-sleep-parent-chat")
	ka.fill("", "Your message", "Good night!")
	ka.click("", "Send")
	ka.until("the message to the parent sent", `document.querySelector(".messages").innerText.includes("Good night!")`)
	// The parent's reply reaches her open chat live, quiet time or not
	// (issue 19.7): the switch lets their chat through her socket too.
	var hash string
	ka.js(`location.hash`, &hash)
	parentChat, err := strconv.ParseInt(strings.TrimPrefix(hash, "#/chat/"), 10, 64)
	if err != nil {
		t.Fatalf("the parent chat's address: %q", hash)
	}
	f.fa.Parent.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", parentChat),
		map[string]any{"type": "text", "content": "Sleep well, Ada", "client_id": "p-1"}, nil)
	ka.until("the parent's reply, live", `document.querySelector(".messages").innerText.includes("Sleep well, Ada")`)

	// Past the end (by the service's clock) the screen goes by itself:
	// the socket wakes and catches up on what Ben sent meanwhile.
	ka.visit("#/")
	ka.until("the sleep screen", `document.querySelector(".sleep")`)
	f.kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.convo), map[string]any{"type": "text", "content": "Good morning Ada", "client_id": "c-4"}, nil)
	f.clock.jump(time.Until(end) + time.Minute)
	ka.until("the sleep screen gone", `!document.querySelector(".sleep")`)
	ka.visit(fmt.Sprintf("#/chat/%d", f.convo))
	ka.until("the composer back", `document.querySelector("form.composer") && !document.querySelector("form.composer").hidden && !document.querySelector(".sleep")`)
	pa.run(chromedp.Reload())
	pa.see("On. The next quiet time starts")

	// Turned off: the state says so and the API agrees.
	pa.click("", "Turn sleep mode off")
	pa.see("Sleep mode is off.")
	pa.see("Off. Ada can chat at any time.")
	if r := f.fa.Parent.Do("GET", fmt.Sprintf("/children/%d/sleep-mode", f.ka.UserID), nil); r.Status != 404 {
		t.Errorf("after turning it off, GET sleep-mode: %d %s", r.Status, r.Body)
	}
	pa.run(chromedp.Reload())
	pa.see("Off. Ada can chat at any time.")

	// The dashboard: every section of GET /children/{id}/activity.
	f.ka.Do("POST", fmt.Sprintf("/conversations/%d/messages", f.convo), map[string]any{"type": "text", "content": "Hunter2!x", "client_id": "c-9"})
	pa.click("", "See Ada's activity")
	pa.see("Ada's activity")
	pa.see("The last 30 days:")
	pa.until("the contacts table", `[...document.querySelectorAll("table tbody tr")].some(r => r.innerText.includes("Ben"))`)
	var row []string
	pa.js(`[...[...document.querySelectorAll("table tbody tr")].find(r => r.innerText.includes("Ben")).children].map(c => c.innerText.trim())`, &row)
	// Hi Ben!, Hi Ada!, the photo, Good morning Ada (the message to the
	// parent is in their own conversation, counted on the parent's row).
	if len(row) != 3 || row[0] != "Ben" || row[1] != "4" || row[2] == "" {
		t.Errorf("the contact row: %q", row)
	}
	for _, want := range []string{
		"New friends and requests", "friends",
		"Ada reported a message", "A message Ada sent was reported",
		"0 sent by Ada", "1 received",
		"Sleep mode set by you", "Sleep mode turned off by you",
		"Stopped a message with Ada's Blockcraft password",
	} {
		pa.see(want)
	}
	pa.seeNot("Hunter2")
	pa.checkFull("parent-activity")

	// A child with nothing yet: every section says so.
	kid := f.fa.AddChild()
	pa.visit(fmt.Sprintf("#/child/%d/activity", kid.UserID))
	for _, want := range []string{
		"has not chatted with anyone in the last 30 days.", "No new friends or friend requests.", "No reports by or about",
		"No photos sent or received.", "No changes to sleep mode.", "The password guard has not had to stop any message.",
	} {
		pa.see(want)
	}
	pa.checkFull("parent-activity-empty")
}
