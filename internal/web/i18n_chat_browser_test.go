package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// chatLanguageFixture: Mathilda (family A) chats with Friedrich-Wilhelm,
// who sent a photo she reacted to with a heart, and has a group with a
// long German name; Maximilian-Alexander asked to be her friend three days
// ago, which her parent judges on an approval card.
type chatLanguageFixture struct {
	fa          *apitest.Family
	ka          *apitest.Client
	direct, grp int64
}

func newChatLanguageFixture(t *testing.T, env *apitest.Env) *chatLanguageFixture {
	t.Helper()
	admin := env.Admin()
	f := &chatLanguageFixture{fa: named(env, admin, "Tom Schulz", "Mathilda")}
	f.ka = f.fa.Child()
	fb := named(env, admin, "Anna Weber", "Friedrich-Wilhelm")
	fc := named(env, admin, "Jonas Roth", "Bartholomäus")
	kb, kc := fb.Child(), fc.Child()
	f.direct = directChat(t, f.fa, f.ka, fb, kb)
	befriend(t, f.fa, f.ka, fc, kc)
	befriend(t, fb, kb, fc, kc)

	r := kb.Upload("kite.jpg", "image/jpeg", mediatest.JPEGWithGPS(800, 600, 1))
	var up struct{ ID int64 }
	if r.Status != 201 || json.Unmarshal(r.Body, &up) != nil {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var photo struct{ ID int64 }
	kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.direct),
		map[string]any{"type": "image", "media_id": up.ID, "client_id": "kite"}, &photo)
	f.ka.Must(200, "PUT", fmt.Sprintf("/conversations/%d/messages/%d/reactions/heart", f.direct, photo.ID), nil, nil)
	kb.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", f.direct),
		map[string]any{"type": "text", "content": "Donaudampfschifffahrtsgesellschaftskapitänsmütze!", "client_id": "long"}, nil)

	var g struct{ ID int64 }
	f.ka.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{kb.UserID, kc.UserID}, "is_group": true,
		"title": "Fußballweltmeisterschaftsvorbereitung"}, &g)
	f.grp = g.ID

	kd := named(env, admin, "Eva Berg", "Maximilian-Alexander").Child()
	link := asks(kd, f.ka)
	if _, err := env.DB.Pool.Exec(t.Context(), `UPDATE contacts SET created_at = created_at - interval '3 days 1 hour' WHERE id = $1`, link); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBrowserLanguagesChat: a child's chat (a photo, a reaction, a long
// word), a group's people panel and the parent's approval card, in German
// and then Spanish at 360 px: words from the catalog (reactions named in
// the language for screen readers, "vor 3 Tagen" / "hace 3 días"), no
// serious axe finding, nothing wider than the phone.
func TestBrowserLanguagesChat(t *testing.T) {
	env := apitest.New(t)
	f := newChatLanguageFixture(t, env)
	b := newBrowser(t, env.Server.URL)
	kid := b.user("child")
	kid.login(f.ka.Login, f.ka.Password)
	pa := b.user("parent")
	pa.login(f.fa.Parent.Login, f.fa.Parent.Password)

	for _, lang := range []struct {
		code, watch, heart, react, people, leave, asks, asked, common string
	}{
		{"de", "Deine Eltern können diesen Chat lesen.", "Herz", "Auf die Nachricht von Friedrich-Wilhelm reagieren",
			"Leute in dieser Gruppe", "Gruppe verlassen", "Maximilian-Alexander möchte mit Mathilda befreundet sein",
			"Gefragt vor 3 Tagen", "Keine gemeinsamen Freunde"},
		{"es", "Tus padres pueden leer este chat.", "Corazón", "Reaccionar al mensaje de Friedrich-Wilhelm",
			"Personas en este grupo", "Salir del grupo", "Maximilian-Alexander quiere hacer amistad con Mathilda",
			"Solicitado hace 3 días", "Ningún amigo en común"},
	} {
		f.fa.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": lang.code}, nil)
		f.fa.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", f.ka.UserID), map[string]any{"locale": lang.code}, nil)

		kid.visit(fmt.Sprintf("#/chat/%d", f.direct))
		kid.run(chromedp.Reload())
		kid.until("the chat in "+lang.code, `document.documentElement.lang === `+jsString(lang.code))
		kid.see(lang.watch)
		kid.until("the photo loaded", `(() => { const i = document.querySelector(".messages img.photo, .messages .photo img"); return i && i.complete && i.naturalWidth > 0; })()`)
		kid.until("the heart named "+lang.heart, `[...document.querySelectorAll(".react-chip .sr")].some(s => s.textContent.includes(`+jsString(lang.heart)+`))`)
		kid.until("the React button named in "+lang.code, `[...document.querySelectorAll(".react-add .sr")].some(s => s.textContent === `+jsString(lang.react)+`)`)
		kid.seeNoDeveloperText()
		kid.narrow("child-chat-" + lang.code)

		kid.visit(fmt.Sprintf("#/chat/%d", f.grp))
		kid.openPeople()
		kid.see(lang.people)
		kid.see(lang.leave)
		kid.narrow("child-group-" + lang.code)

		pa.visit("#/")
		pa.run(chromedp.Reload())
		pa.until("the parent's page in "+lang.code, `document.documentElement.lang === `+jsString(lang.code))
		pa.see(lang.asks)
		card := pa.cardText(lang.asks)
		for _, want := range []string{lang.asked, lang.common} {
			if !strings.Contains(card, want) {
				t.Errorf("%s: the approval card says %q, want %q in it", lang.code, card, want)
			}
		}
		pa.narrow("parent-approval-" + lang.code)
		pa.phone()
		pa.shootPart("parent-approval-card-"+lang.code, "li.approval")
		pa.desktop()
	}
}
