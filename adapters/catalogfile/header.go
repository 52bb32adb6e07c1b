package catalogfile

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Header texts, in order of preference, as headerKey leaves them.
var (
	nameHeaders = []string{"企业名称", "企业全称", "单位名称", "单位全称", "用户名称", "公司名称", "名称", "name"}
	codeHeaders = []string{"统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码", "credit_code", "uscc"}
)

// headerSearchRows is how many non-blank rows may stand above the header:
// official lists put a title, a date or notes there.
const headerSearchRows = 20

// headerKey reduces a header cell to what is compared with the names
// above: the width normalised, lower case, without spaces or line breaks
// (headers wrap: "统一社会\n信用代码"), without a required-field star and
// without parenthesised remarks ("企业（单位）名称", "统一社会信用代码(18位)").
func headerKey(s string) string {
	s = strings.ToLower(width.Narrow.String(s))
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(' || r == '[' || r == '【':
			depth++
		case (r == ')' || r == ']' || r == '】') && depth > 0:
			depth--
		case depth > 0, unicode.IsSpace(r), unicode.Is(unicode.Cf, r), r == '*', r == ':':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// column returns the index of the first key that is the most preferred of
// the candidates, or -1.
func column(keys, candidates []string) int {
	for _, want := range candidates {
		for i, k := range keys {
			if k == want {
				return i
			}
		}
	}
	return -1
}

// isNameHeader reports whether a data row's name cell repeats the header,
// as lists printed across pages do.
func isNameHeader(cell string) bool {
	k := headerKey(cell)
	for _, h := range nameHeaders {
		if k == h {
			return true
		}
	}
	return false
}
