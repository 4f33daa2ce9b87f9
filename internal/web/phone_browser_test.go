package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// longChat gives Ada and Ben a chat holding a photo and then 130 text
// messages (three pages of 50), all read by Ada, and returns its id.
func longChat(t *testing.T, env *apitest.Env) (ada *apitest.Client, conv int64) {
	t.Helper()
	ada, ben, conv := adaBenChat(t, env)
	r := ben.Upload("kite.jpg", "image/jpeg", mediatest.JPEGWithGPS(1600, 1200, 1))
	var up struct{ ID int64 }
	if r.Status != 201 || json.Unmarshal(r.Body, &up) != nil {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	ben.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
		map[string]any{"type": "image", "media_id": up.ID, "client_id": "kite"}, nil)
	var last struct{ ID int64 }
	for i := 1; i <= 130; i++ {
		from := []*apitest.Client{ada, ben}[i%2]
		from.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
			map[string]any{"type": "text", "content": fmt.Sprintf("Message number %d about the kite", i), "client_id": fmt.Sprint("m", i)}, &last)
	}
	ada.Must(200, "POST", fmt.Sprintf("/conversations/%d/read", conv), map[string]int64{"message_id": last.ID}, nil)
	return ada, conv
}

// firstShown is the id of the first message in the list, and whether it
// is inside the list's visible box.
const firstShown = `(() => { const li = document.querySelector(".messages li[data-id]");
	const l = document.querySelector(".messages").getBoundingClientRect(), r = li.getBoundingClientRect();
	return {id: Number(li.dataset.id), inView: r.bottom > l.top && r.top < l.bottom}; })()`

// TestBrowserChatOnPhone: at 360 × 740 a long chat opens at its newest
// message with the top bar and the chat's own row within 92 px and the
// composer on the screen (the list is the one thing that scrolls);
// scrolling to the top loads the older page without moving what was in
// view, down to the first page, whose photo has its box before it loads.
func TestBrowserChatOnPhone(t *testing.T) {
	env := apitest.New(t)
	ada, conv := longChat(t, env)
	b := newBrowser(t, env.Server.URL)
	u := b.user("Ada")
	// Photos never arrive: what is measured is the box before the load.
	if _, err := chromedp.Call(u.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(u.ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/api/v1/media/*", Block: true}}}); err != nil {
		t.Fatal(err)
	}
	u.run(chromedp.EmulateViewport(360, 740))
	u.login(ada.Login, ada.Password)
	u.visit(fmt.Sprintf("#/chat/%d", conv))
	u.see("Message number 130 about the kite")
	u.until("the newest message in view", `(() => { const li = [...document.querySelectorAll(".messages li[data-id]")].at(-1);
		const l = document.querySelector(".messages").getBoundingClientRect(), r = li.getBoundingClientRect();
		return li.innerText.includes("number 130") && r.bottom <= l.bottom + 1; })()`)
	checkPhoneLayout(t, u)
	var older string
	u.js(`document.querySelector(".messages li.older button").innerText`, &older)
	if older != "Load older messages" {
		t.Errorf("the fallback button at the top says %q", older)
	}

	for page, want := range []int{100, 131} {
		var before struct {
			ID     int64
			InView bool
		}
		// Page 2 by the button at the top (a keyboard's way), page 3 by
		// the reader's wheel taking the list to its top.
		how := `document.querySelector(".messages li.older button").click()`
		if page == 1 {
			how = `l.dispatchEvent(new WheelEvent("wheel", {deltaY: -l.scrollHeight}))`
		}
		u.js(`(() => { const l = document.querySelector(".messages"); l.scrollTop = 0; const first = `+firstShown+`;
			`+how+`; return first; })()`, &before)
		u.until(fmt.Sprintf("page %d loaded by scrolling up", page+2), fmt.Sprintf(`document.querySelectorAll(".messages li[data-id]").length === %d`, want))
		var after struct {
			ID     int64
			InView bool
		}
		u.js(`(() => { const li = document.querySelector('.messages li[data-id="`+fmt.Sprint(before.ID)+`"]');
			const l = document.querySelector(".messages").getBoundingClientRect(), r = li.getBoundingClientRect();
			return {id: Number(li.dataset.id), inView: r.bottom > l.top && r.top < l.bottom}; })()`, &after)
		if !after.InView {
			t.Errorf("after loading page %d, the message that was first (%d) is out of view", page+2, before.ID)
		}
	}
	var gone bool
	u.js(`document.querySelector(".messages li.older").hidden`, &gone)
	if !gone {
		t.Errorf("the oldest page is loaded, yet the list offers older messages")
	}
	var box struct {
		Width, Height       string
		BoxW, BoxH, Natural float64
	}
	u.js(`(() => { const i = document.querySelector(".messages img.media"); const r = i.getBoundingClientRect();
		return {width: i.getAttribute("width"), height: i.getAttribute("height"), boxW: r.width, boxH: r.height, natural: i.naturalWidth}; })()`, &box)
	if box.Natural != 0 || box.Width != "240" || box.Height != "180" || box.BoxW < 230 || box.BoxH < 170 {
		t.Errorf("the photo before it loads: %+v, want a 240 × 180 box (with its border) and no picture yet", box)
	}
	checkPhoneLayout(t, u)
	u.js(`document.querySelector(".messages").scrollTop = 0, true`, nil)
	u.check("chat-phone-oldest")
	u.run(chromedp.EmulateViewport(1280, 860))
	var composer float64
	u.js(`document.querySelector("form.composer").getBoundingClientRect().bottom - innerHeight`, &composer)
	if composer > 0 {
		t.Errorf("on a desktop the composer ends %.0f px below the screen", composer)
	}
}

// checkPhoneLayout asserts, at 360 × 740, the chat's head within 92 px of
// the top, the composer whole on the screen, and no scrolling but the
// list's.
func checkPhoneLayout(t *testing.T, u *User) {
	t.Helper()
	u.run(chromedp.EmulateViewport(360, 740))
	var m struct {
		Head, Composer, Send, Page, View float64
	}
	u.js(`({head: document.querySelector(".chat-head").getBoundingClientRect().bottom,
		composer: document.querySelector("form.composer").getBoundingClientRect().bottom,
		send: document.querySelector("form.composer button[type=submit]").getBoundingClientRect().bottom,
		page: document.scrollingElement.scrollHeight, view: innerHeight})`, &m)
	t.Logf("at 360 × 740: head ends at %.0f px, composer at %.0f px, page %.0f px high", m.Head, m.Composer, m.Page)
	if m.Head > 92 {
		t.Errorf("the top bar and the chat's head end at %.0f px, want at most 92 (1/8 of 740)", m.Head)
	}
	if m.Composer > m.View || m.Send > m.View {
		t.Errorf("the composer ends at %.0f px (Send at %.0f), below the %.0f px screen", m.Composer, m.Send, m.View)
	}
	if m.Page > m.View+1 {
		t.Errorf("the page itself scrolls (%.0f px high on a %.0f px screen): the list should be the only scroller", m.Page, m.View)
	}
}

// TestBrowserLoggedOutConsoleClean: a first visit, logged out, logs no
// error or warning to the console: no failed request (a 401 from GET /me
// would be one), no exception, no console.error or console.warn.
func TestBrowserLoggedOutConsoleClean(t *testing.T) {
	env := apitest.New(t)
	b := newBrowser(t, env.Server.URL)
	u := b.user("visitor")
	var mu sync.Mutex
	var logged []string
	chromedp.Listen(u.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				logged = append(logged, fmt.Sprintf("%s %s: %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeWarning {
				logged = append(logged, "console.warn")
			}
		}
	})
	if _, err := chromedp.Call(u.ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	for _, hash := range []string{"", "#/login", "#/chat/1"} {
		u.visit(hash)
		u.until("the login form", `document.querySelector("main form") && document.querySelector("main").innerText.includes("Log in")`)
		// A round trip after the form is drawn: every entry the load
		// logged has come through the same connection before its answer.
		u.js(`document.readyState === "complete"`, nil)
	}
	u.check("logged-out-login")
	mu.Lock()
	defer mu.Unlock()
	if len(logged) > 0 {
		t.Errorf("the logged-out page logged:\n%s", strings.Join(logged, "\n"))
	}
}
