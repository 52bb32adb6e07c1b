package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// idWeights are the GB 11643-1999 weights 2^(18-i) mod 11 for positions 1..17.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps (sum mod 11) to the check character (ISO 7064 MOD 11-2).
const idCheckChars = "10X98765432"

// provincePrefixes are the two-digit GB/T 2260 province-level codes. Unknown
// county codes are accepted on purpose: a number keeps the address code that
// was valid when it was issued (e.g. Sichuan's 51… for pre-1997 Chongqing).
var provincePrefixes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// ParseIDNumber validates an 18-character resident identity number
// (GB 11643-1999) and returns it normalised (normalize asIdentifier: ASCII,
// no spaces or hyphens; upper-case X). today bounds the date of birth;
// dates after it are rejected. The checks run in the order a person can
// act on them: a character that cannot be in a number (idnumber.char),
// the length (idnumber.old for a first-generation 15-digit number,
// idnumber.length), the province, the date of birth, the check digit.
// Errors quote no more of the number than one stray character: it is a
// secret the chat deletes.
func ParseIDNumber(s string, today time.Time) (string, error) {
	const field = FieldLegalRepID
	s = strings.ToUpper(normalize(s, asIdentifier))
	if s == "" {
		return "", empty(field)
	}
	n := utf8.RuneCountInString(s)
	if r, pos := firstNot(s, func(i int, r rune) bool {
		return r >= '0' && r <= '9' || r == 'X' && (i == 17 || i == n-1)
	}); pos > 0 {
		return "", badCharAt(field, "idnumber.char", r, pos)
	}
	switch {
	case n == 15 && !strings.Contains(s, "X"):
		return "", invalid(field, "idnumber.old")
	case n != 18:
		return "", badCount(field, "idnumber.length", n)
	}
	if !provincePrefixes[s[:2]] {
		return "", invalid(field, "idnumber.region")
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 {
		return "", invalid(field, "idnumber.birthdate")
	}
	y, m, d := today.Date()
	if birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return "", invalid(field, "idnumber.birth_future")
	}
	if IDCheckChar(s[:17]) != s[17] {
		return "", invalid(field, "idnumber.checksum")
	}
	return s, nil
}

// IDCheckChar computes the check character of a 17-digit ID body. The body
// must be 17 ASCII digits.
func IDCheckChar(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// MaskIDNumber shows the first 3 and last 4 characters: 500***********0011.
func MaskIDNumber(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}
