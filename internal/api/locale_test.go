package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

func errorMessage(t *testing.T, r *apitest.Response) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("not a JSON error: %s", r.Body)
	}
	return e.Error.Message
}

// TestErrorLanguage: an error keeps its code and field in every language;
// its message follows the account's chosen language, else the request's
// Accept-Language, else English.
func TestErrorLanguage(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 1)
	bad := strings.NewReader(`{"display_name": ""}`)
	ask := func(c *apitest.Client, accept string) *apitest.Response {
		t.Helper()
		h := http.Header{"Content-Type": {"application/json"}}
		if accept != "" {
			h.Set("Accept-Language", accept)
		}
		_, _ = bad.Seek(0, 0)
		r := c.Raw("PATCH", "/me/profile", bad, h)
		if r.Status != 400 || r.ErrorCode() != "invalid" || r.ErrorField() != "display_name" {
			t.Fatalf("Accept-Language %q: %d %s, want 400 invalid naming display_name", accept, r.Status, r.Body)
		}
		return r
	}
	for accept, want := range map[string]string{
		"":                     "must not be empty",
		"de-DE,de;q=0.9":       "darf nicht leer sein",
		"es-MX":                "no puede estar vacío",
		"fr-FR":                "must not be empty",
		"fr,de;q=0.5,en;q=0.1": "darf nicht leer sein",
	} {
		if got := errorMessage(t, ask(fa.Parent, accept)); got != want {
			t.Errorf("Accept-Language %q: message %q, want %q", accept, got, want)
		}
	}
	// A stored choice wins over the browser's.
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "de"}, nil)
	if got := errorMessage(t, ask(fa.Parent, "es")); got != "darf nicht leer sein" {
		t.Errorf("a German account asking in Spanish: %q", got)
	}
	// So is a refusal of the text checks (internal/usertext), with its argument.
	r0 := fa.Parent.Do("PATCH", "/me/profile", map[string]any{"display_name": "a\u0007b"})
	if r0.ErrorField() != "display_name" || errorMessage(t, r0) != "darf keine Steuerzeichen (U+0007) enthalten" {
		t.Errorf("a control character, in German: %d %s", r0.Status, r0.Body)
	}
	// A message with an argument is formatted in the language too.
	r := fa.Parent.Do("GET", "/conversations?limit=100000", nil)
	if r.ErrorCode() != "invalid" || errorMessage(t, r) != "muss eine ganze Zahl von 1 bis 200 sein" {
		t.Errorf("limit in German: %d %s", r.Status, r.Body)
	}
	// Unauthenticated: only the header can say.
	anon := env.Anonymous().Raw("GET", "/me", nil, http.Header{"Accept-Language": {"es"}})
	if anon.Status != 401 || anon.ErrorCode() != "unauthorized" || errorMessage(t, anon) != "no has iniciado sesión" {
		t.Errorf("anonymous in Spanish: %d %s", anon.Status, anon.Body)
	}
}

// TestLocaleChoice: PATCH /me/profile {locale} sets, null resets, anything
// else is a 400 naming the field that changes nothing; GET /me shows it; a
// parent sets their own child's, never another family's.
func TestLocaleChoice(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	fa := env.Family(env.Admin(), 1)
	fb := env.Family(env.Admin(), 1)
	localeOf := func(c *apitest.Client) any {
		t.Helper()
		var me struct{ User map[string]any }
		c.Must(200, "GET", "/me", nil, &me)
		v, ok := me.User["locale"]
		if !ok {
			t.Fatalf("GET /me has no locale: %v", me.User)
		}
		return v
	}
	if got := localeOf(fa.Parent); got != nil {
		t.Fatalf("a new account's locale: %v, want null", got)
	}
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": "es"}, nil)
	if got := localeOf(fa.Parent); got != "es" {
		t.Fatalf("after choosing es: %v", got)
	}
	for _, bad := range []any{"fr", "DE", "", "de-DE", 7, true, []string{"de"}} {
		r := fa.Parent.Do("PATCH", "/me/profile", map[string]any{"locale": bad, "bio": "changed"})
		if r.Status != 400 || r.ErrorCode() != "invalid" || r.ErrorField() != "locale" {
			t.Errorf("locale %v: %d %s, want 400 naming locale", bad, r.Status, r.Body)
		}
	}
	if got := localeOf(fa.Parent); got != "es" {
		t.Fatalf("a refused PATCH changed the locale: %v", got)
	}
	fa.Parent.Must(200, "PATCH", "/me/profile", map[string]any{"locale": nil}, nil)
	if got := localeOf(fa.Parent); got != nil {
		t.Fatalf("after null: %v", got)
	}
	fa.Child().Must(200, "PATCH", "/me/profile", map[string]any{"locale": "de"}, nil)
	child := fmt.Sprintf("/children/%d", fa.Child().UserID)
	var c struct{ User map[string]any }
	fa.Parent.Must(200, "PATCH", child, map[string]any{"locale": "es"}, &c)
	if c.User["locale"] != "es" || localeOf(fa.Child()) != "es" {
		t.Fatalf("the parent set the child's locale to es: %v, child sees %v", c.User, localeOf(fa.Child()))
	}
	if r := fa.Parent.Do("PATCH", child, map[string]any{"locale": "it"}); r.Status != 400 || r.ErrorField() != "locale" {
		t.Errorf("child locale it: %d %s", r.Status, r.Body)
	}
	if r := fb.Parent.Do("PATCH", child, map[string]any{"locale": "de"}); r.Status != 404 {
		t.Errorf("another family's parent: %d %s, want 404", r.Status, r.Body)
	}
	fa.Parent.Must(200, "PATCH", child, map[string]any{"locale": nil}, nil)
	if got := localeOf(fa.Child()); got != nil {
		t.Fatalf("after the parent reset it: %v", got)
	}
}
