package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"pixelpals/internal/apitest"
)

// leakWorld is a child with two kept passwords (Hunter2Pass for
// Blockcraft, Sunny-Pony-42 for Stablequest), a sibling, their parent, and a
// clock the test moves forward.
type leakWorld struct {
	env                    *apitest.Env
	child, sibling, parent *apitest.Client
	skew                   *atomic.Int64 // nanoseconds added to the clock
	n                      int
}

func newLeakWorld(t *testing.T) *leakWorld {
	t.Helper()
	skew := new(atomic.Int64)
	env := apitest.New(t, apitest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	fam := env.Family(env.Admin(), 2)
	w := &leakWorld{env: env, child: fam.Children[0], sibling: fam.Children[1], parent: fam.Parent, skew: skew}
	approveLink(fam, w.child, fam, w.sibling)
	for game, pw := range map[string]string{"Blockcraft": "Hunter2Pass", "Stablequest": "Sunny-Pony-42"} {
		w.parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", w.child.UserID),
			map[string]string{"game_name": game, "username": "kid", "password": pw}, nil)
	}
	return w
}

// group makes a new group of the child, the sibling and the parent, so
// each case starts with no recent messages.
func (w *leakWorld) group(t *testing.T) int64 {
	t.Helper()
	w.n++
	var conv struct{ ID int64 }
	w.child.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{w.parent.UserID, w.sibling.UserID},
		"is_group": true, "title": fmt.Sprintf("Chat %d", w.n)}, &conv)
	return conv.ID
}

func (w *leakWorld) send(c *apitest.Client, convID int64, text string) *apitest.Response {
	w.n++
	return c.Do("POST", fmt.Sprintf("/conversations/%d/messages", convID),
		map[string]string{"type": "text", "content": text, "client_id": fmt.Sprintf("ev-%d", w.n)})
}

// invisible says whether text holds a format character (zero-width
// spaces, soft hyphens, BOM).
func invisible(text string) bool {
	return strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Cf, r) })
}

// refusal is a 422 body's error.
type refusal struct {
	Error struct{ Code, Message, Field string }
}

// refusedFor says whether r is the leak guard's 422 naming field and a
// game, without the password.
func refusedFor(r *apitest.Response, field string) bool {
	var e refusal
	json.Unmarshal(r.Body, &e)
	low := strings.ToLower(string(r.Body))
	return r.Status == 422 && e.Error.Code == "password_in_message" && e.Error.Field == field &&
		(strings.Contains(e.Error.Message, "Blockcraft") || strings.Contains(e.Error.Message, "Stablequest")) &&
		!strings.Contains(low, "hunter") && !strings.Contains(low, "pony")
}

// TestLeakGuardEvasions: every way round the guard that outside testing
// found (issue 19.1) is refused. Each case is sent in a new group: every
// message but the last must be sent (a part alone is no password), the
// last refused with 422 password_in_message naming the field (or, for
// text with invisible formatting characters, a 400 naming it: refusing
// those is issue 19.4's, and either way nothing is sent).
func TestLeakGuardEvasions(t *testing.T) {
	w := newLeakWorld(t)
	cases := []struct {
		name  string
		sends []string
	}{
		{"plain", []string{"my password is Hunter2Pass"}},
		{"dashes between letters", []string{"h-u-n-t-e-r-2-p-a-s-s"}},
		{"dashes dropped", []string{"SunnyPony42"}},
		{"spaces for dashes", []string{"Sunny Pony 42"}},
		{"commas", []string{"h,u,n,t,e,r,2,p,a,s,s"}},
		{"commas for dashes", []string{"sunny, pony, 42"}},
		{"underscores", []string{"Sunny_Pony_42"}},
		{"underscores between letters", []string{"H_u_n_t_e_r_2_P_a_s_s"}},
		{"zero-width spaces", []string{"Hun\u200bter\u200b2Pa\u200bss"}},
		{"zero-width joiners and BOM", []string{"Sunny\u200d-\ufeffPony\u2060-42"}},
		{"soft hyphens", []string{"Hun\u00adter2\u00adPass"}},
		{"full-width", []string{"\uff28\uff55\uff4e\uff54\uff45\uff52\uff12\uff30\uff41\uff53\uff53"}},
		{"full-width with ideographic spaces", []string{"\uff33\uff55\uff4e\uff4e\uff59\u3000\uff30\uff4f\uff4e\uff59\u3000\uff14\uff12"}},
		{"Cyrillic look-alikes", []string{"\u041dunt\u0435r2\u0420\u0430ss"}},
		{"Cyrillic look-alikes in the other", []string{"\u0405unny-\u0420\u043en\u0443-42"}},
		{"Greek look-alikes", []string{"\u0397unter2\u03a1\u03b1ss"}},
		{"maths bold letters", []string{"\U0001d407\U0001d42e\U0001d427\U0001d42d\U0001d41e\U0001d42b\U0001d7d0\U0001d40f\U0001d41a\U0001d42c\U0001d42c"}},
		{"accents added", []string{"H\u00fcnt\u00e9r2P\u00e0ss"}},
		{"combining marks added", []string{"Hu\u0301nter2Pa\u0308ss"}},
		{"reversed", []string{"ssaP2retnuH"}},
		{"reversed with dashes", []string{"24-ynoP-ynnuS"}},
		{"reversed and spaced", []string{"s s a p 2 r e t n u h"}},
		{"split over two messages", []string{"Hunter2", "Pass"}},
		{"split over two with words around", []string{"ok my pass is Sunny", "Pony42 dont tell"}},
		{"split over three messages", []string{"Sunny", "Pony", "42"}},
		{"split over three, spaced", []string{"h u n", "t e r 2", "p a s s"}},
		{"split and reversed", []string{"ssap", "2ret", "nuh"}},
	}
	failed, sent := 0, 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conv := w.group(t)
			for i, text := range c.sends {
				r := w.send(w.child, conv, text)
				last := i == len(c.sends)-1
				if !last && r.Status != 201 {
					failed++
					t.Fatalf("part %d %q alone: %d %s, want 201", i, text, r.Status, r.Body)
				}
				if last && !refusedFor(r, "content") && !(invisible(text) && r.Status == 400 && r.ErrorField() == "content") {
					failed++
					if r.Status == 201 {
						sent++
					}
					t.Fatalf("%q: %d %s, want 422 password_in_message naming content", text, r.Status, r.Body)
				}
			}
		})
	}
	if failed > 0 {
		t.Logf("%d of %d cases failed, %d of them because the password was sent", failed, len(cases), sent)
	}
}

// TestLeakGuardNoFalsePositives: ordinary sentences, the password's words
// in messages far apart in time or apart by other messages, other
// children's messages, and a password sent before it was kept do not stop
// a child's sends.
func TestLeakGuardNoFalsePositives(t *testing.T) {
	w := newLeakWorld(t)
	sendAll := func(t *testing.T, conv int64, texts ...string) {
		t.Helper()
		for _, text := range texts {
			if r := w.send(w.child, conv, text); r.Status != 201 {
				t.Fatalf("%q: %d %s", text, r.Status, r.Body)
			}
		}
	}
	t.Run("ordinary sentences", func(t *testing.T) {
		sendAll(t, w.group(t),
			"It was a sunny day and we rode a pony!",
			"I am the best hunter in the game, I have 2 passes now",
			"42 is my favourite number",
			"see you at the park later",
			"Passing the ball to Hunter, 2 goals!",
			"pony pony pony",
			"Sunny pony race at 4:20?",
			"Привет! Как дела?",
			"ＯＫ ｓｅｅ ｙｏｕ",
			"héllo wörld ✨🦄")
	})
	t.Run("words apart much later", func(t *testing.T) {
		conv := w.group(t)
		for _, part := range []string{"Sunny", "Pony", "42"} {
			sendAll(t, conv, part)
			w.skew.Add(int64(10 * time.Minute))
		}
	})
	t.Run("words apart by other messages", func(t *testing.T) {
		sendAll(t, w.group(t), "Hunter2", "what are you doing", "I am bored", "Pass")
	})
	t.Run("other children's messages", func(t *testing.T) {
		conv := w.group(t)
		sendAll(t, conv, "Sunny")
		if r := w.send(w.sibling, conv, "Pony"); r.Status != 201 {
			t.Fatalf("sibling: %d %s", r.Status, r.Body)
		}
		if r := w.send(w.sibling, conv, "Hunter2Pass"); r.Status != 201 {
			t.Fatalf("sibling, the child's password: %d %s", r.Status, r.Body)
		}
		sendAll(t, conv, "2Pass", "42 ok")
	})
	t.Run("sent before it was kept", func(t *testing.T) {
		conv := w.group(t)
		sendAll(t, conv, "my new pass will be Creeper99")
		w.parent.Must(201, "POST", fmt.Sprintf("/children/%d/game-credentials", w.child.UserID),
			map[string]string{"game_name": "Creepers", "username": "kid", "password": "Creeper99"}, nil)
		sendAll(t, conv, "hi", "ok")
	})
}

// TestLeakGuardProfileAndTitles: a child's display name, bio and group
// title are guarded like a message (422 naming the field, nothing
// changed, the parent told); ordinary ones and the parent's are not.
func TestLeakGuardProfileAndTitles(t *testing.T) {
	w := newLeakWorld(t)
	for _, c := range []struct{ field, value string }{
		{"display_name", "Sunny Pony 42"},
		{"display_name", "\u041dunt\u0435r2\u0420\u0430ss"},
		{"bio", "my blockcraft pass: ssaP2retnuH"},
		{"bio", "h-u-n-t-e-r-2-p-a-s-s"},
	} {
		if r := w.child.Do("PATCH", "/me/profile", map[string]string{c.field: c.value}); !refusedFor(r, c.field) {
			t.Fatalf("%s %q: %d %s", c.field, c.value, r.Status, r.Body)
		}
	}
	for _, title := range []string{"Sunny_Pony_42", "\uff28\uff55\uff4e\uff54\uff45\uff52\uff12\uff30\uff41\uff53\uff53"} {
		r := w.child.Do("POST", "/conversations", map[string]any{"member_ids": []int64{w.parent.UserID}, "is_group": true, "title": title})
		if !refusedFor(r, "title") {
			t.Fatalf("title %q: %d %s", title, r.Status, r.Body)
		}
	}
	var me struct {
		Profile struct {
			DisplayName string `json:"display_name"`
			Bio         *string
		}
	}
	w.child.Must(200, "GET", "/me", nil, &me)
	if strings.Contains(strings.ToLower(me.Profile.DisplayName), "pony") || me.Profile.Bio != nil && *me.Profile.Bio != "" {
		t.Fatalf("a refused profile was stored: %+v", me.Profile)
	}
	var groups int
	var hits int
	if err := w.env.DB.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM conversations WHERE is_group),
		(SELECT count(*) FROM leak_guard_hits WHERE child_id = $1)`, w.child.UserID).Scan(&groups, &hits); err != nil {
		t.Fatal(err)
	}
	if groups != 0 || hits != 6 {
		t.Fatalf("%d groups stored, %d dashboard rows (want none and 6)", groups, hits)
	}

	w.child.Must(200, "PATCH", "/me/profile", map[string]string{"display_name": "Sunny the Pony", "bio": "I like hunting for 2 passes"}, nil)
	w.child.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{w.parent.UserID}, "is_group": true, "title": "Pony club 42"}, nil)
	w.parent.Must(200, "PATCH", "/me/profile", map[string]string{"bio": "Hunter2Pass"}, nil)
}

// TestLeakGuardCaptions: a photo's caption is a message's text: guarded
// alone and joined to the child's last messages.
func TestLeakGuardCaptions(t *testing.T) {
	w := newLeakWorld(t)
	conv := w.group(t)
	photo := func(caption string) *apitest.Response {
		w.n++
		return w.child.Do("POST", fmt.Sprintf("/conversations/%d/messages", conv), map[string]any{"type": "image",
			"media_id": uploadImage(w.child, 8, 8), "content": caption, "client_id": fmt.Sprintf("ph-%d", w.n)})
	}
	if r := photo("Sunny Pony 42"); !refusedFor(r, "content") {
		t.Fatalf("caption: %d %s", r.Status, r.Body)
	}
	if r := w.send(w.child, conv, "Hunter2"); r.Status != 201 {
		t.Fatalf("first part: %d %s", r.Status, r.Body)
	}
	if r := photo("pass"); !refusedFor(r, "content") {
		t.Fatalf("caption completing a password: %d %s", r.Status, r.Body)
	}
	if r := photo("my pony"); r.Status != 201 {
		t.Fatalf("ordinary caption: %d %s", r.Status, r.Body)
	}
}
