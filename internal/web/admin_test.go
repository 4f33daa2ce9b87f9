package web_test

import (
	"fmt"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestBrowserAdmin is the admin's side in real Chromium: a wrong password
// shows its error, then pending parents are approved and rejected, users
// are found, suspended, reinstated and deleted, and the audit log is
// paged and filtered, with a bad filter shown next to its field.
func TestBrowserAdmin(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	approveMe := env.PendingParent()
	rejectMe := env.PendingParent()
	fam := env.Family(admin, 1)
	kid := fam.Child()
	// More than one page (50) of audit entries.
	for range 30 {
		admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/suspend", kid.UserID), nil, nil)
		admin.Must(200, "POST", fmt.Sprintf("/admin/users/%d/reinstate", kid.UserID), nil, nil)
	}
	b := newBrowser(t, env.Server.URL)
	ad := b.user("admin")

	// A wrong password: said in words (words.js), and nobody is logged in.
	ad.visit("#/login")
	ad.fill("", "Email or login name", admin.Login)
	ad.fill("", "Password", "not-the-password")
	ad.click("", "Log in")
	ad.see("That login name or password doesn't match.")
	var loggedIn bool
	ad.js(`!document.getElementById("logout").hidden`, &loggedIn)
	if loggedIn {
		t.Fatal("logged in with a wrong password")
	}
	ad.check("login-error")
	// The right one, with the keyboard only: Tab to the password, Enter.
	ad.fill("", "Email or login name", admin.Login+"\t"+admin.Password+"\r")
	ad.until("being logged in", `!document.getElementById("logout").hidden`)
	// Pending parents.
	ad.see(approveMe.Login)
	ad.see(rejectMe.Login)
	// Focus is visible: the focused control draws an outline. Once the
	// list is in: a list drawn after the Tab would take the focus along.
	ad.run(pressTab("#logout"))
	var outline string
	ad.js(`getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth`, &outline)
	if strings.HasPrefix(outline, "none") || strings.HasSuffix(outline, " 0px") {
		t.Errorf("the focused control has no visible outline: %q", outline)
	}

	ad.click(approveMe.Login, "Approve "+approveMe.Login)
	ad.click(rejectMe.Login, "Reject "+rejectMe.Login)
	ad.click(rejectMe.Login, "Yes, reject")
	ad.see("Nobody is waiting.")
	var me struct {
		User struct {
			ApprovedByAdmin bool `json:"approved_by_admin"`
		}
	}
	approveMe.Must(200, "GET", "/me", nil, &me)
	if !me.User.ApprovedByAdmin {
		t.Error("the approved parent is not approved")
	}
	if r := env.Anonymous().Do("POST", "/auth/login", map[string]string{"login": rejectMe.Login, "password": rejectMe.Password}); r.Status != 401 {
		t.Errorf("the rejected parent can still log in: %d", r.Status)
	}

	// Users: find, suspend, reinstate, delete.
	ad.click("", "Users")
	ad.fill("", "Email or name contains", fam.Parent.Login)
	ad.click("Find users", "Search")
	ad.until("only the searched parent", `document.querySelectorAll("section[aria-label=Results] li.family").length === 1`)
	ad.click(fam.Parent.Login, "Suspend "+fam.Parent.Login)
	ad.click(fam.Parent.Login, "Yes, suspend")
	ad.until("the suspended badge", `document.querySelector("section[aria-label=Results] .badge.bad")`)
	if r := fam.Parent.Do("GET", "/me", nil); r.Status != 401 {
		t.Errorf("a suspended parent's session still answers %d", r.Status)
	}
	ad.check("admin-users")
	ad.click(fam.Parent.Login, "Reinstate "+fam.Parent.Login)
	ad.until("the badge gone", `!document.querySelector("section[aria-label=Results] .badge.bad")`)
	ad.fill("", "Email or name contains", kid.Login)
	ad.click("Find users", "Search")
	ad.click(kid.Login, "Delete "+kid.Login)
	ad.click(kid.Login, "Yes, delete")
	ad.see("No users match.")
	if r := env.Anonymous().Do("POST", "/auth/login", map[string]string{"login": kid.Login, "password": kid.Password}); r.Status != 401 {
		t.Errorf("the deleted child can still log in: %d", r.Status)
	}

	// The audit log, paged and filtered.
	ad.click("", "Audit log")
	ad.until("a first page of 50", `document.querySelectorAll("ul.audit > li").length === 50`)
	ad.check("admin-audit")
	ad.click("", "Older entries")
	ad.until("a second page", `document.querySelectorAll("ul.audit > li").length > 50`)
	// The filters sit behind a disclosure.
	var opened bool
	ad.js(`document.querySelector(".filter-box > summary").click(); document.querySelector(".filter-box").open`, &opened)
	if !opened {
		t.Fatal("the filters do not open")
	}
	ad.fill("", "Action", "user.suspend")
	ad.click("Filter the audit log", "Apply filters")
	ad.until("only suspensions", `(() => { const rows = [...document.querySelectorAll("ul.audit > li")];
		return rows.length === 31 && rows.every(r => r.dataset.action === "user.suspend"); })()`)
	ad.fill("", "Entity id", "abc")
	ad.click("Filter the audit log", "Apply filters")
	ad.until("the entity id error next to its field", `document.querySelector("input[name=entity_id][aria-invalid=true]") &&
		document.getElementById(document.querySelector("input[name=entity_id]").getAttribute("aria-describedby").split(" ").pop()).innerText.length > 0`)
}
