package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseLoginName checks a platform login name: 6–20 ASCII letters and digits.
// Uniqueness is checked by the repository, case-insensitively.
func ParseLoginName(s string) (string, error) {
	const field = FieldLoginName
	s = strings.TrimSpace(s)
	if n := len(s); n < 6 || n > 20 {
		if !isASCIIAlnum(s) {
			return "", invalid(field, "loginname.chars")
		}
		return "", invalid(field, "loginname.length")
	}
	if !isASCIIAlnum(s) {
		return "", invalid(field, "loginname.chars")
	}
	return s, nil
}

func isASCIIAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ParseUserName checks a platform user name: 1–33 Chinese characters.
func ParseUserName(s string) (string, error) {
	const field = FieldUserName
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 33 {
		return "", invalid(field, "username.length")
	}
	if !allHan(s) {
		return "", invalid(field, "username.chars")
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
func CheckPassword(pw, loginName string) error {
	const field = FieldPassword
	if n := len(pw); n < 8 || n > 20 || utf8.RuneCountInString(pw) != n {
		if utf8.RuneCountInString(pw) != len(pw) {
			return invalid(field, "password.chars")
		}
		return invalid(field, "password.length")
	}
	var letter, digit, special bool
	for i := 0; i < len(pw); i++ {
		c := pw[i]
		switch {
		case c <= ' ' || c > '~':
			return invalid(field, "password.chars")
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			special = true
		}
	}
	if !letter || !digit || !special {
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
