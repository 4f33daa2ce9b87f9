// This file tests what a parent is told about their child's reports and
// the password guard's refusals (issue 19.7): the same reports, live, on
// the child page and the activity page of both families, and one kept
// notice per child and game.

package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// leakSend has child c send their kept password into convo: refused.
func leakSend(t *testing.T, c *apitest.Client, convo int64, text string, n int) {
	t.Helper()
	c.Must(422, "POST", fmt.Sprintf("/conversations/%d/messages", convo),
		map[string]any{"type": "text", "content": text, "client_id": fmt.Sprintf("leak-%d", n)}, nil)
}

// noticeCount is how many notice boxes the page shows.
func noticeCount(u *User) int {
	u.t.Helper()
	var n int
	u.js(`document.querySelectorAll(".notices .notice.leak").length`, &n)
	return n
}

// TestBrowserLeakNoticesKept: three refusals of Ada's Blockcraft password
// and one of her Skyland password give her parent two notices, not four,
// the Blockcraft one counting three; they are still there after a reload
// and in the parent's second tab; dismissing one in one tab takes it away
// in the other live, and it stays away after a reload.
func TestBrowserLeakNoticesKept(t *testing.T) {
	f := newControlsFixture(t)
	f.fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", f.ka.UserID),
		map[string]string{"game_name": "Skyland", "username": "ada", "password": "Sunny-Pony-42"}, nil)
	b := newBrowser(t, f.env.Server.URL)
	pa := b.user("Ada's parent")
	pa.login(f.fa.Parent.Login, f.fa.Parent.Password)
	pa.see("Your children")
	pa.until("the socket live", `document.getElementById("live").textContent.includes("Live")`)

	leakSend(t, f.ka, f.convo, "my pass is "+f.gamePass, 1)
	leakSend(t, f.ka, f.convo, "Sunny-Pony-42", 2)
	leakSend(t, f.ka, f.convo, strings.ToUpper(f.gamePass), 3)
	leakSend(t, f.ka, f.convo, "again "+f.gamePass, 4)
	blockcraft := `[...document.querySelectorAll(".notices .notice.leak")].find(n => n.innerText.includes("Blockcraft"))`
	pa.until("the Blockcraft notice counting three", blockcraft+`?.innerText.includes("3 messages from Ada")`)
	pa.until("the Skyland notice", `[...document.querySelectorAll(".notices .notice.leak")].some(n => n.innerText.includes("Skyland"))`)
	if n := noticeCount(pa); n != 2 {
		t.Fatalf("%d notices, want one per game (2)", n)
	}
	var text string
	pa.js(`document.querySelector(".notices").innerText`, &text)
	if strings.Contains(strings.ToLower(text), "hunter") || strings.Contains(strings.ToLower(text), "pony") {
		t.Errorf("a notice shows the password: %q", text)
	}
	pa.checkFull("parent-leak-notices")

	pa.run(chromedp.Reload())
	pa.see("Your children")
	pa.until("the notices after a reload", `document.querySelectorAll(".notices .notice.leak").length === 2`)

	second := b.user("Ada's parent, second tab")
	second.login(f.fa.Parent.Login, f.fa.Parent.Password)
	second.until("the notices in the second tab", `document.querySelectorAll(".notices .notice.leak").length === 2`)
	second.until("the socket live", `document.getElementById("live").textContent.includes("Live")`)

	pa.click("", "Dismiss the Blockcraft notice about Ada")
	pa.until("the Blockcraft notice gone", `document.querySelectorAll(".notices .notice.leak").length === 1 && !(`+blockcraft+`)`)
	second.until("the Blockcraft notice gone in the second tab", `document.querySelectorAll(".notices .notice.leak").length === 1 && !(`+blockcraft+`)`)
	pa.run(chromedp.Reload())
	pa.see("Your children")
	pa.until("the Skyland notice after a reload", `[...document.querySelectorAll(".notices .notice.leak")].some(n => n.innerText.includes("Skyland"))`)
	if n := noticeCount(pa); n != 1 {
		t.Fatalf("%d notices after dismissing one and reloading, want 1", n)
	}
}

// reportItem is the JavaScript for report id's entry in the page's
// report list.
func reportItem(id int64) string {
	return fmt.Sprintf(`document.querySelector(".reports li[data-report=\"%d\"]")`, id)
}

// TestBrowserReportsLive: each parent's child page lists the reports by
// and about their child, as their activity page does; a report resolved
// by the admin, and a new report about their child, show on both parents'
// pages without a reload; the reported child's parent never sees the
// reporter's reason.
func TestBrowserReportsLive(t *testing.T) {
	f := newControlsFixture(t)
	admin := f.env.Admin()
	var queue struct {
		Items []struct {
			ID      int64
			Reason  string
			Message struct{ ID int64 }
		}
	}
	admin.Must(200, "GET", "/admin/reports", nil, &queue)
	var byAda, aboutAda int64
	for _, r := range queue.Items {
		switch r.Reason {
		case "test report by Ada":
			byAda = r.ID
		case "test report about Ada":
			aboutAda = r.ID
		}
	}
	if byAda == 0 || aboutAda == 0 {
		t.Fatalf("fixture reports: %+v", queue.Items)
	}

	b := newBrowser(t, f.env.Server.URL)
	pa, pb := b.user("Ada's parent"), b.user("Ben's parent")
	pa.login(f.fa.Parent.Login, f.fa.Parent.Password)
	pb.login(f.fb.Parent.Login, f.fb.Parent.Password)
	pa.visit(fmt.Sprintf("#/child/%d", f.ka.UserID))
	pb.visit(fmt.Sprintf("#/child/%d", f.kb.UserID))
	for _, c := range []struct {
		u          *User
		by, about  int64
		byText     string
		aboutText  string
		hiddenText string
	}{
		{pa, byAda, aboutAda, "Ada reported a message", "A message Ada sent was reported", "test report about Ada"},
		{pb, aboutAda, byAda, "Ben reported a message", "A message Ben sent was reported", "test report by Ada"},
	} {
		c.u.until("the child's own report", reportItem(c.by)+`?.innerText.includes(`+jsString(c.byText)+`)`)
		c.u.until("the report about the child", reportItem(c.about)+`?.innerText.includes(`+jsString(c.aboutText)+`)`)
		c.u.until("the socket live", `document.getElementById("live").textContent.includes("Live")`)
		c.u.seeNot(c.hiddenText)
	}

	// The admin resolves Ada's report: both parents see it, live.
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", byAda), map[string]string{"resolution": "dismissed"}, nil)
	for _, u := range []*User{pa, pb} {
		u.until("the resolved report, live", reportItem(byAda)+`?.innerText.includes("resolved: nothing needed doing")`)
	}
	pa.shootPart("parent-reports-live", ".reports")

	// Ben reports another message of Ada's: her parent sees it at once, on
	// the activity page too, without the reason.
	var m struct{ ID int64 }
	f.ka.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.convo), map[string]any{"type": "text", "content": "boo", "client_id": "c-boo"}, &m)
	pa.click("", "See Ada's activity")
	pa.see("Ada's activity")
	var rep struct{ ID int64 }
	f.kb.Must(201, "POST", fmt.Sprintf("/messages/%d/report", m.ID), map[string]string{"reason": "SECRET-REASON boo"}, &rep)
	pa.until("the new report on the activity page, live", reportItem(rep.ID)+`?.innerText.includes("A message Ada sent was reported")`)
	pb.until("the new report on Ben's page, live", reportItem(rep.ID)+`?.innerText.includes("Ben reported a message")`)
	admin.Must(200, "POST", fmt.Sprintf("/admin/reports/%d/resolve", rep.ID), map[string]string{"resolution": "message_deleted"}, nil)
	pa.until("the activity page's report resolved, live", reportItem(rep.ID)+`?.innerText.includes("the message was removed")`)
	pa.seeNot("SECRET-REASON")
	pa.checkFull("parent-activity-reports")
	pa.click("", "← Back")
	pa.until("the child page's report resolved", reportItem(rep.ID)+`?.innerText.includes("the message was removed")`)
	pa.seeNot("SECRET-REASON")
}
