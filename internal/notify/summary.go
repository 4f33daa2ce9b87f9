package notify

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"pixelpals/internal/locale"
)

// compose writes p's mail: a digest or summary from the database, any
// other kind from its wording; then the unsubscribe link.
func (w *Worker) compose(ctx context.Context, p pending) (Mail, error) {
	var m Mail
	var err error
	switch p.kind {
	case DailyDigest:
		m, err = w.renderDigest(ctx, p)
	case WeeklySummary:
		m, err = w.renderSummary(ctx, p)
	default:
		m, err = w.renderMail(ctx, p)
	}
	if err != nil {
		return Mail{}, err
	}
	return w.withUnsubscribe(m, p)
}

// withUnsubscribe adds the link that switches this mail off: the header
// for mail clients, and a line at the end of the mail. The sign-up mails
// have none: no setting switches them off, and they come once.
func (w *Worker) withUnsubscribe(m Mail, p pending) (Mail, error) {
	what := string(p.kind)
	switch p.kind {
	case DailyDigest:
		what = UnsubscribeDaily
	case WeeklySummary:
		what = UnsubscribeWeekly
	}
	if w.Unsubscribe == nil || p.recipientID == 0 || !Unsubscribable(what) {
		return m, nil
	}
	token, err := w.Unsubscribe.Token(p.recipientID, what)
	if err != nil {
		return Mail{}, fmt.Errorf("unsubscribe link of notification %d: %w", p.id, err)
	}
	m.Unsubscribe = UnsubscribeURL(w.PublicURL, token)
	lang := locale.Or(p.lang)
	m.Text += locale.Sprintf(lang, "To stop these mails: %s", m.Unsubscribe) + "\n"
	link := fmt.Sprintf(`<p style="color: #666; font-size: 0.9em;"><a href="%s">%s</a></p>`+"\n</body>",
		template.HTMLEscapeString(m.Unsubscribe), template.HTMLEscapeString(locale.Sprintf(lang, "Stop these mails")))
	m.HTML = strings.Replace(m.HTML, "</body>", link, 1)
	return m, nil
}

// UnsubscribeURL is the address of the unsubscribe endpoint for token
// (internal/api/unsubscribe.go): a GET shows a page asking to confirm, a
// POST (the mail client's one click, or that page's button) switches off.
func UnsubscribeURL(publicURL, token string) string {
	return strings.TrimRight(publicURL, "/") + "/api/v1/unsubscribe?token=" + url.QueryEscape(token)
}

// renderDigest lists what waited for the parent: each kind and child, how
// many times. Never more than the kind and the child's name. Only the
// rows still waiting (not ended meanwhile: a guardian removed after the
// digest was written, dropLeftovers) about a child the parent may still
// be told of (toldOfChildSQL: not suspended meanwhile) count; a digest
// left with none is errNothingLeft.
func (w *Worker) renderDigest(ctx context.Context, p pending) (Mail, error) {
	rows, err := w.Pool.Query(ctx, `
		SELECT n.kind, coalesce(pr.display_name, ''), count(*)
		FROM notifications n
		JOIN users u ON u.id = n.recipient_id
		LEFT JOIN users k ON k.id = n.child_id
		LEFT JOIN profiles pr ON pr.user_id = n.child_id
		WHERE n.digest_id = $1 AND n.state = 'digest' AND `+toldOfChildSQL("n", "k", "u")+`
		GROUP BY 1, 2 ORDER BY 1, 2`, p.id)
	if err != nil {
		return Mail{}, fmt.Errorf("digest %d: %w", p.id, err)
	}
	lang := locale.Or(p.lang)
	var lines []string
	var kind, name string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&kind, &name, &n}, func() error {
		line := childName(lang, name, true) + ": " + locale.Sprintf(lang, wordings[Kind(kind)].subject)
		if n > 1 {
			line += " " + locale.Sprintf(lang, "(%d times)", n)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		return Mail{}, fmt.Errorf("digest %d: %w", p.id, err)
	}
	if len(lines) == 0 {
		return Mail{}, errNothingLeft
	}
	return listMail(p, locale.Sprintf(lang, "Your daily digest"),
		locale.Sprintf(lang, "Here is what happened today that you chose to hear about once a day:"), lines, Link(w.PublicURL, "", 0))
}

// ChildOfSQL is store.ChildOfSQL (a live child of whom parent is a
// guardian, store/visibility.go), set by the store when it is linked in:
// the store imports this package, so the rule is handed down rather than
// written here again.
var ChildOfSQL func(u, parent string) string

// UsableSQL is store.UsableSQL (an account approved, not suspended, not
// deleted), handed down like ChildOfSQL.
var UsableSQL func(p string) string

// toldOfChildSQL is true when the recipient u (a users row) of the
// notifications row n may be told of n's child k (users row, joined LEFT
// on n.child_id): the row names no child, or u is the child's primary, or
// u's account is vetted (issue 21: a guardian awaiting an admin's
// approval, or suspended, learns nothing of the child).
func toldOfChildSQL(n, k, u string) string {
	return `(` + n + `.child_id IS NULL OR ` + k + `.parent_id = ` + u + `.id OR ` + UsableSQL(u) + `)`
}

// renderSummary counts each child's week: messages sent and received, and
// contacts that became active. Counts only: no text, no names but the
// parent's own children's.
func (w *Worker) renderSummary(ctx context.Context, p pending) (Mail, error) {
	rows, err := w.Pool.Query(ctx, `
		SELECT coalesce(pr.display_name, ''),
		       (SELECT count(*) FROM messages m
		        WHERE m.sender_id = c.id AND m.type <> 'system' AND m.created_at >= to_timestamp($2) AND m.created_at < to_timestamp($3)),
		       (SELECT count(*) FROM messages m
		        JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = c.id
		        WHERE m.sender_id <> c.id AND m.type <> 'system' AND m.created_at >= to_timestamp($2) AND m.created_at < to_timestamp($3)),
		       (SELECT count(*) FROM contacts k
		        WHERE (k.child_a_id = c.id OR k.child_b_id = c.id) AND k.a_approved_at IS NOT NULL AND k.b_approved_at IS NOT NULL
		          AND greatest(k.a_approved_at, k.b_approved_at) >= to_timestamp($2)
		          AND greatest(k.a_approved_at, k.b_approved_at) < to_timestamp($3))
		FROM users c
		LEFT JOIN profiles pr ON pr.user_id = c.id
		WHERE `+ChildOfSQL("c", "$1")+`
		ORDER BY c.id`, p.recipientID, p.about["from"], p.about["to"])
	if err != nil {
		return Mail{}, fmt.Errorf("weekly summary %d: %w", p.id, err)
	}
	lang := locale.Or(p.lang)
	var lines []string
	var name string
	var sent, got, contacts int
	_, err = pgx.ForEachRow(rows, []any{&name, &sent, &got, &contacts}, func() error {
		lines = append(lines, childName(lang, name, true)+": "+strings.Join([]string{
			locale.Sprintf(lang, "%d messages sent", sent),
			locale.Sprintf(lang, "%d received", got),
			locale.Sprintf(lang, "%d new contacts", contacts)}, ", "))
		return nil
	})
	if err != nil {
		return Mail{}, fmt.Errorf("weekly summary %d: %w", p.id, err)
	}
	if len(lines) == 0 {
		lines = []string{locale.Sprintf(lang, "You have no children's accounts any more.")}
	}
	week := locale.Date(lang, time.Unix(p.about["to"], 0).UTC())
	return listMail(p, locale.Sprintf(lang, "Your weekly summary"), locale.Sprintf(lang, "Your children's week, up to %s:", week),
		lines, Link(w.PublicURL, "", 0))
}

var htmlList = template.Must(template.New("list").Parse(`<!doctype html>
<html lang="{{.Lang}}"><body style="font-family: sans-serif; color: #222;">
<h1 style="font-size: 1.2em;">{{.Product}}</h1>
<p>{{.Intro}}</p>
<ul>{{range .Lines}}
<li>{{.}}</li>{{end}}
</ul>
<p><a href="{{.Link}}">{{.Open}}</a></p>
<p style="color: #666; font-size: 0.9em;">{{.Footer}}</p>
</body></html>
`))

// listMail is a mail of an intro and a list: the digest, the summary;
// subject and intro come translated, the rest is translated here.
func listMail(p pending, subject, intro string, lines []string, link string) (Mail, error) {
	lang := locale.Or(p.lang)
	open := locale.Sprintf(lang, "Open %s", ProductName)
	footer := locale.Sprintf(lang, parentFooter, ProductName)
	text := locale.Sprintf(lang, "Hello,") + "\n\n" + intro + "\n\n- " + strings.Join(lines, "\n- ") + "\n\n" +
		open + ": " + link + "\n\n-- \n" + footer + "\n"
	var html bytes.Buffer
	err := htmlList.Execute(&html, map[string]any{"Lang": lang, "Product": ProductName, "Intro": intro, "Lines": lines,
		"Link": link, "Open": open, "Footer": footer})
	if err != nil {
		return Mail{}, fmt.Errorf("render notification %d: %w", p.id, err)
	}
	return Mail{ID: p.id, To: p.email, Subject: ProductName + ": " + subject, Text: text, HTML: html.String(), Link: link}, nil
}

// carried marks the rows a sent digest listed as sent with it.
func (w *Worker) carried(ctx context.Context, p pending) error {
	if p.kind != DailyDigest {
		return nil
	}
	_, err := w.Pool.Exec(ctx, `
		UPDATE notifications SET state = 'sent', sent_at = CURRENT_TIMESTAMP
		WHERE digest_id = $1 AND state = 'digest'`, p.id)
	if err != nil {
		return fmt.Errorf("rows of digest %d: %w", p.id, err)
	}
	return nil
}
