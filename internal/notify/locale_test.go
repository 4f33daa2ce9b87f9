package notify_test

import (
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// subjectOf is a mail's subject, its RFC 2047 words decoded.
func subjectOf(t *testing.T, m parsedMail) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mailsWithSubject are the mails to addr whose decoded subject has subject.
func mailsWithSubject(t *testing.T, mb *mailbox, addr, subject string) []parsedMail {
	t.Helper()
	var out []parsedMail
	for _, p := range mailsTo(t, mb, addr, "") {
		if strings.Contains(subjectOf(t, p), subject) {
			out = append(out, p)
		}
	}
	return out
}

// TestMailsInRecipientsLanguage: a parent who chose German gets a mail at
// once and the daily digest in German, text and HTML, plural forms
// included, and the unsubscribe page in German; a Spanish parent's mail is
// Spanish; a parent who chose nothing gets English.
func TestMailsInRecipientsLanguage(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	de, es, en := env.Family(admin, 1), env.Family(admin, 1), env.Family(admin, 1)
	de.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "de"}, nil)
	es.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "es"}, nil)
	de.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"leak_guard": "daily", "weekly_summary": false}, nil)
	for _, f := range []*apitest.Family{es, en} {
		f.Parent.Must(200, "PUT", "/me/notification-settings", map[string]any{"weekly_summary": false}, nil)
	}
	kid := de.Child()
	queue(t, env,
		notify.Note{To: de.Parent.UserID, Kind: notify.ContactRequest, Child: kid.UserID},
		notify.Note{To: de.Parent.UserID, Kind: notify.LeakGuard, Child: kid.UserID},
		notify.Note{To: de.Parent.UserID, Kind: notify.LeakGuard, Child: kid.UserID},
		notify.Note{To: es.Parent.UserID, Kind: notify.ChildBlocked, Child: es.Child().UserID},
		notify.Note{To: en.Parent.UserID, Kind: notify.ChildBlocked, Child: en.Child().UserID})
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := smtpWorker(env, port)
	w.Unsubscribe = &notify.Unsubscribe{Ring: env.Vault}
	clk := &clock{t: time.Now()}
	w.Now = clk.now
	drain(t, w)

	now := mailsWithSubject(t, mb, de.Parent.Login, "Pixel Pals: Eine Freundschaftsanfrage wartet auf deine Zustimmung")
	if len(now) != 1 {
		t.Fatalf("%d German friend request mails, want 1", len(now))
	}
	if !strings.HasPrefix(now[0].Text, "Hallo,") {
		t.Errorf("the German mail does not greet in German:\n%s", now[0].Text)
	}
	for _, want := range []string{"Kid " + kid.Login + " hat eine neue Freundschaftsanfrage, die auf deine Zustimmung wartet.",
		"Pixel Pals öffnen", "weil du dort ein Elternkonto hast"} {
		if !strings.Contains(now[0].Text, want) || !strings.Contains(now[0].HTML, want) {
			t.Errorf("the German mail lacks %q:\n%s\n%s", want, now[0].Text, now[0].HTML)
		}
	}
	if !strings.Contains(now[0].HTML, `<html lang="de">`) {
		t.Errorf("the German mail's HTML is not marked German:\n%s", now[0].HTML)
	}
	checkOneMail(t, mb, es.Parent.Login, "Pixel Pals: Tu hijo o hija ha bloqueado a un contacto",
		"Kid "+es.Child().Login+" ha bloqueado a uno de sus contactos; solo tú puedes quitar el bloqueo.")
	checkOneMail(t, mb, en.Parent.Login, "Pixel Pals: Your child blocked a contact",
		"Kid "+en.Child().Login+" blocked one of their contacts; only you can lift the block.")

	clk.set(time.Now().Add(25 * time.Hour))
	drain(t, w)
	digests := mailsWithSubject(t, mb, de.Parent.Login, "Pixel Pals: Deine tägliche Zusammenfassung")
	if len(digests) != 1 {
		t.Fatalf("%d German digests, want 1", len(digests))
	}
	d := digests[0]
	for _, want := range []string{"Das ist heute passiert", "Kid " + kid.Login + ": Der Passwort-Schutz hat eine Nachricht angehalten (2-mal)",
		"Diese E-Mails abbestellen"} {
		if !strings.Contains(d.Text+d.HTML, want) {
			t.Errorf("the German digest lacks %q:\n%s\n%s", want, d.Text, d.HTML)
		}
	}
	if strings.Contains(d.Text, "Hello") || strings.Contains(d.Text, "times") {
		t.Errorf("English in the German digest:\n%s", d.Text)
	}
	page := getPage(t, checkUnsubscribeHeaders(t, env, d))
	if !strings.Contains(page, `lang="de"`) || !strings.Contains(page, "Keine täglichen Zusammenfassungen mehr bekommen?") {
		t.Errorf("the unsubscribe page is not German:\n%s", page)
	}
}

func checkOneMail(t *testing.T, mb *mailbox, addr, subject, sentence string) {
	t.Helper()
	got := mailsWithSubject(t, mb, addr, subject)
	if len(got) != 1 || !strings.Contains(got[0].Text, sentence) || !strings.Contains(got[0].HTML, sentence) {
		t.Fatalf("%d mails to %s with subject %q and sentence %q: %v", len(got), addr, subject, sentence, got)
	}
}

// getPage opens link as a browser does, asking for English: the page is
// in the recipient's language all the same.
func getPage(t *testing.T, link string) string {
	t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en-US")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", link, resp.StatusCode)
	}
	return readAll(resp)
}
