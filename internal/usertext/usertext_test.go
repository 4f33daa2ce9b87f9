package usertext

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// Text a child might really write comes back as it was (NFC, trimmed).
func TestVisibleTextIsKept(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "  Bob  ", "Bob"},
		{"accented, decomposed in", "Zoe\u0301", "Zoé"},
		{"family emoji (ZWJ)", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"red heart (VS16)", "❤\ufe0f", "❤\ufe0f"},
		{"rainbow flag (VS16 then ZWJ)", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"skin tone ZWJ", "🧑🏽\u200d💻", "🧑🏽\u200d💻"},
		{"keycap", "1\ufe0f\u20e3", "1\ufe0f\u20e3"},
		{"country flag", "🇫🇷🇯🇵", "🇫🇷🇯🇵"},
		{"Scotland flag (tags)", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"},
		{"CJK", "小明", "小明"},
		{"Korean", "민준", "민준"},
		{"Arabic with RLM", "مرحبا!\u200f", "مرحبا!\u200f"},
		{"Persian ZWNJ", "می\u200cخواهم", "می\u200cخواهم"},
		{"Hindi virama ZWJ", "क्\u200dष", "क्\u200dष"},
		{"Arabic number sign", "\u0600١٢", "\u0600١٢"},
		{"emoji newer than Go's tables", "\U0001FAE9", "\U0001FAE9"},
		{"NBSP inside", "Jean\u00a0Luc", "Jean\u00a0Luc"},
		{"zero-width space inside is removed", "Bo\u200bb", "Bob"},
		{"soft hyphen removed", "Ali\u00adce", "Alice"},
		{"NFC after removing", "Zoe\u200b\u0301", "Zoé"},
		{"BOM at start removed", "\ufeffHi", "Hi"},
		{"Hangul filler after a name removed", "Bob\u3164\u3164", "Bob"},
		{"dangling ZWJ removed", "\u200dBob\u200d", "Bob"},
		{"lone variation selector removed", "\ufe0f Bob", "Bob"},
	} {
		got, err := Clean(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s: Clean(%+q) = %+q, %v; want %+q", tc.name, tc.in, got, err, tc.want)
		}
	}
}

// Text with nothing visible, or with characters that hide or disguise
// text, is refused; whitespace alone is empty, which the caller judges.
func TestInvisibleTextIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, in, reason string }{
		{"two zero-width spaces", "\u200b\u200b", "visible"},
		{"BOM only", "\ufeff", "visible"},
		{"Hangul filler", "\u3164", "visible"},
		{"half-width Hangul filler", "\uffa0\uffa0", "visible"},
		{"choseong and jungseong fillers", "\u115f\u1160", "visible"},
		{"joiners only", "\u200d\u200c\u200d", "visible"},
		{"variation selector only", "\ufe0f", "visible"},
		{"word joiner and soft hyphen", "\u2060\u00ad", "visible"},
		{"braille blank", "\u2800\u2800", "visible"},
		{"lone combining marks", "\u0301\u0308", "visible"},
		{"RLM only", "\u200f", "visible"},
		{"tag characters", "hi\U000E0041\U000E0042", "tag"},
		{"tags after a flag but not a code", "🏴\U000E0041\U000E007F", "tag"},
		{"tags too long for a flag", "🏴\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E007F", "tag"},
		{"cancel tag alone", "x\U000E007F", "tag"},
		{"language tag", "x\U000E0001", "formatting"},
		{"right-to-left override", "abc\u202etxt.exe", "override"},
		{"isolate", "a\u2067b", "override"},
		{"bell", "Bo\u0007b", "control"},
		{"escape sequence", "a\u001b[31m", "control"},
		{"NUL", "a\x00b", "control"},
		{"invisible times", "a\u2062b", "formatting"},
		{"interlinear annotation", "a\ufff9b\ufffbc", "formatting"},
		{"reserved default ignorable", "a\U000E0100\U000E01F0", "formatting"},
		{"noncharacter", "a\ufffe", "noncharacter"},
		{"line break in a name", "Bo\nb", "one line"},
		{"line separator in a name", "Bo\u2028b", "one line"},
		{"carriage return in a name", "Bo\rb", "one line"},
		{"tab in a name", "Bo\tb", "one line"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
	} {
		got, err := Clean(tc.in)
		var ue *Error
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, tc.reason) {
			t.Errorf("%s: Clean(%+q) = %+q, %v; want a refusal about %q", tc.name, tc.in, got, err, tc.reason)
		}
	}
	for _, in := range []string{"", "   ", "\t\n", "\u00a0\u3000"} {
		if got, err := Clean(in); got != "" || err != nil {
			t.Errorf("Clean(%+q) = %+q, %v; want empty", in, got, err)
		}
	}
}

// Multiline text keeps its line breaks (all made "\n") and tabs.
func TestCleanLines(t *testing.T) {
	got, err := CleanLines(" one\r\ntwo\rthree\u2028four\tfive\n ")
	if err != nil || got != "one\ntwo\nthree\nfour\tfive" {
		t.Fatalf("CleanLines = %+q, %v", got, err)
	}
	if _, err := CleanLines("\u200b\n\u200b"); err == nil {
		t.Fatal("zero-width spaces on two lines were accepted")
	}
	if got, err := CleanLines("a\vb\fc\u0085d"); err != nil || got != "a\nb\nc\nd" {
		t.Fatalf("vertical tab, form feed and NEL: %+q, %v; want line breaks", got, err)
	}
}

// FuzzClean: whatever comes in, what Clean keeps is stable (cleaning it
// again changes nothing), is NFC, and holds something visible unless empty.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"Bob", "👨\u200d👩\u200d👧", "\u200b\u200b", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
		"a\u202eb", "क्\u200dष", "❤\ufe0f", " \u3164x\u00ad ", "line\r\nline"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		clean := Clean
		if multiline {
			clean = CleanLines
		}
		out, err := clean(s)
		if err != nil {
			return
		}
		again, err := clean(out)
		if err != nil || again != out {
			t.Fatalf("clean(%+q) = %+q, but cleaning that gives %+q, %v", s, out, again, err)
		}
		if !norm.NFC.IsNormalString(out) {
			t.Fatalf("clean(%+q) = %+q, not NFC", s, out)
		}
		if out != "" && !hasVisible(out) {
			t.Fatalf("clean(%+q) = %+q, nothing visible", s, out)
		}
	})
}

// BenchmarkCleanLines: a message of the longest length the API allows,
// mixed scripts and emoji, as the send path cleans it.
func BenchmarkCleanLines(b *testing.B) {
	msg := strings.Repeat("Héllo 小明 👨\u200d👩\u200d👧 ❤\ufe0f\n", 2000/20)
	for b.Loop() {
		if _, err := CleanLines(msg); err != nil {
			b.Fatal(err)
		}
	}
}
