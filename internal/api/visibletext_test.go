package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// textField is one field of text a person writes, on one endpoint.
type textField struct {
	name  string // method, path and field, for failure messages
	field string // what a refusal must name
	// fresh, when set, prepares what the next request needs (a message to
	// report) before the database is looked at.
	fresh func()
	send  func(text string) *apitest.Response
}

// invisibleInputs have nothing a reader can see, or hide or disguise text.
var invisibleInputs = []struct{ name, text string }{
	{"two zero-width spaces", "\u200b\u200b"},
	{"BOM only", "\ufeff"},
	{"Hangul filler", "\u3164"},
	{"tag characters", "hi\U000E0068\U000E0069"},
	{"zero-width spaces between spaces", " \u200b \u200b "},
	{"right-to-left override", "abc\u202edef"},
	{"joiner and variation selector only", "\u200d\ufe0f"},
	{"bell", "Bo\u0007b"},
}

// visibleInputs are what children really write, in many scripts.
var visibleInputs = []struct{ name, text string }{
	{"family emoji (ZWJ sequence)", "👨\u200d👩\u200d👧"},
	{"red heart with VS16", "❤\ufe0f"},
	{"rainbow flag", "🏳\ufe0f\u200d🌈"},
	{"country flags", "🇫🇷🇯🇵"},
	{"Scotland (tag flag)", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"},
	{"accented, decomposed", "Zoe\u0301 A\u030angstro\u0308m"},
	{"CJK", "小明的猫"},
	{"Arabic", "مرحبا يا صديقي"},
	{"Persian with ZWNJ", "می\u200cخواهم"},
}

// TestEveryTextFieldNeedsVisibleText sends every kind of invisible text to
// every field of text a person writes: each is a 400 naming the field that
// changes nothing. Real text in any script, emoji sequences and flags
// included, is stored as sent (NFC).
func TestEveryTextFieldNeedsVisibleText(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fields := textFields(t, env)
	for _, f := range fields {
		for _, in := range invisibleInputs {
			if f.fresh != nil {
				f.fresh()
			}
			before := textState(t, env)
			r := f.send(in.text)
			if r.Status != 400 || r.ErrorCode() != "invalid" || r.ErrorField() != f.field {
				t.Errorf("%s, %s %+q: %d %s; want 400 invalid naming %q", f.name, in.name, in.text, r.Status, r.Body, f.field)
			}
			if after := textState(t, env); after != before {
				t.Errorf("%s, %s: the refused request changed the database:\n\t%s\n\t%s", f.name, in.name, before, after)
			}
		}
	}
	for _, f := range fields {
		for _, in := range visibleInputs {
			if f.fresh != nil {
				f.fresh()
			}
			r := f.send(in.text)
			if want := norm.NFC.String(in.text); r.Status/100 != 2 || !strings.Contains(string(r.Body), want) {
				t.Errorf("%s, %s %+q: %d %s; want it accepted and stored as %+q", f.name, in.name, in.text, r.Status, r.Body, want)
			}
		}
	}
}

// textFields lists every field of text a person writes, each with what it
// needs (a family, a child, a group, a credential, an upload).
func textFields(t *testing.T, env *apitest.Env) []textField {
	admin := env.Admin()
	fam, other := env.Family(admin, 1), env.Family(admin, 1)
	parent, kid, friend := fam.Parent, fam.Child(), other.Child()
	approveLink(fam, kid, other, friend)
	conv := createDirect(kid, friend.UserID).ID
	messages := fmt.Sprintf("/conversations/%d/messages", conv)
	// Two credentials of their own, so that no change made here is the
	// same login as another (a 409).
	renamed := addCredential(t, fam, kid, "Renamed game", "renamed-user", "game-pass-1")
	reUser := addCredential(t, fam, kid, "Other game", "other-user", "game-pass-2")
	photo := upload(t, kid, "p.png", "image/png", mediatest.PNG(mediatest.Quadrants(8, 8))).ID
	var reportPath string
	n := 0
	next := func() int { n++; return n }
	return []textField{
		{name: "POST /auth/signup display_name", field: "display_name", send: func(s string) *apitest.Response {
			return env.Anonymous().Do("POST", "/auth/signup", map[string]string{
				"email": fmt.Sprintf("new%d@example.com", next()), "password": "parent-password", "display_name": s})
		}},
		{name: "PATCH /me/profile display_name", field: "display_name", send: func(s string) *apitest.Response {
			return parent.Do("PATCH", "/me/profile", map[string]string{"display_name": s})
		}},
		{name: "PATCH /me/profile display_name (child)", field: "display_name", send: func(s string) *apitest.Response {
			return kid.Do("PATCH", "/me/profile", map[string]string{"display_name": s})
		}},
		{name: "PATCH /me/profile bio", field: "bio", send: func(s string) *apitest.Response {
			return kid.Do("PATCH", "/me/profile", map[string]string{"bio": s})
		}},
		{name: "POST /children display_name", field: "display_name", send: func(s string) *apitest.Response {
			return parent.Do("POST", "/children", map[string]string{
				"login": fmt.Sprintf("newkid%d", next()), "password": "kidpass", "display_name": s})
		}},
		{name: "PATCH /children/{id} display_name", field: "display_name", send: func(s string) *apitest.Response {
			return parent.Do("PATCH", fmt.Sprintf("/children/%d", kid.UserID), map[string]string{"display_name": s})
		}},
		{name: "POST /children/{id}/game-credentials game_name", field: "game_name", send: func(s string) *apitest.Response {
			return parent.Do("POST", credentialsPath(kid.UserID), map[string]string{"game_name": s, "username": "kid-user", "password": "pw"})
		}},
		{name: "POST /children/{id}/game-credentials username", field: "username", send: func(s string) *apitest.Response {
			return parent.Do("POST", credentialsPath(kid.UserID), map[string]string{"game_name": "Blocks", "username": s, "password": "pw"})
		}},
		{name: "PATCH /game-credentials/{id} game_name", field: "game_name", send: func(s string) *apitest.Response {
			return parent.Do("PATCH", fmt.Sprintf("/game-credentials/%d", renamed.ID), map[string]string{"game_name": s})
		}},
		{name: "PATCH /game-credentials/{id} username", field: "username", send: func(s string) *apitest.Response {
			return parent.Do("PATCH", fmt.Sprintf("/game-credentials/%d", reUser.ID), map[string]string{"username": s})
		}},
		{name: "POST /conversations title", field: "title", send: func(s string) *apitest.Response {
			return kid.Do("POST", "/conversations", map[string]any{"member_ids": []int64{friend.UserID}, "is_group": true, "title": s})
		}},
		{name: "POST /conversations/{id}/messages text", field: "content", send: func(s string) *apitest.Response {
			return kid.Do("POST", messages, map[string]any{"type": "text", "content": s, "client_id": nextClientID()})
		}},
		{name: "POST /conversations/{id}/messages caption", field: "content", send: func(s string) *apitest.Response {
			return kid.Do("POST", messages, map[string]any{"type": "image", "media_id": photo, "content": s, "client_id": nextClientID()})
		}},
		{name: "POST /messages/{id}/report reason", field: "reason",
			fresh: func() { reportPath = fmt.Sprintf("/messages/%d/report", mustSend(t, friend, conv, "hello").ID) },
			send: func(s string) *apitest.Response {
				return kid.Do("POST", reportPath, map[string]string{"reason": s})
			}},
	}
}

// textState is every text a person wrote and every row count a refused
// request could have changed, as one string to compare.
func textState(t *testing.T, env *apitest.Env) string {
	t.Helper()
	var s string
	err := env.DB.Pool.QueryRow(context.Background(), `
		SELECT concat_ws(' | ',
			(SELECT count(*) FROM users),
			(SELECT string_agg(display_name || '/' || coalesce(bio, ''), ',' ORDER BY id) FROM profiles),
			(SELECT string_agg(coalesce(title, '-'), ',' ORDER BY id) FROM conversations),
			(SELECT string_agg(coalesce(content, '-'), ',' ORDER BY id) FROM messages),
			(SELECT string_agg(game_name || '/' || username, ',' ORDER BY id) FROM game_credentials),
			(SELECT string_agg(coalesce(reason, '-'), ',' ORDER BY id) FROM reports),
			(SELECT count(*) FROM audit_logs))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
