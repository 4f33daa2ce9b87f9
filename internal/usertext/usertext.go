// Package usertext decides whether text a person typed may be stored and
// shown to others: names, bios, titles, messages, game names, reports.
//
// Text must have something a reader can see. Characters that draw nothing
// are the way round that (a display name of two zero-width spaces shows as
// no name at all) and the way to hide or disguise words (tag characters
// carry invisible ASCII, direction overrides reverse what follows). Each
// class of invisible character is removed, kept only where it shapes what
// is seen (emoji sequences, scripts that need joiners), or refused, as
// classify says and why.
package usertext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// Error says why text was refused, in words for an API error's message
// ("must …"), without the text itself.
type Error struct {
	Reason string
	// Format and Args are Reason before formatting: Format, the English
	// text, is the key of its translations (internal/locale).
	Format string
	Args   []any
}

func (e *Error) Error() string { return e.Reason }

func refuse(format string, args ...any) (string, error) {
	return "", &Error{Reason: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Clean checks one line of text (a name, a title) and returns it as it
// should be stored: NFC, trimmed, with the invisible characters that mean
// nothing removed. Text that is empty after trimming white space comes
// back as "" without error: whether that is allowed is the caller's
// business. Text that had something but nothing visible is refused.
func Clean(s string) (string, error) { return clean(s, false) }

// CleanLines is Clean for text that may hold line breaks and tabs
// (messages, bios, report reasons). Line breaks of every kind are stored
// as "\n".
func CleanLines(s string) (string, error) { return clean(s, true) }

func clean(s string, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return refuse("must be valid UTF-8")
	}
	if multiline {
		s = lineBreaks.Replace(s)
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	if s == "" {
		return "", nil
	}
	out, err := scan([]rune(s), multiline)
	if err != nil {
		return "", err
	}
	// Removing invisible characters can leave spaces at an end.
	out = strings.TrimFunc(out, isBlank)
	if !hasVisible(out) {
		return refuse("must have something visible: it holds only invisible characters")
	}
	// NFC so that "é" typed two ways is stored (and compared) one way;
	// last, because a removed zero-width space can leave an accent next
	// to the letter it belongs on.
	return norm.NFC.String(out), nil
}

// lineBreaks turns every way of ending a line into "\n": browsers send
// "\r\n" from forms, and U+2028/U+2029 break lines where they are drawn.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\v", "\n", "\f", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")

// isLineBreak reports whether r ends a line (or, a tab, lines text up):
// allowed in multiline text, where lineBreaks has made each of them "\n",
// and refused in one line, where they would break a name in two.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\t', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// class is what a character is for this package's purposes.
type class uint8

const (
	// visible characters are what text must have some of: letters,
	// digits, punctuation, symbols (emoji), private-use characters, and
	// characters newer than our Unicode tables (new emoji are sent by
	// phones before Go knows them).
	visible class = iota
	// kept characters are stored but are not content on their own:
	// white space, combining marks (a lone accent over nothing is not a
	// name), implicit direction marks.
	kept
	// dropped characters draw nothing and change nothing a reader sees;
	// pasted text is full of them, so they are removed, not refused.
	dropped
	// joiners (ZWJ, ZWNJ) are kept between two visible characters, where
	// they build emoji sequences (👨‍👩‍👧) and shape Persian or Hindi
	// words; anywhere else they join nothing and are dropped.
	joiner
	// selectors (variation selectors) are kept right after a visible
	// character, which they choose the look of (❤️, CJK variants);
	// alone they are dropped.
	selector
	// tags (U+E0020-U+E007F) spell ASCII that nobody sees: text hidden
	// from the reader (and from a parent) but read by machines. They are
	// allowed only as the letters of a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
	tag
	// overrides (bidi embeddings, overrides and isolates) reorder the
	// text after them: "txt.exe" can be made to read "exe.txt", a word
	// can be turned round to slip past a reader, and an unclosed one
	// spills into the page that shows the text. Refused.
	override
	// controls (C0/C1 other than the line breaks and tabs of multiline
	// text) are terminal escapes and bell characters, not text. Refused.
	control
	// formatting is every other invisible format character (U+2061
	// invisible times, deprecated format characters, interlinear
	// annotations, reserved default-ignorable code points): nothing a
	// child writes needs them and each can hide text. Refused.
	formatting
	// noncharacters (U+FFFE, U+FDD0…) are never text by definition.
	noncharacter
)

var (
	// droppedChars: zero-width space, word joiner, BOM, soft hyphen,
	// combining grapheme joiner, the Hangul fillers (letters that draw
	// nothing, the best-known way to make a "blank" name) and the Khmer
	// inherent vowels Unicode says not to use.
	droppedChars = rangetable.New('\u00AD', '\u034F', '\u115F', '\u1160', '\u17B4', '\u17B5',
		'\u200B', '\u2060', '\u3164', '\uFEFF', '\uFFA0')
	// overrideChars: LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI.
	overrideChars = rangetable.New('\u202A', '\u202B', '\u202C', '\u202D', '\u202E',
		'\u2066', '\u2067', '\u2068', '\u2069')
	// directionMarks (LRM, RLM, ALM) only settle the direction of the
	// neutral characters next to them, which mixed Hebrew or Arabic and
	// Latin text needs; they cannot reorder or hide words.
	directionMarks = rangetable.New('\u200E', '\u200F', '\u061C')
	// invisibleOther is what Unicode calls default ignorable (drawn as
	// nothing when not understood) and is not in a class above.
	invisibleOther = rangetable.Merge(unicode.Cf, unicode.Other_Default_Ignorable_Code_Point)
)

const (
	zwnj      = '\u200C'
	zwj       = '\u200D'
	blackFlag = '\U0001F3F4'
	cancelTag = '\U000E007F'
)

// classify sorts one character; the order matters where tables overlap
// (ZWJ and the marks are format characters too).
func classify(r rune) class {
	switch {
	case r < utf8.RuneSelf:
		return classifyASCII(r)
	case unicode.IsLetter(r) && !unicode.Is(droppedChars, r):
		// Most text is letters: one table look-up, not all of them.
		return visible
	case r == zwj || r == zwnj:
		return joiner
	case unicode.Is(unicode.Variation_Selector, r):
		return selector
	case r >= 0xE0020 && r <= cancelTag:
		return tag
	case unicode.Is(droppedChars, r):
		return dropped
	case unicode.Is(overrideChars, r):
		return override
	case unicode.Is(directionMarks, r):
		return kept
	case unicode.Is(unicode.Prepended_Concatenation_Mark, r):
		// Format characters that are drawn: the Arabic number sign and
		// end of ayah, and a few like them.
		return visible
	case unicode.Is(unicode.Cc, r):
		return control
	case unicode.Is(invisibleOther, r):
		return formatting
	case unicode.Is(unicode.Noncharacter_Code_Point, r):
		return noncharacter
	case unicode.Is(unicode.White_Space, r), unicode.In(r, unicode.M), r == brailleBlank:
		return kept
	}
	return visible
}

func classifyASCII(r rune) class {
	switch {
	case r == ' ':
		return kept
	case r < ' ' || r == 0x7F:
		return control
	}
	return visible
}

// brailleBlank is a braille cell with no dots: a space to a braille
// reader, a "blank" character to everyone else. It is kept between words
// but is not content, and it is trimmed from the ends like a space.
const brailleBlank = '\u2800'

func isBlank(r rune) bool { return unicode.IsSpace(r) || r == brailleBlank }

// scan decides each character of rs in its context, returning what is to
// be stored or why it is refused.
func scan(rs []rune, multiline bool) (string, error) {
	w := writer{last: kept}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if isLineBreak(r) {
			if !multiline {
				return refuse("must be one line, without line breaks or tabs")
			}
			w.put(kept, r)
			continue
		}
		switch c := classify(r); c {
		case visible, kept:
			w.put(c, r)
		case dropped:
		case joiner:
			if w.joins() && nextVisible(rs[i+1:]) {
				w.put(joiner, r)
			}
		case selector:
			if w.last == visible {
				w.put(selector, r)
			}
		case tag:
			n := flagTags(rs[i:])
			if w.prev != blackFlag || n == 0 {
				return refuse("must not contain tag characters (U+%04X) outside a flag: they spell text nobody sees", r)
			}
			for _, t := range rs[i : i+n] {
				w.put(visible, t)
			}
			i += n - 1
		case override:
			return refuse("must not contain direction overrides or isolates (U+%04X): they reorder the text after them", r)
		case control:
			return refuse("must not contain control characters (U+%04X)", r)
		case formatting:
			return refuse("must not contain invisible formatting characters (U+%04X)", r)
		case noncharacter:
			return refuse("must not contain noncharacters (U+%04X)", r)
		}
	}
	return w.b.String(), nil
}

// writer collects the characters kept, remembering the last one.
type writer struct {
	b    strings.Builder
	last class
	prev rune
}

func (w *writer) put(c class, r rune) {
	w.b.WriteRune(r)
	w.last, w.prev = c, r
}

// joins reports whether a joiner written now would follow something it
// can join: a visible character, one with its variation selector, or a
// combining mark (a virama joins the consonants of Hindi half forms).
func (w *writer) joins() bool {
	return w.last == visible || w.last == selector || (w.last == kept && unicode.In(w.prev, unicode.M))
}

// nextVisible reports whether the first character of rs that is not
// dropped is visible: what a joiner would join to.
func nextVisible(rs []rune) bool {
	for _, r := range rs {
		switch classify(r) {
		case dropped:
			continue
		case visible:
			return true
		}
		return false
	}
	return false
}

// flagTags is the length of the tag sequence at the start of rs when it
// is the tail of a subdivision flag (after 🏴): a region and subdivision
// code of 3 to 6 lower-case letters and digits spelled in tag characters,
// then CANCEL TAG. It is 0 for anything else.
func flagTags(rs []rune) int {
	for n, r := range rs {
		switch {
		case r == cancelTag && n >= 3:
			return n + 1
		case n >= 6, !isTagAlnum(r):
			return 0
		}
	}
	return 0
}

func isTagAlnum(r rune) bool {
	return (r >= 0xE0030 && r <= 0xE0039) || (r >= 0xE0061 && r <= 0xE007A)
}

// hasVisible reports whether s holds at least one visible character.
func hasVisible(s string) bool {
	for _, r := range s {
		if classify(r) == visible {
			return true
		}
	}
	return false
}
