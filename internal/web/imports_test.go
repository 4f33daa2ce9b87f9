package web

import (
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// importSpec finds the relative module specifiers of static imports and
// re-exports ("import { a } from "./a.js";", "import "./b.js";",
// "export { c } from "../c.js";"); dynamic import() is not one.
var importSpec = regexp.MustCompile(`(?m)^\s*(?:import|export)\s+(?:[^;"']*?\s+from\s+)?["'](\.\.?/[^"']+)["']`)

// staticImports lists the modules entry imports statically, directly or
// not, by their names under assets/, sorted, entry left out. Names missing
// from files are skipped.
func staticImports(entry string, files map[string][]byte) []string {
	seen := map[string]bool{entry: true}
	queue := []string{entry}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, m := range importSpec.FindAllSubmatch(files[name], -1) {
			dep := path.Join(path.Dir(name), string(m[1]))
			if _, ok := files[dep]; ok && !seen[dep] {
				seen[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	delete(seen, entry)
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// TestStaticImports: the page's module app.js imports statically what a
// chat and the login page need, and nothing of the pages a child's chat
// never opens (a parent's, an admin's, a child's lists): those are
// loaded by import() when their route opens (docs/web.md "Lighthouse").
// The finder itself is checked on every form of import, across folders
// and cycles.
func TestStaticImports(t *testing.T) {
	files := map[string][]byte{
		"app.js": []byte(`// The app.
import { h } from "./dom.js";
import "./side.js";
import * as all from './all.js';
import {
  chatView,
} from "./chat.js";
const later = () => import("./lazy.js");
// a comment naming import { x } from "./in-comment.js" mid-line
import { gone } from "./missing.js";
`),
		"dom.js":            []byte(`import { t } from "./i18n.js";`),
		"side.js":           nil,
		"all.js":            []byte(`export { h } from "./dom.js";`),
		"chat.js":           []byte(`import { messageItem } from "./chat/messages.js";`),
		"chat/messages.js":  []byte(`import { api } from "../api.js";` + "\n" + `import { pic } from "./reactions.js";`),
		"chat/reactions.js": []byte(`import { messageItem } from "./messages.js"; // a cycle` + "\n" + `import { t } from "../i18n.js";`),
		"api.js":            nil, "i18n.js": nil, "lazy.js": nil, "in-comment.js": nil,
		"admin/extra.js": []byte(`import { h } from "../dom.js";`),
	}
	want := []string{"all.js", "api.js", "chat.js", "chat/messages.js", "chat/reactions.js", "dom.js", "i18n.js", "side.js"}
	if got := staticImports("app.js", files); !reflect.DeepEqual(got, want) {
		t.Fatalf("staticImports = %v\nwant %v", got, want)
	}

	tree := staticImports("app.js", realModules(t))
	has := map[string]bool{}
	for _, name := range tree {
		has[name] = true
	}
	for _, need := range []string{"chat.js", "chat/history.js", "chat/messages.js", "chat/reactions.js", "chat/composer.js", "i18n.js", "api.js"} {
		if !has[need] {
			t.Errorf("app.js does not import %s statically (a chat needs it at once): %v", need, tree)
		}
	}
	lazy := []string{"admin.js", "parent.js", "parent-pages.js", "child.js", "activity.js", "notify-settings.js"}
	for _, name := range tree {
		if slices.Contains(lazy, name) || strings.HasPrefix(name, "admin/") || strings.HasPrefix(name, "parent/") {
			t.Errorf("app.js imports %s statically; a child's chat never needs it: load it by import() when its route opens", name)
		}
	}
	t.Logf("app.js's static tree: %d modules", len(tree))
}

// realModules are the UI's JavaScript modules, by name under assets/.
func realModules(t *testing.T) map[string][]byte {
	t.Helper()
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".js" {
			return err
		}
		b, err := fs.ReadFile(sub, name)
		files[name] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
