package catalogfile

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/regbot/regbot/domain"
)

// cleanCell removes what copying and spreadsheets add to a cell's text:
// surrounding spaces (any width), zero-width spaces, word joiners and byte
// order marks, and one leading apostrophe, the mark with which a
// spreadsheet keeps "'=1+2" or "'915001…" as text.
func cleanCell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\u200b' || r == '\u2060' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "'"); ok {
		s = strings.TrimSpace(rest)
	}
	return s
}

// isFormula reports whether a spreadsheet would take s as a formula: it
// starts with =, +, - or @.
func isFormula(s string) bool {
	return s != "" && strings.ContainsRune("=+-@", rune(s[0]))
}

// collapseSpaces turns each run of spaces (of any width, but not line
// breaks or tabs: those are refused as control characters) into one ASCII
// space, and drops it where it stands between two wide characters:
// "重庆　某某 （集团）  有限公司" becomes "重庆某某（集团）有限公司", since a
// Chinese name has no spaces, while "ABC  Tech" becomes "ABC Tech".
func collapseSpaces(s string) string {
	isSpace := func(r rune) bool { return unicode.IsSpace(r) && !unicode.IsControl(r) }
	wide := func(r rune) bool {
		k := width.LookupRune(r).Kind()
		return k == width.EastAsianWide || k == width.EastAsianFullwidth
	}
	var b strings.Builder
	var prev rune // the last rune written
	space := false
	for _, r := range s {
		if isSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 && !(wide(prev) && wide(r)) {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// readName turns a name cell into the name to store, or says why the row is
// refused. shown is the cell as the report shows it.
func readName(raw string, info cellInfo) (name, shown, reason string) {
	shown = cleanCell(raw)
	switch {
	case info.err:
		return "", shown, fmt.Sprintf("the name cell holds an error value (%s)", shown)
	case info.formula != "" && shown == "":
		return "", "=" + info.formula, reasonNameFormulaNoValue
	}
	s := collapseSpaces(shown)
	if s == "" {
		return "", shown, reasonMissingName
	}
	if isFormula(s) {
		return "", shown, reasonNameFormula
	}
	letters := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "", shown, reasonNameUndecodable
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Bidi_Control, r),
			unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
			return "", shown, reasonNameControl
		case unicode.IsLetter(r):
			letters = true
		}
	}
	if !letters {
		return "", shown, reasonNameNoLetters
	}
	if utf8.RuneCountInString(s) > maxNameLen {
		return "", shown, reasonNameTooLong
	}
	// What the applicant's flow will accept as a name, in its form.
	name, err := domain.ParseText(domain.FieldEnterpriseName, s, maxNameLen)
	if err != nil {
		return "", shown, fmt.Sprintf("%s (%s)", reasonNameInvalid, domain.ErrorReason(err))
	}
	return name, shown, ""
}

// noCode holds what lists write in the code column of an enterprise that
// has no code, after cleaning and upper-casing.
var noCode = map[string]bool{
	"无": true, "暂无": true, "空": true, "N/A": true, "NA": true, "NULL": true, "NONE": true,
}

// readCode turns a credit-code cell into a normalised code ("" for none),
// flagged when it fails only its check character, or says why the row is
// refused.
func readCode(raw string, info cellInfo) (code string, flagged bool, reason string) {
	switch {
	case info.err:
		return "", false, fmt.Sprintf("the credit code cell holds an error value (%s)", displayText(cleanCell(raw), 20))
	case info.formula != "" && cleanCell(raw) == "":
		return "", false, reasonCodeFormulaNoValue
	}
	s := width.Narrow.String(cleanCell(raw))
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s))
	if s == "" || noCode[s] || strings.Trim(s, "-/\\—–") == "" {
		return "", false, ""
	}
	if info.number {
		return "", false, reasonCodeNumber
	}
	if isFormula(s) {
		return "", false, reasonCodeFormula
	}
	return parseCode(s)
}

// sciNotation matches what a spreadsheet shows for a long number, e.g.
// 9.15001E+17.
var sciNotation = regexp.MustCompile(`^[0-9](\.[0-9]+)?E\+?[0-9]+$`)

// parseCode validates a cleaned, narrowed, upper-case code.
func parseCode(s string) (code string, flagged bool, reason string) {
	shown := displayText(s, 24)
	if sciNotation.MatchString(s) {
		return "", false, fmt.Sprintf("credit code %s is in scientific notation: Excel turned it into a number and lost digits; format the column as text and enter the code again", shown)
	}
	code, err := domain.ParseCreditCode(s)
	switch n := utf8.RuneCountInString(s); {
	case err == nil:
		return code, false, ""
	case domain.ErrorReason(err) == domain.ReasonCreditCodeChecksum:
		if strings.HasSuffix(code, "000") && strings.Trim(code, "0123456789") == "" {
			// Excel keeps 15 significant digits: an all-digit code that
			// was a number cell once ends in zeros and fails its check.
			return "", false, fmt.Sprintf("credit code %s ends in 000 and fails its check character: Excel probably stored it as a number and lost its last digits; enter it again as text", shown)
		}
		return code, true, ""
	case n == 15 && strings.Trim(s, "0123456789") == "":
		return "", false, fmt.Sprintf("credit code %s has 15 digits: an old registration number, not a credit code", shown)
	case n != 18:
		return "", false, fmt.Sprintf("credit code %s has %d characters, not 18", shown, n)
	default:
		return "", false, fmt.Sprintf("credit code %s has characters a credit code cannot have (GB 32100: no I, O, S, V or Z; digits in places 3 to 8)", shown)
	}
}

// displayText makes s safe and short enough for one line of the report:
// control, invisible and bidi characters become U+FFFD, and more than max
// runes are cut with an ellipsis.
func displayText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) {
			return utf8.RuneError
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}
