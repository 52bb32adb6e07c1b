package domain

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseLoginName checks a platform login name: 6–20 ASCII letters and
// digits, read asCode (full-width letters and digits are theirs in ASCII).
// Uniqueness is checked by the repository, case-insensitively.
func ParseLoginName(s string) (string, error) {
	const field = FieldLoginName
	s = normalize(s, asCode)
	if s == "" {
		return "", empty(field)
	}
	if strings.ContainsRune(s, ' ') {
		return "", invalid(field, "loginname.space")
	}
	if r, pos := firstNot(s, func(_ int, r rune) bool { return isAlnum(r) }); pos > 0 {
		return "", badChar(field, "loginname.char", r)
	}
	if n := len(s); n < 6 || n > 20 {
		return "", badCount(field, "loginname.length", n)
	}
	return s, nil
}

func isASCIIAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(rune(s[i])) {
			return false
		}
	}
	return true
}

// isAlnum reports an ASCII letter or digit.
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// ParseUserName checks a platform user name: 1–33 Chinese characters, read
// asText (a Chinese character is never changed).
func ParseUserName(s string) (string, error) {
	const field = FieldUserName
	s = normalize(s, asText)
	if s == "" {
		return "", empty(field)
	}
	if err := badEmoji(field, "username.emoji", s); err != nil {
		return "", err
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", invalid(field, "username.space")
	}
	if r, pos := firstNot(s, func(_ int, r rune) bool { return unicode.Is(unicode.Han, r) }); pos > 0 {
		return "", badChar(field, "username.char", r)
	}
	if n := utf8.RuneCountInString(s); n > 33 {
		return "", badCount(field, "username.length", n)
	}
	return s, nil
}

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// CheckPassword enforces the platform's password policy: 8–20 printable
// ASCII characters without spaces, with at least one letter, one digit and
// one special symbol, not containing the login name or its reverse
// (case-insensitively).
//
// Unlike the parsers it normalises nothing: a password is what the user
// will type on the platform, so a full-width Ａ is not silently an A. It
// says instead what to retype, naming a character only by its position
// (password.fullwidth, password.space, password.invisible, password.char)
// and the class that is missing (password.no_letter, no_digit, no_special;
// password.classes when two are), so that no part of the password is
// echoed into the chat.
func CheckPassword(pw, loginName string) error {
	const field = FieldPassword
	pos := 0
	for _, r := range pw { // invalid UTF-8 is utf8.RuneError: password.char
		pos++
		switch {
		case hasASCIIForm(r):
			return invalidWith(field, "password.fullwidth", "Pos", strconv.Itoa(pos))
		case unicode.IsSpace(r):
			return invalid(field, "password.space")
		case unicode.Is(unicode.Cf, r):
			return invalid(field, "password.invisible")
		case r <= ' ' || r > '~':
			return invalidWith(field, "password.char", "Pos", strconv.Itoa(pos))
		}
	}
	switch n := len(pw); {
	case n < 8:
		return invalid(field, "password.too_short")
	case n > 20:
		return invalid(field, "password.too_long")
	}
	var letter, digit, special bool
	for i := 0; i < len(pw); i++ {
		switch c := pw[i]; {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			special = true
		}
	}
	switch {
	case !letter && digit && special:
		return invalid(field, "password.no_letter")
	case letter && !digit && special:
		return invalid(field, "password.no_digit")
	case letter && digit && !special:
		return invalid(field, "password.no_special")
	case !letter || !digit || !special:
		return invalid(field, "password.classes")
	}
	if loginName != "" {
		lp, ln := strings.ToLower(pw), strings.ToLower(loginName)
		if strings.Contains(lp, ln) || strings.Contains(lp, reverse(ln)) {
			return invalid(field, "password.contains_login")
		}
	}
	return nil
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
