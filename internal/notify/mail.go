package notify

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
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
	ContactRequest:   {"A friend request waits for your approval", "%s has a new friend request that waits for your approval.", "child"},
	ContactApproved:  {"A friend request was approved", "%s's friend request was approved by both families: they can chat now.", "child"},
	ContactDeclined:  {"A friend request was declined", "%s's friend request was declined by the other family.", "child"},
	AccountApproved:  {"Your account is approved", "Your parent account was approved: you can now add your children.", ""},
	AccountDeclined:  {"Your sign-up was declined", "An administrator declined your parent account, and it was removed.", "login"},
	LeakGuard:        {"The password guard stopped a message", "%s tried to send what looks like a saved game password; the message was stopped.", "child"},
	ReportByChild:    {"Your child reported a message", "%s reported a message to the moderators.", "child"},
	ReportAboutChild: {"A message was reported", "A message %s sent was reported to the moderators.", "child"},
	ReportResolved:   {"A report was resolved", "A moderator resolved a report in one of %s's chats.", "child"},
	ChildBlocked:     {"Your child blocked a contact", "%s blocked one of their contacts; only you can lift the block.", "child"},
	ChildWasBlocked:  {"A contact blocked your child", "One of %s's contacts blocked them; their chats together are paused.", "child"},
	ChildSuspended:   {"Your child's account was suspended", "An administrator suspended the account of %s.", "child"},
	ChildDeleted:     {"Your child's account was deleted", "An administrator deleted the account of %s.", ""},
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
}

var htmlMail = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family: sans-serif; color: #222;">
<h1 style="font-size: 1.2em;">{{.Product}}</h1>
<p>{{.Sentence}}</p>
<p><a href="{{.Link}}">Open {{.Product}}</a></p>
<p style="color: #666; font-size: 0.9em;">{{.Footer}}</p>
</body></html>
`))

// render writes p's mail; publicURL is the service's base URL.
func render(p pending, publicURL string) (Mail, error) {
	w, ok := wordings[p.kind]
	account, isAccount := accountWordings[p.kind]
	if isAccount {
		w, ok = account, true
	}
	if !ok {
		return Mail{}, fmt.Errorf("notification %d: unknown kind %q", p.id, p.kind)
	}
	sentence := w.sentence
	if strings.Contains(sentence, "%s") {
		name := p.childName
		switch {
		case name == "" && strings.HasPrefix(sentence, "%s"):
			name = "Your child"
		case name == "":
			name = "your child"
		}
		sentence = fmt.Sprintf(sentence, name)
	}
	link := Link(publicURL, w.page, p.childID)
	footer := "This mail was sent by " + ProductName + " because you are a parent there. It never contains messages; open the app to see more."
	if isAccount {
		link, footer = accountLink(publicURL, p), accountFooter
	}
	text := fmt.Sprintf("Hello,\n\n%s\n\nOpen %s: %s\n\n-- \n%s\n", sentence, ProductName, link, footer)
	var html bytes.Buffer
	err := htmlMail.Execute(&html, map[string]string{"Product": ProductName, "Sentence": sentence, "Link": link, "Footer": footer})
	if err != nil {
		return Mail{}, fmt.Errorf("render notification %d: %w", p.id, err)
	}
	return Mail{ID: p.id, To: p.email, Subject: ProductName + ": " + w.subject, Text: text, HTML: html.String(), Link: link, Sentence: sentence}, nil
}

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
