package web_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// chatDOMBudget is the most elements a phone's chat page may hold with a
// page of 50 messages drawn (docs/web.md "Lighthouse": 1,612 before the
// reaction choices were drawn only while open, about 700 after), and
// perMessageBudget the most one text message may take in the list.
const (
	chatDOMBudget    = 800
	perMessageBudget = 13
)

// lighthouseChat gives Ada and Ben the chat scripts/lighthouse measures:
// 80 text messages, one of Ada's photos after every 20, none read.
func lighthouseChat(t *testing.T, env *apitest.Env) (ada *apitest.Client, conv int64) {
	t.Helper()
	ada, ben, conv := adaBenChat(t, env)
	for i := 1; i <= 80; i++ {
		from := []*apitest.Client{ada, ben}[i%2]
		from.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
			map[string]any{"type": "text", "content": fmt.Sprintf("Message %d: what are we having for dinner tonight?", i), "client_id": fmt.Sprint("m", i)}, nil)
		if i%20 == 0 {
			r := ada.Upload("kite.jpg", "image/jpeg", mediatest.JPEGWithGPS(640, 480, 1))
			var up struct{ ID int64 }
			if r.Status != 201 || json.Unmarshal(r.Body, &up) != nil {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			ada.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
				map[string]any{"type": "image", "media_id": up.ID, "client_id": fmt.Sprint("p", i)}, nil)
		}
	}
	return ada, conv
}

// TestBrowserChatDOMBudget: a phone's chat with a page of 50 messages
// stays within chatDOMBudget elements (no message carries its hidden
// reaction choices; opening React draws the six, once); the history
// arrived gzipped.
func TestBrowserChatDOMBudget(t *testing.T) {
	env := apitest.New(t)
	ada, conv := lighthouseChat(t, env)
	b := newBrowser(t, env.Server.URL)
	u := b.user("Ada")
	u.run(chromedp.EmulateViewport(360, 740))
	u.login(ada.Login, ada.Password)
	u.visit(fmt.Sprintf("#/chat/%d", conv))
	u.until("the latest page of 50 drawn", `document.querySelectorAll(".messages li[data-id]").length === 50 &&
		document.querySelectorAll(".messages .react-add").length === 50`)

	var dom struct {
		All, List, Texts, TextElements, Pickers int
	}
	u.js(`(() => {
		const texts = [...document.querySelectorAll(".messages li[data-id]")].filter(li => !li.querySelector("img.media"));
		return {
			All: document.getElementsByTagName("*").length,
			List: document.querySelector(".messages").getElementsByTagName("*").length,
			Texts: texts.length,
			TextElements: texts.reduce((n, li) => n + 1 + li.getElementsByTagName("*").length, 0),
			Pickers: document.querySelectorAll(".react-picker, .react-pick").length,
		}; })()`, &dom)
	t.Logf("chat at 360 px: %d elements (%d in the list), %d text messages of %.1f elements each",
		dom.All, dom.List, dom.Texts, float64(dom.TextElements)/float64(dom.Texts))
	if dom.All > chatDOMBudget {
		t.Errorf("the chat holds %d elements, budget %d", dom.All, chatDOMBudget)
	}
	if dom.Texts < 40 || dom.TextElements > perMessageBudget*dom.Texts {
		t.Errorf("%d text messages take %d elements, budget %d each", dom.Texts, dom.TextElements, perMessageBudget)
	}
	if dom.Pickers != 0 {
		t.Errorf("%d reaction choices drawn before anyone opened one", dom.Pickers)
	}

	// React on the newest message draws its six choices, and only those.
	last := `[...document.querySelectorAll(".messages li[data-id]")].at(-1).querySelector(".react-add")`
	u.js(last+`.click()`, nil)
	u.until("one message's six choices", `document.querySelectorAll(".react-picker").length === 1 &&
		document.querySelectorAll(".react-pick").length === 6 && `+last+`.getAttribute("aria-expanded") === "true" &&
		document.getElementById(`+last+`.getAttribute("aria-controls")) === document.querySelector(".react-picker")`)

	var history struct{ Encoded, Decoded int }
	u.js(`(() => {
		const e = performance.getEntriesByType("resource").find(e => e.name.includes("/messages?limit=50"));
		return e ? {Encoded: e.encodedBodySize, Decoded: e.decodedBodySize} : {Encoded: 0, Decoded: 0};
	})()`, &history)
	if history.Decoded < 8000 || history.Encoded*3 > history.Decoded {
		t.Errorf("the history came as %d bytes for %d: not gzipped", history.Encoded, history.Decoded)
	}
	u.check("chat-dom-budget")
}
