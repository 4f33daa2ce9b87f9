// Package leaknorm is the leak guard's normalization: the one function
// that turns a kept game password and a text a child sends into the
// letters and digits they read as, so that their fingerprints match
// however either was typed.
package leaknorm

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The leak guard's normalization (docs/controls.md, "Matching"): one
// function for the kept passwords and for the texts checked, so that a
// password typed with other characters that read the same normalizes to
// the same letters and digits:
//
//  1. NFKD: compatibility forms become their plain letters (full-width
//     "Ｈ", maths "𝐇", ligatures, superscripts, circled digits) and
//     accented letters split into letter + combining mark;
//  2. combining marks are dropped ("é" is "e");
//  3. look-alikes from other scripts become the Latin letter or digit
//     they are read as (leakSkeleton), then everything is lower-cased;
//  4. only letters and digits are kept: spaces, punctuation, dashes,
//     underscores, zero-width and other invisible characters go.
//
// Changing any of this changes every fingerprint: bump Version,
// which makes the server write them all again (RefreshLeakPrints).

// Version is the normalization fingerprints are written with.
// 1 was 00010's (lower case, without whitespace and dots); 2 is this one.
const Version = 2

// Normalize returns s normalized for the leak guard.
func Normalize(s string) []rune {
	if !isASCII(s) {
		s = norm.NFKD.String(s)
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				out = append(out, r)
			}
			continue
		}
		out = appendFolded(out, r)
	}
	return out
}

// appendFolded appends non-ASCII r as step 2 to 4 above have it.
func appendFolded(out []rune, r rune) []rune {
	if unicode.In(r, unicode.Mn, unicode.Me) {
		return out
	}
	skel, ok := leakSkeleton[r]
	if !ok {
		r = unicode.ToLower(r)
		skel, ok = leakSkeleton[r]
	}
	if ok {
		return append(out, []rune(skel)...)
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		out = append(out, r)
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// leakSkeleton maps the common look-alikes of Latin letters and digits,
// after NFKD, to what they are read as: the Cyrillic and Greek letters
// that look like Latin ones, and the Latin letters NFKD leaves whole
// (dotless i, stroked letters, ß). It is a short, hand-kept subset of
// Unicode's confusables (UTS #39), which golang.org/x/text does not carry
// and no maintained Go package provides; full-width and mathematical
// letters need no entry, NFKD has turned them into ASCII already.
//
// Lower-case keys are looked up after lower-casing, so they cover both
// cases; an upper-case key is needed only where the capital looks like
// another letter than its small letter does (Greek Η is "H", η is "n").
var leakSkeleton = map[rune]string{
	// Cyrillic.
	'а': "a", 'б': "6", 'в': "b", 'г': "r", 'е': "e", 'з': "3", 'к': "k",
	'м': "m", 'н': "h", 'о': "o", 'п': "n", 'р': "p", 'с': "c", 'т': "t",
	'у': "y", 'х': "x", 'ь': "b", 'ѕ': "s", 'і': "i", 'ј': "j", 'һ': "h",
	'ԁ': "d", 'ԛ': "q", 'ԝ': "w", 'ү': "y", 'ӏ': "l", 'Ӏ': "l",
	// Greek.
	'α': "a", 'β': "b", 'γ': "y", 'ε': "e", 'η': "n", 'ι': "i", 'κ': "k",
	'μ': "u", 'ν': "v", 'ο': "o", 'ρ': "p", 'σ': "o", 'τ': "t", 'υ': "u",
	'χ': "x", 'ω': "w", 'Η': "h", 'Μ': "m", 'Ν': "n", 'Υ': "y", 'Ζ': "z",
	// Latin letters without a decomposition.
	'ı': "i", 'ɩ': "i", 'ɑ': "a", 'ɡ': "g", 'ø': "o", 'đ': "d", 'ħ': "h", 'ł': "l",
	'ŧ': "t", 'ß': "ss", 'æ': "ae", 'œ': "oe",
}
