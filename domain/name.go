package domain

import (
	"fmt"
	"strings"
	"unicode"
)

// Names are what the exchange's records, the bank and the platform print:
// an enterprise's, a bank account's, a person's. A phone's keyboard is a
// tap away from emoji, and a name copied from a chat can carry them; none
// belongs in a registered name, so every name parser refuses them with a
// reason of its own ("<parser>.emoji", {{.Char}}), before its other rules.

// pictographic reports the characters of emoji and other pictures, which
// no registered name contains: symbols (category So: emoji, ☎, ♥, ®, the
// regional indicators of flags), the skin-tone modifiers, variation
// selectors (U+FE0F makes ❤ an emoji), the zero-width joiner that joins
// emoji into one (normalize keeps it for them), the keycap mark of 1️⃣, tag
// characters (subdivision flags) and private-use characters (a vendor's
// icons).
func pictographic(r rune) bool {
	switch {
	case unicode.Is(unicode.So, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Variation_Selector, r):
		return true
	case r >= 0x1f3fb && r <= 0x1f3ff: // skin tones
		return true
	case r == 0x200d, r == 0x20e3: // zero-width joiner, combining enclosing keycap
		return true
	case r >= 0xe0020 && r <= 0xe007f: // tags
		return true
	}
	return false
}

// firstPictographic returns the first pictographic rune of s, or false.
func firstPictographic(s string) (rune, bool) {
	for _, r := range s {
		if pictographic(r) {
			return r, true
		}
	}
	return 0, false
}

// badEmoji reports the first emoji of s under reason, with {{.Char}} the
// emoji as the person sees it: the whole sequence around the first
// pictographic rune (❤️, 1️⃣, 👨‍👩‍👧, 🇨🇳), or, for an invisible part found
// alone (a variation selector after a Chinese character), its code point.
func badEmoji(field Field, reason, s string) *Error {
	rs := []rune(s)
	i := 0
	for i < len(rs) && !pictographic(rs[i]) {
		i++
	}
	if i == len(rs) {
		return nil
	}
	start, end := i, i+1
	invisiblePart := !unicode.IsGraphic(rs[i]) || unicode.Is(unicode.Mn, rs[i]) || unicode.Is(unicode.Me, rs[i])
	if invisiblePart && i > 0 && !unicode.Is(unicode.Han, rs[i-1]) && !unicode.IsSpace(rs[i-1]) {
		start = i - 1 // the base of a keycap or of a selector: 1️⃣, ☎️
	}
	for end < len(rs) && end-start < 12 && (pictographic(rs[end]) || unicode.Is(unicode.Mn, rs[end]) || unicode.Is(unicode.Me, rs[end])) {
		end++
	}
	if start == i && invisiblePart {
		return invalidWith(field, reason, "Char", fmt.Sprintf("U+%04X", rs[i]))
	}
	return invalidWith(field, reason, "Char", string(rs[start:end]))
}

// ParseOrgName accepts the name of an organisation (an enterprise, the
// holder of a bank account, a bank) of 1..max characters, read asText as
// ParseText reads free text (one line, no control characters): without
// emoji or other pictures (orgname.emoji) and with at least one Chinese
// character (orgname.han), as every name registered in China has; field
// names the error.
func ParseOrgName(field Field, s string, max int) (string, error) {
	s, err := ParseText(field, s, max)
	if err != nil {
		return "", err
	}
	if err := badEmoji(field, "orgname.emoji", s); err != nil {
		return "", err
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		return "", invalid(field, "orgname.han")
	}
	return s, nil
}

// SameName reports whether two organisation names are one name as people
// read them: spaces and the width of brackets and other punctuation do not
// count (重庆某某（集团）有限公司 typed with half-width brackets is the
// same name). AccountNameDiffers compares the same way.
func SameName(a, b string) bool { return nameKey(a) == nameKey(b) }
