package domain

import (
	"strings"
	"unicode/utf8"
)

// usccChars is the GB 32100-2015 character set (no I, O, S, V, Z).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ReasonCreditCodeChecksum is the Reason of a credit code whose format is
// right but whose check character is not. Some early genuine codes fail
// the check, so the user may confirm such a code; the application is then
// flagged.
const ReasonCreditCodeChecksum = "creditcode.checksum"

// ParseCreditCode validates a unified social credit code (统一社会信用代码,
// GB 32100-2015) and returns it normalised (normalize asIdentifier: ASCII,
// no spaces or hyphens; upper case). When only the check character is wrong
// it returns the normalised code together with an *Error whose Reason is
// ReasonCreditCodeChecksum.
//
// A character outside the set is named with its position: one of the
// letters the standard leaves out (creditcode.letter, usually a misread 1,
// 0, 5, U or 2), a letter in the region part, positions 3–8
// (creditcode.region), or anything else (creditcode.char). Then the length:
// 15 digits are a pre-2015 registration number (creditcode.old).
func ParseCreditCode(s string) (string, error) {
	const field = FieldCreditCode
	s = strings.ToUpper(normalize(s, asIdentifier))
	if s == "" {
		return "", empty(field)
	}
	if r, pos := firstNot(s, func(_ int, r rune) bool { return strings.ContainsRune(usccChars, r) }); pos > 0 {
		if strings.ContainsRune("IOSVZ", r) {
			return "", badCharAt(field, "creditcode.letter", r, pos)
		}
		return "", badCharAt(field, "creditcode.char", r, pos)
	}
	if r, pos := firstNot(s, func(i int, r rune) bool { return i < 2 || i >= 8 || r <= '9' }); pos > 0 {
		return "", badCharAt(field, "creditcode.region", r, pos)
	}
	switch n := utf8.RuneCountInString(s); {
	case n == 15 && strings.Trim(s, "0123456789") == "":
		return "", invalid(field, "creditcode.old")
	case n != 18:
		return "", badCount(field, "creditcode.length", n)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccChars, s[i]) * usccWeights[i]
	}
	if usccChars[(31-sum%31)%31] != s[17] {
		return s, invalid(field, ReasonCreditCodeChecksum)
	}
	return s, nil
}
