package web

import (
	"reflect"
	"strings"
	"testing"
)

// TestStaticImports: the tree of static imports from an entry, through
// every form of import and re-export, across folders and cycles; dynamic
// import(), imports in comments' middle and missing files stay out.
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
		"dom.js":           []byte(`import { t } from "./i18n.js";`),
		"side.js":          nil,
		"all.js":           []byte(`export { h } from "./dom.js";`),
		"chat.js":          []byte(`import { messageItem } from "./chat/messages.js";`),
		"chat/messages.js": []byte(`import { api } from "../api.js";` + "\n" + `import { pic } from "./reactions.js";`),
		"chat/reactions.js": []byte(`import { messageItem } from "./messages.js"; // a cycle
import { t } from "../i18n.js";`),
		"api.js":         nil,
		"i18n.js":        nil,
		"lazy.js":        nil,
		"in-comment.js":  nil,
		"admin/extra.js": []byte(`import { h } from "../dom.js";`),
	}
	want := []string{"all.js", "api.js", "chat.js", "chat/messages.js", "chat/reactions.js", "dom.js", "i18n.js", "side.js"}
	if got := staticImports("app.js", files); !reflect.DeepEqual(got, want) {
		t.Fatalf("staticImports = %v\nwant %v", got, want)
	}
	links := modulePreloads("v1", want[:2])
	if links != `<link rel="modulepreload" href="/assets/v1/all.js">`+"\n"+`<link rel="modulepreload" href="/assets/v1/api.js">` {
		t.Fatalf("modulePreloads = %q", links)
	}
	if strings.Contains(string(New().index.body), "{{") {
		t.Fatal("the page keeps a placeholder")
	}
}
