package notify

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"pixelpals/internal/locale"
)

// ProductName is what every mail calls the service.
const ProductName = "Pixel Pals"

// Mail is one notification as the parent reads it.
type Mail struct {
	ID      int64 // the notification's id: one Message-ID per row
	To      string
	Subject string
	Text    string // text/plain
	HTML    string // text/html, the same words
	Link    string // the page that needs the parent
	// Unsubscribe is the one-click unsubscribe address (RFC 8058), "" for
	// the sign-up mails, which no setting switches off.
	Unsubscribe string
	// Sentence is the one sentence that says what happened (a push's text).
	Sentence string
}

// wording is what a mail of one kind says. sentence has one %s for the
// child's display name (or "your child" once the name is gone).
type wording struct {
	subject  string
	sentence string
	page     string // the web UI's route: "" the parent's home, "child" the child's page
}

var wordings = map[Kind]wording{
	ContactRequest:   {locale.Text("A friend request waits for your approval"), locale.Text("%s has a new friend request that waits for your approval."), "child"},
	ContactApproved:  {locale.Text("A friend request was approved"), locale.Text("%s's friend request was approved by both families: they can chat now."), "child"},
	ContactDeclined:  {locale.Text("A friend request was declined"), locale.Text("%s's friend request was declined by the other family."), "child"},
	AccountApproved:  {locale.Text("Your account is approved"), locale.Text("Your parent account was approved: you can now add your children."), ""},
	AccountDeclined:  {locale.Text("Your sign-up was declined"), locale.Text("An administrator declined your parent account, and it was removed."), "login"},
	LeakGuard:        {locale.Text("The password guard stopped a message"), locale.Text("%s tried to send what looks like a saved game password; the message was stopped."), "child"},
	ReportByChild:    {locale.Text("Your child reported a message"), locale.Text("%s reported a message to the moderators."), "child"},
	ReportAboutChild: {locale.Text("A message was reported"), locale.Text("A message %s sent was reported to the moderators."), "child"},
	ReportResolved:   {locale.Text("A report was resolved"), locale.Text("A moderator resolved a report in one of %s's chats."), "child"},
	ChildBlocked:     {locale.Text("Your child blocked a contact"), locale.Text("%s blocked one of their contacts; only you can lift the block."), "child"},
	ChildWasBlocked:  {locale.Text("A contact blocked your child"), locale.Text("One of %s's contacts blocked them; their chats together are paused."), "child"},
	ChildSuspended:   {locale.Text("Your child's account was suspended"), locale.Text("An administrator suspended the account of %s."), "child"},
	ChildDeleted:     {locale.Text("Your child's account was deleted"), locale.Text("An administrator deleted the account of %s."), ""},
}

// pending is a claimed notification with what its mail needs.
type pending struct {
	id        int64
	kind      Kind
	childID   int64
	childName string // "" when the child or their profile is gone
	email     string // "" when the recipient is gone
	attempts  int
	token     string // the link's token (tokens.go), for the kinds that carry one

	recipientID    int64            // 0 when the recipient is gone
	about          map[string]int64 // the row's other ids (a summary's week)
	mailed, pushed bool             // the channels an earlier attempt got through
	lang           string           // the recipient's chosen language, "" for none (English)
}

var htmlMail = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><body style="font-family: sans-serif; color: #222;">
<h1 style="font-size: 1.2em;">{{.Product}}</h1>
<p>{{.Sentence}}</p>
<p><a href="{{.Link}}">{{.Open}}</a></p>
<p style="color: #666; font-size: 0.9em;">{{.Footer}}</p>
</body></html>
`))

// render writes p's mail, in its recipient's language; publicURL is the
// service's base URL.
func render(p pending, publicURL string) (Mail, error) {
	w, ok := wordings[p.kind]
	account, isAccount := accountWordings[p.kind]
	if isAccount {
		w, ok = account, true
	}
	if !ok {
		return Mail{}, fmt.Errorf("notification %d: unknown kind %q", p.id, p.kind)
	}
	lang := locale.Or(p.lang)
	sentence := locale.Sprintf(lang, w.sentence)
	if strings.Contains(w.sentence, "%s") {
		sentence = locale.Sprintf(lang, w.sentence, childName(lang, p.childName, strings.HasPrefix(w.sentence, "%s")))
	}
	link := Link(publicURL, w.page, p.childID)
	footer := locale.Sprintf(lang, parentFooter, ProductName)
	if isAccount {
		link, footer = accountLink(publicURL, p), locale.Sprintf(lang, accountFooter, ProductName)
	}
	open := locale.Sprintf(lang, "Open %s", ProductName)
	text := locale.Sprintf(lang, "Hello,") + "\n\n" + sentence + "\n\n" + open + ": " + link + "\n\n-- \n" + footer + "\n"
	var html bytes.Buffer
	err := htmlMail.Execute(&html, map[string]string{"Lang": lang, "Product": ProductName, "Sentence": sentence,
		"Link": link, "Open": open, "Footer": footer})
	if err != nil {
		return Mail{}, fmt.Errorf("render notification %d: %w", p.id, err)
	}
	return Mail{ID: p.id, To: p.email, Subject: ProductName + ": " + locale.Sprintf(lang, w.subject), Text: text,
		HTML: html.String(), Link: link, Sentence: sentence}, nil
}

// childName is how a mail names the child: their display name, or "your
// child" once it is gone (capitalized at the start of a sentence).
func childName(lang, name string, first bool) string {
	switch {
	case name != "":
		return name
	case first:
		return locale.Sprintf(lang, "Your child")
	}
	return locale.Sprintf(lang, "your child")
}

var parentFooter = locale.Text("This mail was sent by %s because you are a parent there. It never contains messages; open the app to see more.")

// Link is the address of a page of the web UI (internal/web, its routes in
// app.js): page "child" is a child's page on the parent's screen, "login"
// the login page, "" the home page.
func Link(publicURL, page string, childID int64) string {
	base := strings.TrimRight(publicURL, "/")
	switch {
	case page == "child" && childID != 0:
		return fmt.Sprintf("%s/#/child/%d", base, childID)
	case page == "login":
		return base + "/#/login"
	}
	return base + "/#/"
}
