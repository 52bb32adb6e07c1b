// Package catalogfile reads the access catalog (准入目录) that the 经信委
// publishes, as a CSV or XLSX file, into catalog entries ready for
// postgres.DB.ImportCatalog.
//
// The first non-blank row is the header. The name column is found by its
// header text (企业名称, 企业全称, 单位名称, 名称 or name) and the optional
// credit-code column likewise (统一社会信用代码, 信用代码, 社会信用代码,
// credit_code or uscc); other columns are ignored. A file without a name
// column is refused as a whole. Problems with single rows never fail the
// import: such rows are left out and reported as Rejections, so that an
// operator can fix them and import the file again (ImportCatalog upserts).
//
// Credit codes are normalised (upper case, no spaces, full-width characters
// made ASCII). A code whose format is right but whose check character is
// wrong is accepted, since some genuine early codes fail the check; the
// conversation flags it when a user confirms it.
package catalogfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/regbot/regbot/domain"
)

// Limits on what Read accepts.
const (
	MaxFileSize = 20 << 20 // bytes of the uploaded file
	MaxRows     = 100_000  // non-blank data rows, header excluded
	maxNameLen  = 100      // runes, as domain.ParseText counts them
)

// Errors that refuse a whole file; Read wraps them with details.
var (
	ErrUnsupportedFormat = errors.New("catalogfile: unsupported file type")
	ErrTooLarge          = errors.New("catalogfile: file too large")
	ErrTooManyRows       = errors.New("catalogfile: too many rows")
	ErrNoHeader          = errors.New("catalogfile: no header row")
	ErrNoNameColumn      = errors.New("catalogfile: no name column")
)

// Header texts, in order of preference. They are compared after trimming
// spaces and a byte order mark, case-insensitively.
var (
	nameHeaders = []string{"企业名称", "企业全称", "单位名称", "名称", "name"}
	codeHeaders = []string{"统一社会信用代码", "信用代码", "社会信用代码", "credit_code", "uscc"}
)

// Reasons given in Rejections.
const (
	reasonMissingName  = "missing name"
	reasonNameTooLong  = "name longer than 100 characters"
	reasonNameControl  = "name contains control characters (line breaks, tabs or invisible marks)"
	reasonNameInvalid  = "name is not valid text"
	reasonCodeLength   = "credit code: not 18 characters"
	reasonCodeChars    = "credit code: invalid characters"
	reasonCodeNumber   = "credit code stored as a number in Excel; format the column as text"
	reasonCodeSciNotat = "credit code in scientific notation (an Excel number); format the column as text"
)

// Result is what Read found in a file.
type Result struct {
	Entries  []domain.CatalogEntry // valid rows, in file order, names unique
	Rejected []Rejection           // rows left out, in file order
}

// Rejection is a row left out of Entries.
type Rejection struct {
	Row    int    // 1-based, as a person sees it in the sheet (the header is row 1)
	Name   string // the name as found, trimmed; may be empty
	Reason string // a short English reason for the operator
}

// Read parses an access-catalog file, choosing the format by the extension
// of name (.csv or .xlsx, in any case). It reads at most MaxFileSize bytes
// of r. It returns an error (wrapping one of the Err values above, or a
// parse error) only when the file as a whole cannot be used; bad rows end
// up in Result.Rejected.
//
// CSV files may be UTF-8 (with or without a byte order mark) or, when they
// are not valid UTF-8, GB18030 (what Excel on Chinese Windows writes). XLSX
// files are read from their first sheet; a credit code held in a number
// cell is rejected, because Excel has already rounded it to 15 digits.
func Read(r io.Reader, name string) (Result, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".csv" && ext != ".xlsx" {
		return Result{}, fmt.Errorf("%w %q: send the catalog as .csv or .xlsx", ErrUnsupportedFormat, ext)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return Result{}, fmt.Errorf("catalogfile: read %s: %w", ext, err)
	}
	if len(data) > MaxFileSize {
		return Result{}, fmt.Errorf("%w: larger than %d MiB", ErrTooLarge, MaxFileSize>>20)
	}
	if ext == ".csv" {
		return readCSV(data)
	}
	return readXLSX(data)
}

// Summary reports an import for the operator: counts on the first line,
// then one line per rejected row. added and updated are what
// ImportCatalog returned.
func (r Result) Summary(added, updated int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rows: %d, added: %d, updated: %d, rejected: %d",
		len(r.Entries)+len(r.Rejected), added, updated, len(r.Rejected))
	for _, rej := range r.Rejected {
		b.WriteString("\nrow ")
		b.WriteString(strconv.Itoa(rej.Row))
		b.WriteString(": ")
		if rej.Name != "" {
			b.WriteString(displayName(rej.Name))
			b.WriteString(" — ")
		}
		b.WriteString(rej.Reason)
	}
	return b.String()
}

// displayName makes a rejected name safe and short enough for one line of
// the summary: control and bidi characters become U+FFFD.
func displayName(s string) string {
	const max = 40
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return utf8.RuneError
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}

// builder turns rows of cells into a Result. Rows are passed in sheet
// order with their 1-based row numbers.
type builder struct {
	nameCol, codeCol int            // codeCol < 0: no code column
	header           bool           // the header row has been seen
	rows             int            // non-blank data rows
	first            map[string]int // accepted name → its row
	res              Result
}

func newBuilder() *builder {
	return &builder{codeCol: -1, first: map[string]int{}}
}

// blank reports whether every cell is empty or spaces.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// setHeader finds the columns in the header row.
func (b *builder) setHeader(row int, cells []string) error {
	norm := make([]string, len(cells))
	for i, c := range cells {
		norm[i] = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(c, "\ufeff", "")))
	}
	b.nameCol, b.codeCol = column(norm, nameHeaders), column(norm, codeHeaders)
	if b.nameCol < 0 {
		var found []string
		for _, c := range norm {
			if c != "" {
				found = append(found, displayName(c))
			}
		}
		return fmt.Errorf("%w: the header (row %d) has none of %s; it has %s", ErrNoNameColumn,
			row, strings.Join(nameHeaders, ", "), strings.Join(found, ", "))
	}
	b.header = true
	return nil
}

func column(header, candidates []string) int {
	for _, want := range candidates {
		for i, h := range header {
			if h == want {
				return i
			}
		}
	}
	return -1
}

// codeCell returns the code column's cell, or "".
func (b *builder) codeCell(cells []string) string {
	if b.codeCol >= 0 && b.codeCol < len(cells) {
		return cells[b.codeCol]
	}
	return ""
}

// add takes one row. The first non-blank row is the header. codeIsNumber
// reports whether the row's code cell holds a number rather than text; it
// is called only for rows with a non-blank code.
func (b *builder) add(row int, cells []string, codeIsNumber func() (bool, error)) error {
	if blank(cells) {
		return nil
	}
	if !b.header {
		return b.setHeader(row, cells)
	}
	if b.rows++; b.rows > MaxRows {
		return fmt.Errorf("%w: more than %d", ErrTooManyRows, MaxRows)
	}
	var rawName string
	if b.nameCol < len(cells) {
		rawName = cells[b.nameCol]
	}
	name := strings.TrimSpace(rawName)
	reject := func(reason string) error {
		b.res.Rejected = append(b.res.Rejected, Rejection{Row: row, Name: name, Reason: reason})
		return nil
	}
	if name == "" {
		return reject(reasonMissingName)
	}
	name, err := domain.ParseText(domain.FieldEnterpriseName, name, maxNameLen)
	if err != nil {
		name = strings.TrimSpace(rawName)
		switch domain.ErrorReason(err) {
		case "text.too_long":
			return reject(reasonNameTooLong)
		case "text.control":
			return reject(reasonNameControl)
		default:
			return reject(reasonNameInvalid)
		}
	}
	if first, ok := b.first[name]; ok {
		return reject(fmt.Sprintf("duplicate name (first at row %d)", first))
	}
	var code string
	if raw := strings.TrimSpace(b.codeCell(cells)); raw != "" {
		if codeIsNumber != nil {
			num, err := codeIsNumber()
			if err != nil {
				return err
			}
			if num {
				return reject(reasonCodeNumber)
			}
		}
		var reason string
		if code, reason = parseCode(raw); reason != "" {
			return reject(reason)
		}
	}
	b.first[name] = row
	b.res.Entries = append(b.res.Entries, domain.CatalogEntry{Name: name, CreditCode: code})
	return nil
}

// sciNotation matches what a spreadsheet shows for a long number, e.g.
// 9.15001E+17.
var sciNotation = regexp.MustCompile(`^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$`)

// parseCode normalises a non-blank credit code, or says why it is refused.
// A code failing only its checksum is accepted.
func parseCode(raw string) (code, reason string) {
	s := width.Narrow.String(raw) // full-width digits and letters, ideographic spaces
	code, err := domain.ParseCreditCode(s)
	if code != "" {
		return code, "" // valid, or failing only its check character
	}
	switch {
	case sciNotation.MatchString(strings.TrimSpace(s)):
		return "", reasonCodeSciNotat
	case domain.ErrorReason(err) == "creditcode.length":
		return "", reasonCodeLength
	default:
		return "", reasonCodeChars
	}
}

// hasPrefix reports whether data starts with any of the prefixes.
func hasPrefix(data []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(data, []byte(p)) {
			return true
		}
	}
	return false
}
