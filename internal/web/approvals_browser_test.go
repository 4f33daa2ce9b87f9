// This file tests the approval card a parent judges a friend request by,
// and the child's own "Yes" / "Not now" (issue 21.4).

package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/live"
)

// approvalsFixture: Mia (family A, parent Tom Schulz) has requests from
// Ben Weber (asked himself three days ago; his parent is Anna Weber; two
// friends in common with Mia), Lena and Noah.
type approvalsFixture struct {
	env           *apitest.Env
	fa, fb        *apitest.Family
	mia           *apitest.Client
	lena, noah    *apitest.Client
	ben, lenaLink int64
	noahLink      int64
}

// named makes a family with one child, the parent and child renamed.
func named(env *apitest.Env, admin *apitest.Client, parent, child string) *apitest.Family {
	f := env.Family(admin, 1)
	f.Parent.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": parent}, nil)
	f.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", f.Child().UserID), map[string]string{"display_name": child}, nil)
	return f
}

func code(c *apitest.Client) string {
	var out struct {
		FriendCode string `json:"friend_code"`
	}
	c.Must(200, "GET", "/me/friend-code", nil, &out)
	return out.FriendCode
}

// asks has child from ask child to themself and returns the link id.
func asks(from, to *apitest.Client) int64 {
	var link struct{ ID int64 }
	from.Must(201, "POST", "/contacts", map[string]any{"friend_code": code(to)}, &link)
	return link.ID
}

func newApprovalsFixture(t *testing.T) *approvalsFixture {
	t.Helper()
	f := &approvalsFixture{env: apitest.New(t, apitest.Options{Live: live.Config{PollInterval: 50 * time.Millisecond}})}
	admin := f.env.Admin()
	f.fa = named(f.env, admin, "Tom Schulz", "Mia")
	f.fb = named(f.env, admin, "Anna Weber", "Ben Weber")
	f.mia = f.fa.Child()
	for _, friend := range []string{"Ida", "Max"} {
		fc := named(f.env, admin, "Parent of "+friend, friend)
		befriend(t, fc, fc.Child(), f.fa, f.mia)
		befriend(t, fc, fc.Child(), f.fb, f.fb.Child())
	}
	f.lena = named(f.env, admin, "Eva Berg", "Lena").Child()
	f.noah = named(f.env, admin, "Jonas Roth", "Noah").Child()
	f.ben = asks(f.fb.Child(), f.mia)
	if _, err := f.env.DB.Pool.Exec(t.Context(), `UPDATE contacts SET created_at = created_at - interval '3 days 1 hour' WHERE id = $1`, f.ben); err != nil {
		t.Fatal(err)
	}
	f.lenaLink = asks(f.lena, f.mia)
	f.noahLink = asks(f.noah, f.mia)
	return f
}

// TestBrowserApprovals: on a phone Mia sees two requests sent to her with
// "Yes" and "Not now"; she says yes to Ben (her parent still decides) and
// not now to Lena, whose request is gone for both. Her parent's home page
// shows a card per request: picture, "Ben Weber wants to be friends with
// Mia", "Parent: Anna Weber", "Asked 3 days ago", "2 friends in common",
// and Approve / Decline buttons named for the child; he approves Ben and
// declines Noah.
func TestBrowserApprovals(t *testing.T) {
	f := newApprovalsFixture(t)
	b := newBrowser(t, f.env.Server.URL)

	kid := b.user("Mia")
	kid.login(f.mia.Login, f.mia.Password)
	kid.run(chromedp.EmulateViewport(360, 740))
	kid.visit("#/friends")
	kid.see("Ben Weber wants to be friends with you!")
	kid.see("Lena wants to be friends with you!")
	kid.checkFull("child-friend-requests")
	kid.shootPart("child-friend-request", "li.ask")
	kid.click("Ben Weber wants", "Yes, be friends with Ben Weber")
	kid.see("Great! Now your parent says OK too.")
	kid.click("Lena wants", "Not now: say no to Lena")
	kid.until("Lena's request gone", `!document.querySelector("main").innerText.includes("Lena")`)
	var left struct{ Items []struct{ ID int64 } }
	f.lena.Must(200, "GET", "/contacts", nil, &left)
	if len(left.Items) != 0 {
		t.Fatalf("Lena still lists %+v after Mia's Not now", left.Items)
	}

	pa := b.user("Mia's parent")
	pa.login(f.fa.Parent.Login, f.fa.Parent.Password)
	pa.see("Friend requests to approve")
	pa.see("Ben Weber wants to be friends with Mia")
	card := pa.cardText("Ben Weber wants to be friends with Mia")
	for _, want := range []string{"Parent: Anna Weber", "Asked 3 days ago", "2 friends in common"} {
		if !strings.Contains(card, want) {
			t.Errorf("the card says %q, want %q in it", card, want)
		}
	}
	if noah := pa.cardText("Noah wants to be friends with Mia"); !strings.Contains(noah, "Parent: Jonas Roth") || !strings.Contains(noah, "No friends in common") {
		t.Errorf("Noah's card says %q", noah)
	}
	benPic := `[...document.querySelectorAll("li.approval img")].find(i => i.closest("li").innerText.includes("Ben Weber"))`
	pa.until("Ben's picture loaded", `(() => { const img = `+benPic+`; return img.complete && img.naturalWidth > 0; })()`)
	var pic string
	pa.js(benPic+`.getAttribute("src")`, &pic)
	if pic != fmt.Sprintf("/api/v1/profiles/%d/avatar?size=thumb", f.fb.Child().UserID) {
		t.Errorf("Ben's picture: %q", pic)
	}
	pa.checkFull("parent-approval-cards")
	pa.shootPart("parent-approval-card", "li.approval")
	pa.click("Ben Weber wants", "Approve Ben Weber as Mia's friend")
	pa.until("Ben's card gone", `!document.querySelector("main").innerText.includes("Ben Weber wants")`)
	pa.click("Noah wants", "Decline Noah as Mia's friend")
	pa.see("No friend requests waiting for you.")

	var mine struct {
		Items []struct {
			ID       int64
			Children []struct {
				ChildID        int64 `json:"child_id"`
				ParentApproved bool  `json:"parent_approved"`
			}
		}
	}
	f.fa.Parent.Must(200, "GET", "/contacts", nil, &mine)
	ids := map[int64]bool{}
	for _, k := range mine.Items {
		ids[k.ID] = true
		for _, c := range k.Children {
			if k.ID == f.ben && c.ChildID == f.mia.UserID && !c.ParentApproved {
				t.Errorf("Ben's link is not approved on Mia's side")
			}
		}
	}
	if !ids[f.ben] || ids[f.noahLink] || ids[f.lenaLink] {
		t.Errorf("links after approving and declining: %v", ids)
	}
}

// cardText is the text of the smallest list item holding text.
func (u *User) cardText(text string) string {
	u.t.Helper()
	u.see(text)
	var s string
	u.js(`(() => { const all = [...document.querySelectorAll("li")].filter(li => li.innerText.includes(`+jsString(text)+`));
		return all.sort((a, b) => a.innerText.length - b.innerText.length)[0].innerText.replace(/\s+/g, " "); })()`, &s)
	return s
}
