package web

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// The page loads one module, app.js, whose imports import more: a browser
// finds each level of that tree only after the level above has arrived,
// so a phone on a slow network waits one round trip per level (five from
// app.js down to a chat's reaction pictures) before the chat can draw. The
// page lists the whole tree as <link rel="modulepreload">, so every module
// is asked for at once, as soon as the page arrives (docs/web.md
// "Lighthouse").

// importSpec finds the relative module specifiers of static imports and
// re-exports ("import { a } from "./a.js";", "import "./b.js";",
// "export { c } from "../c.js";"). Dynamic import() is left out: what it
// loads is wanted later, or not at all.
var importSpec = regexp.MustCompile(`(?m)^\s*(?:import|export)\s+(?:[^;"']*?\s+from\s+)?["'](\.\.?/[^"']+)["']`)

// staticImports lists the modules entry imports, directly or not, by
// their names under assets/, sorted; entry itself is not listed. Names
// missing from files are skipped (a browser would fail on them anyway,
// and the tests of the modules catch it).
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

// modulePreloads is the page's <link rel="modulepreload"> lines for
// modules under /assets/<version>/.
func modulePreloads(version string, modules []string) string {
	var b strings.Builder
	for i, name := range modules {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, `<link rel="modulepreload" href="/assets/%s/%s">`, version, name)
	}
	return b.String()
}
