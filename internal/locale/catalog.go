package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The catalogs: for German and Spanish, every English text the code uses
// as a key, translated; for English, only the texts that count something
// and need plural forms. A value is a string, or an object of plural
// forms ("one", "other", and "=0" style exact cases) chosen by argument
// "arg" (1 when left out: the first argument counts).
//
//go:embed catalog/*.json
var catalogFiles embed.FS

var printers = loadPrinters()

// Entry is one catalog value: Text, or plural Forms of argument Arg.
type Entry struct {
	Text  string
	Arg   int
	Forms map[string]string
}

// UnmarshalJSON reads a string or a plural object.
func (e *Entry) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.Text)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	e.Forms = map[string]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case float64:
			e.Arg = int(v)
		case string:
			e.Forms[k] = v
		default:
			return fmt.Errorf("plural form %q: not a string", k)
		}
	}
	return nil
}

// Catalog reads the catalog of lang: its keys and entries.
func Catalog(lang string) (map[string]Entry, error) {
	b, err := catalogFiles.ReadFile(path.Join("catalog", lang+".json"))
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", lang, err)
	}
	var entries map[string]Entry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", lang, err)
	}
	return entries, nil
}

// loadPrinters builds one catalog of all languages and a printer per
// language; a broken catalog file is a programming mistake caught by the
// package's tests, so it panics at start.
func loadPrinters() map[string]*message.Printer {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for i, lang := range Supported {
		entries, err := Catalog(lang)
		if err != nil {
			panic(err)
		}
		for key, e := range entries {
			if err := b.Set(tags[i], key, e.message()); err != nil {
				panic(fmt.Sprintf("catalog %s: %q: %v", lang, key, err))
			}
		}
	}
	out := map[string]*message.Printer{}
	for i, lang := range Supported {
		out[lang] = message.NewPrinter(tags[i], message.Catalog(b))
	}
	return out
}

func (e Entry) message() catalog.Message {
	if e.Forms == nil {
		return catalog.String(e.Text)
	}
	arg := max(e.Arg, 1)
	var cases []any
	for _, sel := range []string{"=0", "=1", "one", "other"} {
		if f, ok := e.Forms[sel]; ok {
			cases = append(cases, sel, f)
		}
	}
	return plural.Selectf(arg, "%d", cases...)
}

// Sprintf formats the English text key in lang: its translation when the
// catalog has one, else the English.
func Sprintf(lang, key string, args ...any) string {
	p, ok := printers[lang]
	if !ok {
		p = printers[Default]
	}
	return p.Sprintf(key, args...)
}

// Text marks an English text that is a catalog key where it is written
// down to be translated later (a table of mail wordings): it returns key
// unchanged. The catalog test finds keys by these calls.
func Text(key string) string { return key }

// Lookup is the translation of key, a text with no arguments, in lang;
// key itself when the catalog has none (a text with a "%" in it is never
// formatted, so it comes out as written).
func Lookup(lang, key string) string {
	if strings.Contains(key, "%") {
		return key
	}
	return Sprintf(lang, key)
}
