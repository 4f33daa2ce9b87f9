package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// TestUnsubscribeLink follows a real mail's unsubscribe link: the GET
// shows a page asking to confirm and changes nothing; the one-click POST,
// with no session, switches the mail's kind off; a forged, truncated,
// other-purpose or unknown-version token is a 400 naming the token and
// changes nothing. The sign-up mail carries no link.
func TestUnsubscribeLink(t *testing.T) {
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 1)
	queue(t, env, notify.Note{To: fa.Parent.UserID, Kind: notify.LeakGuard, Child: fa.Child().UserID})
	mb := &mailbox{}
	port, _ := startSMTP(t, mb)
	w := smtpWorker(env, port)
	w.Unsubscribe = &notify.Unsubscribe{Ring: env.Vault}
	drain(t, w)
	if m := mailsTo(t, mb, fa.Parent.Login, "account is approved"); len(m) != 1 || m[0].Header.Get("List-Unsubscribe") != "" {
		t.Fatalf("the sign-up mail: %v", m)
	}
	leak := mailsTo(t, mb, fa.Parent.Login, "password guard")
	if len(leak) != 1 {
		t.Fatalf("%d leak guard mails", len(leak))
	}
	link := checkUnsubscribeHeaders(t, env, leak[0])
	if !strings.Contains(leak[0].HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
		t.Errorf("the HTML part lacks the unsubscribe link:\n%s", leak[0].HTML)
	}

	page := httpGet(t, link)
	if !strings.Contains(page, "Stop getting") || !strings.Contains(page, `<form method="post">`) {
		t.Fatalf("the confirm page:\n%s", page)
	}
	wantSetting(t, fa.Parent, "leak_guard", "now")

	badTokens(t, env, link, fa.Parent.UserID)
	wantSetting(t, fa.Parent, "leak_guard", "now")
	wantSetting(t, fa.Parent, "contact_request", "now")

	if got := oneClick(t, link, 200); !strings.Contains(got, `"unsubscribed":"leak_guard"`) {
		t.Fatalf("one click answered %s", got)
	}
	wantSetting(t, fa.Parent, "leak_guard", "off")
	wantSetting(t, fa.Parent, "contact_request", "now")
}

// badTokens sends forged, truncated, other-purpose, unknown-version,
// empty and garbage variants of link's token by GET and POST: each must
// be a 400 naming the token.
func badTokens(t *testing.T, env *apitest.Env, link string, parentID int64) {
	t.Helper()
	tok, _ := url.QueryUnescape(tokenRE.FindStringSubmatch(link)[1])
	parts := strings.Split(tok, ".")
	otherPurpose := func() string {
		key, _ := env.Vault.PurposeKey(1, "something else")
		m := hmac.New(sha256.New, key)
		body := fmt.Sprintf("%d.leak_guard.1", parentID)
		m.Write([]byte(body))
		return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	base := strings.Split(link, "?")[0] + "?token="
	for name, bad := range map[string]string{
		"other parent":  fmt.Sprintf("%d.%s.%s.%s", parentID+1, parts[1], parts[2], parts[3]),
		"other kind":    fmt.Sprintf("%s.contact_request.%s.%s", parts[0], parts[2], parts[3]),
		"truncated mac": tok[:len(tok)-2],
		"other purpose": otherPurpose(),
		"unknown key":   fmt.Sprintf("%s.%s.9.%s", parts[0], parts[1], parts[3]),
		"empty":         "",
		"garbage":       "....",
	} {
		for _, method := range []string{"GET", "POST"} {
			req, _ := http.NewRequest(method, base+url.QueryEscape(bad), strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(resp)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(body, `"field":"token"`) {
				t.Errorf("%s token, %s: %d %s, want 400 naming token", name, method, resp.StatusCode, body)
			}
		}
	}
}

func wantSetting(t *testing.T, c *apitest.Client, key string, want any) {
	t.Helper()
	var s map[string]any
	c.Must(200, "GET", "/me/notification-settings", nil, &s)
	if s[key] != want {
		t.Fatalf("%s is %v, want %v", key, s[key], want)
	}
}
