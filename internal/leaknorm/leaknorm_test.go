package leaknorm

import (
	"strings"
	"testing"
)

// TestLeakNormalize: each way of writing a password that outside testing
// tried (issue 19.1) normalizes to the password's own letters and digits,
// and the normalization leaves other scripts' words and ordinary text as
// letters and digits of their own.
func TestLeakNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Hunter2Pass", "hunter2pass"},
		{"Sunny-Pony-42", "sunnypony42"},
		{"h-u-n-t-e-r-2-p-a-s-s", "hunter2pass"},
		{"Sunny Pony 42", "sunnypony42"},
		{"sunny, pony, 42!", "sunnypony42"},
		{"Sunny_Pony_42", "sunnypony42"},
		{"Hun\u200bter\u200c2\u200dPa\u2060ss\ufeff", "hunter2pass"},
		{"Hun\u00adter2\u00adPass", "hunter2pass"},
		{"\uff28\uff55\uff4e\uff54\uff45\uff52\uff12\uff30\uff41\uff53\uff53", "hunter2pass"},
		{"\uff33\uff55\uff4e\uff4e\uff59\u3000\uff30\uff4f\uff4e\uff59\u3000\uff14\uff12", "sunnypony42"},
		{"\u041dunt\u0435r2\u0420\u0430ss", "hunter2pass"},                                    // Cyrillic Н, е, Р, а
		{"\u0405unny-\u0420\u043en\u0443-42", "sunnypony42"},                                  // Cyrillic Ѕ, Р, о, у
		{"\u0397unter2\u03a1\u03b1ss", "hunter2pass"},                                         // Greek Η, Ρ, α
		{"\u0053\u0443\u043f\u043f\u0443", "synny"},                                           // Cyrillic у, п read as y, n
		{"\U0001d407\U0001d42e\U0001d427\U0001d42d\U0001d41e\U0001d42b\U0001d7d0", "hunter2"}, // maths bold
		{"H\u00fcnt\u00e9r2P\u00e0ss", "hunter2pass"},
		{"Hu\u0301nter2Pa\u0308ss", "hunter2pass"},
		{"\u2460\u2461 \u00b9\u00b2", "1212"}, // circled digits, superscripts
		{"Stra\u00dfe \u0131\u0142", "strasseil"},
		{"\U000e0048\U000e0069 hi", "hi"}, // tag characters are invisible
		{"Привет, как дела?", "npиbetkakдeлa"},
		{"日本語 ok", "日本語ok"},
		{"", ""},
	} {
		if got := string(Normalize(c.in)); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// BenchmarkLeakNormalize: the normalization of a longest message (2000
// characters), ASCII (the fast path) and not (NFKD and the look-alike
// table), beside which the match's HMACs (BenchmarkLeakMatch) dominate.
func BenchmarkLeakNormalize(b *testing.B) {
	for name, unit := range map[string]string{"ascii": "see you at the park later! ", "mixed": "Привет, ｆｒｉｅｎｄ! Ça va? 🦄 "} {
		text := []rune(strings.Repeat(unit, 2000/len([]rune(unit))+1))[:2000]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Normalize(string(text))
			}
		})
	}
}
