package notify

import (
	"strings"
	"testing"
)

// TestEveryKindRenders: each kind has its words; the child's name is in
// the sentence (escaped in the HTML part), "your child" once it is gone;
// the link is the kind's page under the public URL.
func TestEveryKindRenders(t *testing.T) {
	for _, k := range Kinds {
		w, ok := wordings[k]
		if !ok {
			t.Fatalf("%s: no wording", k)
		}
		named, err := render(pending{id: 7, kind: k, childID: 42, childName: "<b>Mia</b>", email: "p@example.org"}, "https://pals.example.org/")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(named.Subject, "Pixel Pals: ") || named.To != "p@example.org" {
			t.Errorf("%s: subject %q, to %q", k, named.Subject, named.To)
		}
		wantLink := map[string]string{"child": "https://pals.example.org/#/child/42", "login": "https://pals.example.org/#/login", "": "https://pals.example.org/#/"}[w.page]
		if named.Link != wantLink || !strings.Contains(named.Text, wantLink) || !strings.Contains(named.HTML, `href="`+wantLink+`"`) {
			t.Errorf("%s: link %q, want %q in both parts", k, named.Link, wantLink)
		}
		if strings.Contains(w.sentence, "%s") {
			if !strings.Contains(named.Text, "<b>Mia</b>") || !strings.Contains(named.HTML, "&lt;b&gt;Mia&lt;/b&gt;") || strings.Contains(named.HTML, "<b>Mia") {
				t.Errorf("%s: the name is not in the text, or not escaped in the HTML:\n%s\n%s", k, named.Text, named.HTML)
			}
			gone, _ := render(pending{id: 7, kind: k, childID: 42, email: "p@example.org"}, "https://pals.example.org")
			if !strings.Contains(strings.ToLower(gone.Text), "your child") {
				t.Errorf("%s: without a name: %s", k, gone.Text)
			}
		}
	}
	if _, err := render(pending{id: 1, kind: "nonsense", email: "p@example.org"}, "http://x"); err == nil {
		t.Fatal("an unknown kind rendered")
	}
}
