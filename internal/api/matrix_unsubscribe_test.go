package api_test

import (
	"net/url"

	"pixelpals/internal/notify"
)

// The unsubscribe link's token is its only authority: whoever holds a
// good one (any role, no session at all) switches off what it names for
// the parent it names; a forged one does nothing for anyone.
var _ = addMatrix(
	matrixCase{method: "GET", route: "/unsubscribe", path: unsubscribePath(false),
		want: statuses(200, nil)},
	matrixCase{method: "POST", route: "/unsubscribe", path: unsubscribePath(false),
		want: statuses(200, nil)},
	matrixCase{method: "POST", route: "/unsubscribe", path: unsubscribePath(true),
		want: statuses(400, nil)},
)

// unsubscribePath is family A's parent's link for report_resolved mails;
// forged, it names family B's parent with A's signature.
func unsubscribePath(forged bool) func(w *world) string {
	return func(w *world) string {
		tok, err := notify.Unsubscribe{Ring: w.env.Vault}.Token(w.a.Parent.UserID, string(notify.ReportResolved))
		if err != nil {
			panic(err)
		}
		if forged {
			other, _ := notify.Unsubscribe{Ring: w.env.Vault}.Token(w.b.Parent.UserID, string(notify.ReportResolved))
			tok = other[:len(other)-43] + tok[len(tok)-43:]
		}
		return "/unsubscribe?token=" + url.QueryEscape(tok)
	}
}
