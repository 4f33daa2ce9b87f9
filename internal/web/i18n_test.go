package web_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The browser's catalogs (assets/locales/*.json, read by i18n.js).

var (
	keyUse      = regexp.MustCompile(`\b[tk]\(\s*["'` + "`" + `]([A-Za-z0-9_.:-]+)["'` + "`" + `]`)
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
	pluralForm  = regexp.MustCompile(`\.(zero|one|two|few|many|other)$`)
)

func readCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("assets", "locales", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]string
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return c
}

// usedKeys are the keys the scripts pass to t() and k(), with where.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	err := filepath.WalkDir("assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range keyUse.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

func sortedPlaceholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestBrowserCatalogs fails when a key the scripts use is not in English,
// when English has a key no script uses, when German or Spanish lacks a
// key English has or has one it lacks, or when a translation's {names}
// differ from English's (a name left out, or one that would stay "{x}").
func TestBrowserCatalogs(t *testing.T) {
	used := usedKeys(t)
	en := readCatalog(t, "en")
	if len(used) < 50 {
		t.Fatalf("found only %d keys in the scripts: the scan is broken", len(used))
	}
	for key, where := range used {
		if _, ok := en[key]; !ok {
			if _, ok := en[key+".other"]; !ok {
				t.Errorf("%s uses %q, which en.json lacks", where, key)
			}
		}
	}
	for key := range en {
		base := pluralForm.ReplaceAllString(key, "")
		if _, ok := used[key]; !ok {
			if _, ok := used[base]; !ok || base == key {
				t.Errorf("en.json has %q, which no script uses", key)
			}
		}
	}
	for _, lang := range []string{"de", "es"} {
		c := readCatalog(t, lang)
		for key, s := range en {
			tr, ok := c[key]
			if !ok {
				t.Errorf("%s.json lacks %q (%q)", lang, key, s)
				continue
			}
			if a, b := sortedPlaceholders(s), sortedPlaceholders(tr); !slices.Equal(a, b) && !pluralForm.MatchString(key) {
				t.Errorf("%s.json %q: placeholders %v, English has %v", lang, key, b, a)
			}
		}
		for key := range c {
			if _, ok := en[key]; !ok {
				t.Errorf("%s.json has %q, which English lacks", lang, key)
			}
		}
	}
}
