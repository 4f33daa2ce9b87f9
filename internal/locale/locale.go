// Package locale is the languages Pixel Pals speaks: English, German and
// Spanish. It says which one a request or an account gets (the account's
// choice, else the browser's Accept-Language, else English) and holds the
// server's message catalogs: the API's error messages, the mails and the
// pushes are written in English in the code, and that English text is the
// key of its German and Spanish translations (catalog/*.json), in the way
// of golang.org/x/text/message.
package locale

import (
	"context"
	"net/http"
	"slices"
	"time"

	"golang.org/x/text/language"
)

// Default is the language of anyone who chose none and whose browser asks
// for none we speak.
const Default = "en"

// Supported lists the languages we speak, as an account stores them.
var Supported = []string{"en", "de", "es"}

var tags = []language.Tag{language.English, language.German, language.Spanish}

var matcher = language.NewMatcher(tags)

// Valid reports whether s is a language an account may choose.
func Valid(s string) bool { return slices.Contains(Supported, s) }

// FromAcceptLanguage is the language we speak that best fits an
// Accept-Language header, or Default when none does.
func FromAcceptLanguage(header string) string {
	wanted, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(wanted) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(wanted...)
	if conf == language.No {
		return Default
	}
	return Supported[i]
}

type langKey struct{}

// WithLang returns ctx carrying lang, the account's chosen language.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// Of is the effective language of a request: the account's (WithLang),
// else the request's Accept-Language, else Default.
func Of(r *http.Request) string {
	if lang, ok := r.Context().Value(langKey{}).(string); ok && Valid(lang) {
		return lang
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// Or is lang when it is one we speak, else Default: a stored choice read
// for a mail.
func Or(lang string) string {
	if Valid(lang) {
		return lang
	}
	return Default
}

// dateLayouts write a day as each language does.
var dateLayouts = map[string]string{"en": "2 January 2006", "de": "2.1.2006", "es": "2/1/2006"}

// Date is day t written in lang (with English month names only in English).
func Date(lang string, t time.Time) string {
	return t.Format(dateLayouts[Or(lang)])
}
