package domain

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	mobileRE   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	postcodeRE = regexp.MustCompile(`^[1-9]\d{5}$`)
	landlineRE = regexp.MustCompile(`^0\d{2,3}-?\d{7,8}(-\d{1,6})?$`)
	capitalRE  = regexp.MustCompile(`^([1-9]\d{0,11}|0)(\.\d{1,4})?$`)
	digitsRE   = regexp.MustCompile(`^\d{8,16}$`)
	bankAcctRE = regexp.MustCompile(`^\d{6,32}$`)
)

// ParseMobile accepts a mainland mobile number, with an optional +86/0086
// prefix, spaces or hyphens, and returns its 11 digits.
func ParseMobile(s string) (string, error) {
	s = stripSeparators(s)
	s = strings.TrimPrefix(s, "+86")
	s = strings.TrimPrefix(s, "0086")
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	if !mobileRE.MatchString(s) {
		return "", invalid(FieldMobile, "mobile.format")
	}
	return s, nil
}

// ParseLandline accepts an office phone or fax number such as 023-63001234;
// field is the one it answers (FieldLandline or FieldFax).
func ParseLandline(field Field, s string) (string, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if !landlineRE.MatchString(s) {
		return "", invalid(field, "landline.format")
	}
	return s, nil
}

// ParseEmail accepts a plain address (no display name), at most 254 bytes.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", invalid(FieldEmail, "email.format")
	}
	return s, nil
}

// ParsePostcode accepts a six-digit postal code not starting with 0.
func ParsePostcode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !postcodeRE.MatchString(s) {
		return "", invalid(FieldPostcode, "postcode.format")
	}
	return s, nil
}

// ParseText accepts free text of 1..max characters without control
// characters, trimmed; field names the error.
func ParseText(field Field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 || !utf8.ValidString(s) {
		return "", invalid(field, "text.empty")
	}
	if n > max {
		return "", invalid(field, "text.too_long")
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return "", invalid(field, "text.control")
		}
	}
	return s, nil
}

// isBidiControl reports the invisible bidirectional formatting characters
// (LRM, RLM, ALM, embeddings, overrides, isolates) that can make text display
// differently from what it contains.
func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// ParsePersonName accepts 2–30 Chinese characters (a middle dot allowed), or
// a Latin name of letters, spaces and hyphens.
func ParsePersonName(field Field, s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 30 {
		return "", invalid(field, "name.length")
	}
	han, latin := true, true
	for _, r := range s {
		if !(unicode.Is(unicode.Han, r) || r == '·') {
			han = false
		}
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ' || r == '-') {
			latin = false
		}
	}
	// Separators only between letters: "··" or "- -" is no name.
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if !han && !latin || isNameSeparator(first) || isNameSeparator(last) {
		return "", invalid(field, "name.chars")
	}
	return s, nil
}

func isNameSeparator(r rune) bool { return r == '·' || r == ' ' || r == '-' }

// ParseCapital accepts registered capital in 万元: a non-negative decimal
// with up to 12 integer and 4 fractional digits.
func ParseCapital(s string) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "万元"), "万")
	s = strings.TrimSpace(s) // "100 万元"
	if !capitalRE.MatchString(s) {
		return "", invalid(FieldRegisteredCapital, "capital.format")
	}
	return s, nil
}

// dateSeparators turns the separators ParseDate accepts into '-'. A
// Replacer builds its tables on first use: one for all calls.
var dateSeparators = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")

// ParseDate accepts YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD, YYYY.MM.DD).
func ParseDate(field Field, s string) (time.Time, error) {
	s = dateSeparators.Replace(strings.TrimSpace(s))
	for _, layout := range []string{"2006-01-02", "2006-1-2", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 && t.Year() <= 2200 {
			return t, nil
		}
	}
	return time.Time{}, invalid(field, "date.format")
}

// ParseAccountNumber accepts a marketing account number (营销户号): 8–16
// digits. No public format or check digit is known (facts.md §2.3).
func ParseAccountNumber(s string) (string, error) {
	s = stripSeparators(s)
	if !digitsRE.MatchString(s) {
		return "", invalid(FieldAccountNumber, "account.format")
	}
	return s, nil
}

// ParseBankAccount accepts a bank account number of 6–32 digits.
func ParseBankAccount(s string) (string, error) {
	s = stripSeparators(s)
	if !bankAcctRE.MatchString(s) {
		return "", invalid(FieldBankAccountNumber, "bankaccount.format")
	}
	return s, nil
}

var separators = strings.NewReplacer(" ", "", "-", "", "\u00a0", "")

func stripSeparators(s string) string {
	return separators.Replace(strings.TrimSpace(s))
}
