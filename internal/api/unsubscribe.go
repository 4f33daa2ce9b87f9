package api

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"pixelpals/internal/domain"
	"pixelpals/internal/locale"
	"pixelpals/internal/notify"
)

// The one-click unsubscribe of the notification mails (RFC 8058,
// docs/notifications.md). The signed token in the link is the only
// authority: no session, no CSRF header (a mail client's POST has
// neither), and all it can do is switch off the mails it names.

// unsubscribeToken checks the request's token: 400 naming it when it is
// not one we signed for unsubscribing.
func (a *API) unsubscribeToken(r *http.Request) (userID int64, what string, err error) {
	if a.unsub.Ring == nil {
		return 0, "", domain.Invalid("token", "not a valid unsubscribe link")
	}
	userID, what, err = a.unsub.Check(r.URL.Query().Get("token"))
	if errors.Is(err, notify.ErrBadToken) {
		return 0, "", domain.Invalid("token", "not a valid unsubscribe link")
	}
	return userID, what, err
}

// unsubscribePage asks to confirm: a GET never unsubscribes (link
// checkers and mail scanners open links).
func (a *API) unsubscribePage(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	userID, what, err := a.unsubscribeToken(r)
	if err != nil {
		return err
	}
	lang, err := a.pageLang(r, userID)
	if err != nil {
		return err
	}
	return writeUnsubscribePage(w, lang, what, false)
}

// unsubscribe switches off what the token names. A browser (the confirm
// page's button) gets a page; a mail client's one-click POST gets JSON.
func (a *API) unsubscribe(w http.ResponseWriter, r *http.Request, _ *domain.Actor) error {
	userID, what, err := a.unsubscribeToken(r)
	if err != nil {
		return err
	}
	if err := a.db.Unsubscribe(r.Context(), userID, what); err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		lang, err := a.pageLang(r, userID)
		if err != nil {
			return err
		}
		return writeUnsubscribePage(w, lang, what, true)
	}
	writeJSON(w, http.StatusOK, map[string]string{"unsubscribed": what})
	return nil
}

// pageLang is the language of a page a mail's link opens for userID:
// theirs, else the browser's.
func (a *API) pageLang(r *http.Request, userID int64) (string, error) {
	lang, err := a.db.LocaleOf(r.Context(), userID)
	if err != nil || lang != "" {
		return lang, err
	}
	return locale.Of(r), nil
}

var unsubscribeHTML = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Product}}: {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;color:#1d1b3a;background:#f4f0ff;margin:0}main{max-width:32rem;margin:2rem auto;padding:1.2rem;background:#fff;border:3px solid #1d1b3a}
button{font:inherit;font-weight:700;color:#fff;background:#4b2bbf;border:0;padding:.7rem 1.1rem;cursor:pointer}a{color:#4b2bbf}</style></head>
<body><main>
<h1>{{.Product}}</h1>
{{if .Done}}<p>{{.Done}}</p>
<p><a href="/#/">{{.Open}}</a></p>
{{else}}<p>{{.Ask}}</p>
<form method="post"><button type="submit">{{.Button}}</button></form>
{{end}}</main></body></html>
`))

func writeUnsubscribePage(w http.ResponseWriter, lang, what string, done bool) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	words := unsubscribeWhat(lang, what)
	page := map[string]any{"Lang": lang, "Product": notify.ProductName, "Title": locale.Sprintf(lang, "stop mails"),
		"Ask": locale.Sprintf(lang, "Stop getting %s?", words), "Button": locale.Sprintf(lang, "Yes, stop these mails"),
		"Open": locale.Sprintf(lang, "Open %s", notify.ProductName)}
	if done {
		page["Done"] = locale.Sprintf(lang, "Done: you will get no more %s. You can change this any time in the app's notification settings.", words)
	}
	return unsubscribeHTML.Execute(w, page)
}

// unsubscribeWhat names what a token switches off, for people.
func unsubscribeWhat(lang, what string) string {
	switch what {
	case notify.UnsubscribeDaily:
		return locale.Sprintf(lang, "daily digest mails")
	case notify.UnsubscribeWeekly:
		return locale.Sprintf(lang, "weekly summary mails")
	}
	return locale.Sprintf(lang, "mails about \"%s\"", strings.ReplaceAll(what, "_", " "))
}
