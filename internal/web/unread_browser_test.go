package web_test

import (
	"fmt"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// unreadTitle is a page condition: the tab title starts with "(n) ".
func unreadTitle(n int) string {
	return fmt.Sprintf(`document.title.startsWith("(%d) ")`, n)
}

// rowBadge is a page condition: the chats list's row of conv shows the
// unread badge n (0: none).
func rowBadge(conv int64, n int) string {
	row := fmt.Sprintf(`document.querySelector('main a[href="#/chat/%d"]')?.closest("li")`, conv)
	if n == 0 {
		return row + ` && !` + row + `.querySelector(".badge.unread")`
	}
	return fmt.Sprintf(`%s && %s.querySelector(".badge.unread") && %s.querySelector(".badge.unread").innerText.startsWith("%d")`, row, row, row, n)
}

// TestBrowserUnread: a child's chats list shows a badge on a chat as a
// friend's messages arrive, and the total in the tab title; the chat opens
// at the first unread message, marks what is seen read as it comes into
// view, and the badge on the child's other device clears live.
func TestBrowserUnread(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
	ka, kb := fa.Child(), fb.Child()
	conv := directChat(t, fa, ka, fb, kb)
	sendN := func(from, to int) (last int64) {
		for i := from; i <= to; i++ {
			var m struct{ ID int64 }
			kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", conv),
				map[string]any{"type": "text", "content": fmt.Sprintf("message %d", i), "client_id": fmt.Sprint("u", i)}, &m)
			last = m.ID
		}
		return last
	}

	b := newBrowser(t, env.Server.URL)
	tablet := b.user("child A's tablet")
	tablet.login(ka.Login, ka.Password)
	tablet.see("Your chats")
	tablet.until("the chat without a badge", rowBadge(conv, 0))

	// A new message: the badge and the title count appear live.
	sendN(1, 1)
	tablet.until("a badge of 1", rowBadge(conv, 1))
	tablet.until("(1) in the title", unreadTitle(1))
	tablet.check("unread-chats-badge")

	// Thirty read already (on another device, by REST), then 24 more.
	read := sendN(2, 30)
	ka.Must(200, "POST", fmt.Sprintf("/conversations/%d/read", conv), map[string]int64{"message_id": read}, nil)
	tablet.until("the badge cleared by the read elsewhere", rowBadge(conv, 0))
	tablet.until("no count in the title", `document.title === "Chats · Pixel Pals"`)
	sendN(31, 54)
	tablet.until("a badge of 24", rowBadge(conv, 24))
	tablet.until("(24) in the title", unreadTitle(24))

	// The phone opens the chat: at the first unread message, in view.
	phone := b.user("child A's phone")
	phone.login(ka.Login, ka.Password)
	phone.until("(24) in the phone's title", unreadTitle(24))
	phone.visit(fmt.Sprintf("#/chat/%d", conv))
	phone.see("message 54")
	phone.until("the first unread message marked and in view", `(() => {
		const first = document.querySelector(".messages li.first-unread");
		if (!first || !first.innerText.includes("message 31")) return false;
		const box = document.querySelector(".messages").getBoundingClientRect(), r = first.getBoundingClientRect();
		return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
	})()`)
	// What is in view is read: fewer unread, but the newest not yet.
	tablet.until("the tablet's badge going down", `(() => {
		const b = document.querySelector('main a[href="#/chat/`+fmt.Sprint(conv)+`"]')?.closest("li").querySelector(".badge.unread");
		return !!b && parseInt(b.innerText, 10) < 24;
	})()`)
	var part struct{ Unread int }
	ka.Must(200, "GET", fmt.Sprintf("/conversations/%d", conv), nil, &part)
	if part.Unread == 0 {
		t.Fatalf("opening the chat at message 31 marked all 24 read, not only those in view")
	}
	phone.check("unread-chat-opened")
	// Scrolled to the newest: everything is read, on both devices.
	phone.js(`(() => { const l = document.querySelector(".messages"); l.scrollTop = l.scrollHeight; return true; })()`, nil)
	phone.until("no count in the phone's title", `!document.title.startsWith("(")`)
	tablet.until("the tablet's badge cleared live", rowBadge(conv, 0))
	tablet.until("no count in the tablet's title", `document.title === "Chats · Pixel Pals"`)
	tablet.check("unread-chats-cleared")

	// A message arriving in the open chat is seen, so read at once.
	seen := sendN(55, 55)
	phone.see("message 55")
	waitRead(t, ka, conv, seen)
	tablet.until("the badge of the message seen on the phone cleared", rowBadge(conv, 0))

	// A parent reading the chat moves nothing: a new message stays unread.
	phone.visit("#/")
	phone.see("Your chats")
	sendN(56, 56)
	tablet.until("a badge of 1 again", rowBadge(conv, 1))
	parent := b.user("parent A")
	parent.login(fa.Parent.Login, fa.Parent.Password)
	parent.visit(fmt.Sprintf("#/child/%d/chat/%d", ka.UserID, conv))
	parent.see("message 56")
	parent.until("no count in the parent's title", `!document.title.startsWith("(")`)
	var st struct{ Unread int }
	ka.Must(200, "GET", fmt.Sprintf("/conversations/%d", conv), nil, &st)
	tablet.until("the badge still 1", rowBadge(conv, 1))
	if st.Unread != 1 {
		t.Fatalf("after the parent read the chat, the child's unread is %d, want 1", st.Unread)
	}
}

// waitRead waits until c's marker in conv is at msg.
func waitRead(t *testing.T, c *apitest.Client, conv, msg int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st struct {
			LastReadMessageID int64 `json:"last_read_message_id"`
		}
		c.Must(200, "GET", fmt.Sprintf("/conversations/%d", conv), nil, &st)
		if st.LastReadMessageID == msg {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("user %d's marker in %d is %d, want %d", c.UserID, conv, st.LastReadMessageID, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
