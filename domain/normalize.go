package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// People type into a chat, not into a form: a Chinese IME in full-width
// mode gives １２３, ＡＢＣ and －＠．：（）, its space bar the ideographic
// space U+3000 and its full stop 。; phones and copied text bring no-break
// spaces, zero-width spaces, a byte-order mark, and the bidi marks some
// contact apps put around a phone number. Every parser reads its input
// through normalize, in the form its value calls for, before any check, so
// that a rule is checked against what the person meant and an error counts
// and names characters as they will be stored.

// form says how much normalize may change.
type form int

const (
	// asText is for names, addresses and other free text, where a Chinese
	// character or punctuation mark is the text itself. Full-width letters
	// and digits become ASCII and every horizontal space a plain space;
	// nothing else changes. Not NFKC: it would turn compatibility
	// ideographs (U+F900…, kept for rare characters of names) into other
	// characters, the full-width brackets （） that enterprise names are
	// registered with into ASCII ones, and ㈱ or ① into several characters.
	asText form = iota
	// asCode is for values where only ASCII counts: e-mail addresses,
	// login names, phone numbers, postcodes, amounts, dates. NFKC (every
	// full-width or other compatibility form becomes its letter, digit or
	// punctuation), and then every dash a hyphen-minus, the ideographic
	// full stop 。 a full stop, every space a plain one.
	asCode
	// asIdentifier is asCode without the separators people group long
	// numbers with: every space and hyphen is removed (credit code, ID
	// number, mobile, marketing account and bank account numbers).
	asIdentifier
)

// normalize returns s as the parsers check it. Every form removes
// invisible characters (asText those of invisible; asCode and asIdentifier
// every format character, bidi marks included, since no code contains one)
// and trims spaces and format characters from both ends. Invalid UTF-8 becomes
// U+FFFD, which every parser refuses.
func normalize(s string, f form) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if f == asText {
		return trim(mapRunes(s, f))
	}
	// Removing a format character or a space can put a combining mark
	// next to a letter that NFKC then composes with it (e\u200b\u0301 →
	// é), so map and compose until nothing changes: a parser's output must
	// read as itself. Real input settles at once; the bound is for
	// constructed input.
	for i := 0; i < 4; i++ {
		t := trim(mapRunes(norm.NFKC.String(s), f))
		if t == s {
			break
		}
		s = t
	}
	return s
}

// mapRunes is normalize's work on each rune.
func mapRunes(s string, f form) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if f == asText {
			switch {
			case invisible(r):
				continue
			case r == '\t' || unicode.Is(unicode.Zs, r):
				r = ' '
			default:
				r = narrow(r)
			}
			b.WriteRune(r)
			continue
		}
		switch {
		case unicode.Is(unicode.Cf, r):
			continue
		case unicode.IsSpace(r):
			r = ' '
		case unicode.Is(unicode.Pd, r) || r == '−': // − is U+2212 MINUS SIGN
			r = '-'
		case r == '。': // NFKC has already made ｡ (U+FF61) 。
			r = '.'
		}
		if f == asIdentifier && (r == ' ' || r == '-') {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// trim removes spaces and format characters from both ends.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
}

// invisible reports the characters that show nothing and mean nothing in
// a name or address, and so are dropped from free text wherever they are:
// zero-width space, word joiner, byte-order mark (zero-width no-break
// space), soft hyphen and Mongolian vowel separator. Other format
// characters stay: joiners belong to emoji, and ParseText refuses bidi
// controls inside a text because they change how it displays.
func invisible(r rune) bool {
	return r == 0x200b || r == 0x2060 || r == 0xfeff || r == 0x00ad || r == 0x180e
}

// narrow returns the ASCII letter or digit of a full-width one (Ａ → A,
// １ → 1) and any other rune unchanged.
func narrow(r rune) rune {
	if r >= '０' && r <= '９' || r >= 'Ａ' && r <= 'Ｚ' || r >= 'ａ' && r <= 'ｚ' {
		return r - 0xfee0
	}
	return r
}

// hasASCIIForm reports whether asCode would turn r into a printable ASCII
// character other than r itself (Ａ → A, ！ → !, ＠ → @, 。 → .): where a
// value must be kept exactly as typed (a password), the user is asked to
// retype it instead.
func hasASCIIForm(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	s := normalize(string(r), asCode)
	return len(s) == 1 && s[0] > ' ' && s[0] <= '~'
}

// charArg is a character as an error's {{.Char}} shows it: itself if it
// can be seen, else its code point (U+0000).
func charArg(r rune) string {
	if unicode.IsGraphic(r) && !unicode.IsSpace(r) && r != utf8.RuneError {
		return string(r)
	}
	return fmt.Sprintf("U+%04X", r)
}

// firstNot returns the first rune of s that ok refuses, with its position
// (1-based, in runes); pos is 0 if there is none.
func firstNot(s string, ok func(i int, r rune) bool) (r rune, pos int) {
	i := 0
	for _, r := range s {
		if !ok(i, r) {
			return r, i + 1
		}
		i++
	}
	return 0, 0
}
