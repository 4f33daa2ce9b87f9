package locale

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// codeKeys finds every English text the server's code hands to the
// catalogs: the formats of domain.Errorf, domain.Invalid and
// domain.RateLimited, the Message of a domain.Error literal, and the keys
// of locale.Sprintf and locale.Text, in every non-test Go file of the
// module.
func codeKeys(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			for _, k := range keysIn(n) {
				if k != "%s" {
					keys[k] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// keyArgs says which argument of which call is a catalog key.
var keyArgs = map[string]int{
	"domain.Errorf": 1, "domain.Invalid": 1, "domain.RateLimited": 1,
	"locale.Sprintf": 1, "locale.Text": 0,
	"refuse": 0, // internal/usertext's refusals, shown through domain.Invalid
}

func keysIn(n ast.Node) []string {
	switch n := n.(type) {
	case *ast.CallExpr:
		i, ok := keyArgs[selectorName(n.Fun)]
		if ok && len(n.Args) > i {
			if s, ok := constString(n.Args[i]); ok {
				return []string{s}
			}
		}
	case *ast.CompositeLit:
		if selectorName(n.Type) != "domain.Error" {
			return nil
		}
		for _, e := range n.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Message") {
				if s, ok := constString(kv.Value); ok {
					return []string{s}
				}
			}
		}
	}
	return nil
}

func selectorName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return x.Name + "." + sel.Sel.Name
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// constString evaluates a string literal or a sum of them.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			a, ok1 := constString(e.X)
			b, ok2 := constString(e.Y)
			return a + b, ok1 && ok2
		}
	case *ast.ParenExpr:
		return constString(e.X)
	}
	return "", false
}

// TestCatalogsMatchCode fails when German or Spanish lacks a text the code
// uses, or holds one the code no longer uses; and when English holds one
// the code does not use (English needs only its plural forms).
func TestCatalogsMatchCode(t *testing.T) {
	keys := codeKeys(t)
	if len(keys) < 150 {
		t.Fatalf("found only %d keys in the code: the scan is broken", len(keys))
	}
	for _, lang := range Supported {
		entries, err := Catalog(lang)
		if err != nil {
			t.Fatal(err)
		}
		for k := range entries {
			if _, ok := keys[k]; !ok {
				t.Errorf("catalog %s has %q, which no code uses", lang, k)
			}
		}
		if lang == Default {
			continue
		}
		var missing []string
		for k, where := range keys {
			if _, ok := entries[k]; !ok {
				missing = append(missing, where+": "+strconv.Quote(k))
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("catalog %s lacks %d texts the code uses:\n%s", lang, len(missing), strings.Join(missing, "\n"))
		}
	}
	if os.Getenv("LOCALE_KEYS") != "" {
		var all []string
		for k := range keys {
			all = append(all, k)
		}
		slices.Sort(all)
		b, _ := jsonMarshalIndent(all)
		os.WriteFile(os.Getenv("LOCALE_KEYS"), b, 0o644)
	}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// TestTranslationsKeepVerbs fails when a translation drops or adds a
// formatting verb of its English text: its arguments would be lost or
// printed as %!v(MISSING).
func TestTranslationsKeepVerbs(t *testing.T) {
	for _, lang := range Supported {
		entries, err := Catalog(lang)
		if err != nil {
			t.Fatal(err)
		}
		for k, e := range entries {
			want := len(verb.FindAllString(k, -1))
			texts := []string{e.Text}
			if e.Forms != nil {
				texts = nil
				for _, f := range e.Forms {
					texts = append(texts, f)
				}
			}
			for _, s := range texts {
				if got := len(verb.FindAllString(s, -1)); got != want && !usesIndexesWithin(s, want) {
					t.Errorf("%s: %q has %d verbs, its English %q has %d", lang, s, got, k, want)
				}
			}
		}
	}
}

func jsonMarshalIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", " ") }

var index = regexp.MustCompile(`%\[(\d+)\]`)

// usesIndexesWithin reports whether s picks its arguments by explicit
// index (leaving some out, as a language may), each at most n.
func usesIndexesWithin(s string, n int) bool {
	found := index.FindAllStringSubmatch(s, -1)
	for _, m := range found {
		if i, _ := strconv.Atoi(m[1]); i < 1 || i > n {
			return false
		}
	}
	return len(found) > 0
}

func TestSprintf(t *testing.T) {
	for _, c := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"de", "no such child", nil, "Kind nicht gefunden"},
		{"es", "must be at most %d characters", []any{32}, "debe tener como máximo 32 caracteres"},
		{"en", "%d messages sent", []any{1}, "1 message sent"},
		{"en", "%d messages sent", []any{3}, "3 messages sent"},
		{"de", "%d messages sent", []any{1}, "1 Nachricht gesendet"},
		{"de", "%d messages sent", []any{0}, "0 Nachrichten gesendet"},
		{"es", "%d received", []any{1}, "1 recibido"},
		{"es", "%d received", []any{2}, "2 recibidos"},
		{"de", "Whoa, this %s has your %s password in it! Passwords are secret, even from friends, so it was not saved or sent. Your parent has been told. Try again without the password.",
			[]any{"message", "Minecraft"}, "Hoppla, da steht dein Minecraft-Passwort drin! Passwörter sind geheim, auch vor Freunden, darum wurde nichts gespeichert oder gesendet. Deine Eltern wissen Bescheid. Versuch es noch einmal ohne das Passwort."},
		{"de", "a text nobody translated %d", []any{5}, "a text nobody translated 5"},
		{"xx", "no such child", nil, "no such child"},
	} {
		if got := Sprintf(c.lang, c.key, c.args...); got != c.want {
			t.Errorf("Sprintf(%s, %q) = %q, want %q", c.lang, c.key, got, c.want)
		}
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for h, want := range map[string]string{
		"": "en", "de": "de", "de-AT,de;q=0.9,en;q=0.5": "de", "es-MX": "es", "fr-FR,fr;q=0.9": "en",
		"fr,es;q=0.8,de;q=0.5": "es", "en-GB,de;q=0.2": "en", "garbage;;;": "en", "*": "en",
	} {
		if got := FromAcceptLanguage(h); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %s, want %s", h, got, want)
		}
	}
}
