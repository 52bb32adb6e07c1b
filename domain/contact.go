package domain

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// isDigit reports an ASCII digit; the parsers read digits after normalize,
// so a full-width one is one too.
func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func allDigits(_ int, r rune) bool { return isDigit(r) }

// ParseMobile accepts a mainland mobile number, read asIdentifier (spaces
// and hyphens removed), with an optional +86, 0086 or 86 prefix, or (+86)
// in brackets, and returns its 11 digits.
func ParseMobile(s string) (string, error) {
	const field = FieldMobile
	s = normalize(s, asIdentifier)
	if s == "" {
		return "", empty(field)
	}
	for _, p := range []string{"(+86)", "(0086)", "(86)", "+86", "0086"} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "(+") || strings.HasPrefix(s, "00") && len(s) > 11 {
		return "", invalid(field, "mobile.country")
	}
	if r, pos := firstNot(s, allDigits); pos > 0 {
		return "", badCharAt(field, "mobile.char", r, pos)
	}
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	if len(s) != 11 {
		return "", badCount(field, "mobile.length", len(s))
	}
	if s[0] != '1' || s[1] < '3' {
		return "", invalid(field, "mobile.prefix")
	}
	return s, nil
}

// landlineSeparators are the ways people write an extension: 023-63001234
// 转 8001 (转, "put through to").
var landlineSeparators = strings.NewReplacer("分机", "-", "转", "-")

// ParseLandline accepts an office phone or fax number such as 023-63001234
// (also 02363001234, (023)63001234, 023 6300 1234, 023-6300-1234,
// 023-63001234-8001 or 023-63001234转8001), read asCode; field is the one
// it answers (FieldLandline or FieldFax). It returns the digits with the
// hyphens typed (an area code in brackets, 转 and 分机 become one), spaces
// removed.
func ParseLandline(field Field, s string) (string, error) {
	s = strings.ReplaceAll(normalize(landlineSeparators.Replace(s), asCode), " ", "")
	if s == "" {
		return "", empty(field)
	}
	if rest, ok := strings.CutPrefix(s, "("); ok {
		if area, number, ok := strings.Cut(rest, ")"); ok {
			s = area + "-" + strings.TrimPrefix(number, "-")
		}
	}
	if r, pos := firstNot(s, func(_ int, r rune) bool { return isDigit(r) || r == '-' }); pos > 0 {
		return "", badChar(field, "landline.char", r)
	}
	if d := strings.ReplaceAll(s, "-", ""); len(d) == 11 && d[0] == '1' {
		return "", invalid(field, "landline.mobile")
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || slices.Contains(parts[:len(parts)-1], "") {
		return "", invalid(field, "landline.format")
	}
	area, number, ext := parts[0], "", ""
	switch len(parts) {
	case 1: // no hyphen: 010 and 02x are the three-digit area codes, the others have four
		n := 4
		if strings.HasPrefix(s, "010") || strings.HasPrefix(s, "02") {
			n = 3
		}
		area, number = s[:min(n, len(s))], s[min(n, len(s)):]
	case 2:
		number = parts[1]
	case 3:
		number, ext = parts[1], parts[2]
		// 023-6300-1234 is a number written in two groups, not an extension.
		if n := len(number) + len(ext); len(number) < 7 && n >= 7 && n <= 8 {
			number, ext = number+ext, ""
			parts, s = parts[:2], area+"-"+number
		}
	}
	switch {
	case len(area) < 3 || len(area) > 4 || area[0] != '0':
		return "", invalid(field, "landline.area_code")
	case len(number) < 7 || len(number) > 8:
		return "", badCount(field, "landline.number_length", len(number))
	case len(parts) == 3 && (len(ext) < 1 || len(ext) > 6):
		return "", invalid(field, "landline.extension")
	}
	return s, nil
}

// ParseEmail accepts a plain address (no display name), at most 254 bytes,
// read asCode: ＠ is @, and 。 and ． are full stops, as a Chinese IME types
// them.
func ParseEmail(s string) (string, error) {
	const field = FieldEmail
	s = normalize(s, asCode)
	if s == "" {
		return "", empty(field)
	}
	if strings.ContainsRune(s, ' ') {
		return "", invalid(field, "email.space")
	}
	at := strings.Count(s, "@")
	if at != 1 {
		return "", invalid(field, "email.at")
	}
	local, domain, _ := strings.Cut(s, "@")
	// Outside ASCII only letters, marks and digits, of an internationalised
	// address: not 、 or 《, which a Chinese IME types for \ and <.
	if r, pos := firstNot(s, func(_ int, r rune) bool {
		if r >= utf8.RuneSelf {
			return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)
		}
		return r > ' ' && r < 0x7f && !strings.ContainsRune(`"(),:;<>[\]`, r)
	}); pos > 0 {
		return "", badChar(field, "email.char", r)
	}
	switch {
	case local == "":
		return "", invalid(field, "email.local")
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return "", invalid(field, "email.domain")
	case len(s) > 254:
		return "", invalid(field, "email.too_long")
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return "", invalid(field, "email.format")
	}
	return s, nil
}

// ParsePostcode accepts a six-digit postal code not starting with 0 (the
// platform's rule), read asCode.
func ParsePostcode(s string) (string, error) {
	const field = FieldPostcode
	s = normalize(s, asCode)
	switch {
	case s == "":
		return "", empty(field)
	case strings.ContainsRune(s, ' '):
		return "", invalid(field, "postcode.space")
	}
	if r, pos := firstNot(s, allDigits); pos > 0 {
		return "", badChar(field, "postcode.char", r)
	}
	switch {
	case len(s) != 6:
		return "", badCount(field, "postcode.length", len(s))
	case s[0] == '0':
		return "", invalid(field, "postcode.leading_zero")
	}
	return s, nil
}

// ParseText accepts free text of 1..max characters, read asText, on one
// line and without control characters; field names the error.
func ParseText(field Field, s string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid(field, "text.encoding")
	}
	s = normalize(s, asText)
	if s == "" {
		return "", empty(field)
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029:
			return "", invalid(field, "text.newline")
		case unicode.IsControl(r) || isBidiControl(r):
			return "", invalid(field, "text.control")
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", invalidWith(field, "text.too_long", "Max", strconv.Itoa(max), "Count", strconv.Itoa(n))
	}
	return s, nil
}

// isBidiControl reports the invisible bidirectional formatting characters
// (LRM, RLM, ALM, embeddings, overrides, isolates) that can make text display
// differently from what it contains.
func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// nameDots are the dots people type between the parts of a name such as
// 买买提·艾力, for the middle dot U+00B7 that the ID card prints: the
// katakana middle dot of some IMEs, bullets, the hyphenation point, and
// their half-width and operator look-alikes.
var nameDots = strings.NewReplacer(
	"\u30fb", "·", // ・ katakana middle dot
	"\uff65", "·", // ･ half-width katakana middle dot
	"\u2022", "·", // • bullet
	"\u2027", "·", // ‧ hyphenation point
	"\u22c5", "·", // ⋅ dot operator
	"\u2219", "·", // ∙ bullet operator
	"\u0387", "·", // · Greek ano teleia
)

// ParsePersonName accepts 2–30 Chinese characters (a middle dot · allowed
// between them), or a Latin name of letters, spaces and hyphens, read
// asText. Spaces inside a Chinese name are removed (张 三 is 张三). Emoji
// are refused first, as such (name.emoji).
func ParsePersonName(field Field, s string) (string, error) {
	s = nameDots.Replace(normalize(s, asText))
	if s == "" {
		return "", empty(field)
	}
	if err := badEmoji(field, "name.emoji", s); err != nil {
		return "", err
	}
	isHan := func(r rune) bool { return unicode.Is(unicode.Han, r) || r == '·' }
	isLatin := func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ' || r == '-' }
	if c := strings.ReplaceAll(s, " ", ""); strings.IndexFunc(c, func(r rune) bool { return !isHan(r) }) < 0 {
		s = c
	}
	han, latin := true, true
	for _, r := range s {
		han = han && isHan(r)
		latin = latin && isLatin(r)
	}
	if !han && !latin {
		r, _ := firstNot(s, func(_ int, r rune) bool { return isHan(r) || isLatin(r) })
		if r == 0 {
			return "", invalid(field, "name.mixed")
		}
		return "", badChar(field, "name.char", r)
	}
	// Separators only between letters: "··" or "- -" is no name.
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if isNameSeparator(first) || isNameSeparator(last) {
		return "", invalid(field, "name.separator")
	}
	if n := utf8.RuneCountInString(s); n < 2 || n > 30 {
		return "", badCount(field, "name.length", n)
	}
	return s, nil
}

func isNameSeparator(r rune) bool { return r == '·' || r == ' ' || r == '-' }

// capitalAffixes are what people copy around the amount from a licence
// (注册资本 人民币500万元整): the currency and 整 go, 万 or 万元 is the unit
// asked for.
var capitalAffixes = []string{"人民币", "RMB", "¥", "万元", "万", "整"}

// ParseCapital accepts registered capital in 万元: a non-negative decimal
// with up to 12 integer and 4 fractional digits, read asCode (，and ．
// are , and .), with digit-grouping commas and spaces and the currency
// removed.
func ParseCapital(s string) (string, error) {
	const field = FieldRegisteredCapital
	s = strings.NewReplacer(",", "", " ", "").Replace(normalize(s, asCode))
	for trimmed := true; trimmed; {
		trimmed = false
		for _, a := range capitalAffixes {
			if t := strings.TrimSuffix(strings.TrimPrefix(s, a), a); t != s {
				s, trimmed = t, true
			}
		}
	}
	if s == "" {
		return "", empty(field)
	}
	if strings.ContainsAny(s, "元亿") {
		return "", invalid(field, "capital.unit") // 元, 亿元, 美元: not 万元
	}
	if r, pos := firstNot(s, func(_ int, r rune) bool { return isDigit(r) || r == '.' }); pos > 0 {
		return "", badChar(field, "capital.char", r)
	}
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case whole == "" || dot && frac == "" || strings.Contains(frac, ".") || len(whole) > 1 && whole[0] == '0':
		return "", invalid(field, "capital.format")
	case len(whole) > 12:
		return "", invalid(field, "capital.too_large")
	case len(frac) > 4:
		return "", invalid(field, "capital.decimals")
	}
	return s, nil
}

// dateSeparators turns the separators ParseDate accepts into '-': / . and
// 年 月 between the numbers, 日 or 号 after the day. A Replacer builds its
// tables on first use: one for all calls.
var dateSeparators = strings.NewReplacer("/", "-", ".", "-", " ", "-", "年", "-", "月", "-", "日", "", "号", "")

// ParseDate accepts a date as year, month and day, read asCode:
// 2010-05-20, 2010-5-20, 2010/5/20, 2010.5.20, 20100520, 2010年5月20日,
// ２０１０－０５－２０. A day-month-year order (20/05/2010) is refused
// (date.order), as are a year that is not four digits from 1900 to 2200
// (date.year), a month outside 1–12 (date.month, {{.Month}}) and a day the
// month does not have (date.day, {{.Year}}, {{.Month}}, {{.Day}}).
func ParseDate(field Field, s string) (time.Time, error) {
	s = normalize(s, asCode)
	if s == "" {
		return time.Time{}, empty(field)
	}
	s = dateSeparators.Replace(s)
	var parts []string
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		parts = []string{s[:4], s[4:6], s[6:]}
	} else {
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == '-' })
	}
	if len(parts) != 3 || strings.Trim(strings.Join(parts, ""), "0123456789") != "" {
		return time.Time{}, invalid(field, "date.format")
	}
	for _, p := range parts {
		if len(p) > 4 {
			return time.Time{}, invalid(field, "date.format")
		}
	}
	if len(parts[0]) <= 2 && len(parts[2]) == 4 {
		return time.Time{}, invalid(field, "date.order")
	}
	y, _ := strconv.Atoi(parts[0])
	m, _ := strconv.Atoi(parts[1])
	d, _ := strconv.Atoi(parts[2])
	switch {
	case len(parts[0]) != 4 || y < 1900 || y > 2200:
		return time.Time{}, invalid(field, "date.year")
	case m < 1 || m > 12:
		return time.Time{}, invalidWith(field, "date.month", "Month", strconv.Itoa(m))
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || t.Day() != d {
		return time.Time{}, invalidWith(field, "date.day", "Year", strconv.Itoa(y), "Month", strconv.Itoa(m), "Day", strconv.Itoa(d))
	}
	return t, nil
}

// ParseAccountNumber accepts a marketing account number (营销户号): 8–16
// digits, read asIdentifier. No public format or check digit is known
// (facts.md §2.3).
func ParseAccountNumber(s string) (string, error) {
	return parseDigits(FieldAccountNumber, s, 8, 16, "account.char", "account.length")
}

// ParseBankAccount accepts a bank account number of 6–32 digits, read
// asIdentifier.
func ParseBankAccount(s string) (string, error) {
	return parseDigits(FieldBankAccountNumber, s, 6, 32, "bankaccount.char", "bankaccount.length")
}

// parseDigits reads a number of min..max digits, refused with reason
// charReason ({{.Char}}, {{.Pos}}) or lengthReason ({{.Count}}).
func parseDigits(field Field, s string, min, max int, charReason, lengthReason string) (string, error) {
	s = normalize(s, asIdentifier)
	if s == "" {
		return "", empty(field)
	}
	if r, pos := firstNot(s, allDigits); pos > 0 {
		return "", badCharAt(field, charReason, r, pos)
	}
	if n := len(s); n < min || n > max {
		return "", badCount(field, lengthReason, n)
	}
	return s, nil
}
