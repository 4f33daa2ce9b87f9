package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// jsOnlyEventTypes are the names assets/events.js may list that are not
// an eventlog.Type, each with why.
var jsOnlyEventTypes = map[string]string{
	// The socket's own frame (internal/live/socket.go, resyncFrame): it
	// is about no action, so the outbox never holds it.
	"resync": "sent by internal/live when a socket missed events, not written to the outbox",
}

// TestEventsJSMatchesEventlog: the event type names the pages compare
// against (assets/events.js, EventType) are exactly the eventlog.Type
// constants the server writes, so that a type added, renamed or dropped on
// one side is not silently ignored on the other.
func TestEventsJSMatchesEventlog(t *testing.T) {
	js := jsEventTypes(t, "assets/events.js")
	goTypes := eventlogTypes(t, "../eventlog")
	for name := range js {
		if !goTypes[name] && jsOnlyEventTypes[name] == "" {
			t.Errorf("events.js lists %q, which is no eventlog.Type constant", name)
		}
	}
	for name := range goTypes {
		if !js[name] {
			t.Errorf("eventlog.Type %q is missing from events.js's EventType", name)
		}
	}
	for name := range jsOnlyEventTypes {
		if !js[name] {
			t.Errorf("jsOnlyEventTypes names %q, which events.js no longer lists: drop it", name)
		}
		if goTypes[name] {
			t.Errorf("jsOnlyEventTypes names %q, which is an eventlog.Type: drop it", name)
		}
	}
}

var (
	// eventTypeObject is the frozen object literal `EventType`.
	eventTypeObject = regexp.MustCompile(`(?s)export const EventType = Object\.freeze\(\{(.*?)\}\);`)
	// eventTypeEntry is one `key: "value",` of it.
	eventTypeEntry = regexp.MustCompile(`(?m)^\s*[A-Za-z_$][\w$]*:\s*"([^"]*)",?\s*$`)
	// jsComment is a line comment inside the literal.
	jsComment = regexp.MustCompile(`(?m)^\s*//.*$`)
)

// jsEventTypes returns the values of events.js's EventType, failing on a
// line of the literal that is neither an entry nor a comment.
func jsEventTypes(t *testing.T, path string) map[string]bool {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := eventTypeObject.FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s: no `export const EventType = Object.freeze({...});`", path)
	}
	body := jsComment.ReplaceAll(m[1], nil)
	names := map[string]bool{}
	for _, e := range eventTypeEntry.FindAllSubmatch(body, -1) {
		if names[string(e[1])] {
			t.Errorf("%s lists %q twice", path, e[1])
		}
		names[string(e[1])] = true
	}
	if rest := eventTypeEntry.ReplaceAll(body, nil); strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("%s: EventType holds something other than `key: \"value\",` lines:\n%s", path, rest)
	}
	if len(names) == 0 {
		t.Fatalf("%s: EventType is empty", path)
	}
	return names
}

// eventlogTypes returns the values of the constants of type Type that the
// non-test Go files of package eventlog in dir declare.
func eventlogTypes(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, dir+"/"+e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range typeConsts(t, f) {
			names[v] = true
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s: no constants of type Type", dir)
	}
	return names
}

// typeConsts returns the string values of f's constants declared `Name
// Type = "value"`.
func typeConsts(t *testing.T, f *ast.File) []string {
	t.Helper()
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Type" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("an eventlog.Type constant is not a string literal: %T", v)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(out, s) {
					t.Errorf("eventlog declares Type %q twice", s)
				}
				out = append(out, s)
			}
		}
	}
	return out
}
