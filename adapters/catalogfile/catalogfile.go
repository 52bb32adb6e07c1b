// Package catalogfile reads the access catalog (准入目录) that the 经信委
// publishes, as a CSV or XLSX file, into catalog entries ready for
// postgres.DB.ImportCatalogReport, and writes the operator's report.
//
// The header row is the first row, among the first 20 non-blank ones, with
// a cell naming the enterprise column (企业名称, 企业全称, 单位名称,
// 单位全称, 用户名称, 公司名称, 名称 or name, in that order of preference);
// official lists put a merged title, a date or notes above it. The optional
// credit-code column is found in the same row (统一社会信用代码,
// 社会信用代码, 信用代码, 统一信用代码, credit_code or uscc). Header cells
// are compared without spaces, line breaks, a required-field star or
// remarks in brackets, so "企业（单位）名称" and "统一社会\n信用代码(18位)"
// match; other columns (序号, 备注, …) are ignored. A workbook's first
// visible sheet with a header is read (a later one may list enterprises
// leaving the catalog); the report names the other sheets with a header.
// A file without one is refused as a whole. Problems with single rows never fail the import: such rows are
// left out and reported as Rejections, so that an operator can fix them and
// import the file again.
//
// What the catalog says about an enterprise must be true, so:
//
//   - A name is never a formula. An XLSX formula cell (=HYPERLINK("…",
//     "重庆某某公司")) gives the value the file saved for it; one without a
//     saved value, a formula error, and any name that a spreadsheet would
//     take for a formula (=, +, - or @ first: all of CSV's, which keeps no
//     values) are rejected. A leading apostrophe, a spreadsheet's mark for
//     text, is removed first.
//   - Names are trimmed, and runs of spaces (of any width) become one space,
//     or none between two Chinese characters. Line breaks, control and
//     invisible characters, and text that could not be decoded are
//     rejected.
//   - Credit codes are normalised (upper case, no spaces, full-width
//     characters made ASCII); the code column may say 无 or - for none. A
//     code in a number cell, or written in scientific notation (9.15001E+17),
//     has lost digits to Excel and is rejected, as are codes of the wrong
//     length or characters. A code failing only its check character is kept
//     and flagged (CreditCodeFlagged): some early genuine codes fail it, so
//     rejecting would keep listed enterprises out of the catalog, and the
//     flag lets the applicant and the reviewers see that it is doubtful.
//   - Names are unique and so are codes: a later row repeating either is
//     rejected with the row it repeats.
package catalogfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

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
	ErrEncoding          = errors.New("catalogfile: unknown text encoding")
)

// Reasons given in Rejections (others are built with the cell's text).
const (
	reasonMissingName        = "missing name"
	reasonNameTooLong        = "name longer than 100 characters"
	reasonNameControl        = "name contains control characters (line breaks, tabs or invisible marks)"
	reasonNameInvalid        = "name is not valid text"
	reasonNameUndecodable    = "name has characters that could not be decoded (save the CSV as UTF-8, or send the .xlsx)"
	reasonNameNoLetters      = "name has no letters (only digits or punctuation)"
	reasonNameFormula        = "name is a spreadsheet formula (it starts with =, +, - or @) and no value for it is saved: paste the column as values, or send the .xlsx"
	reasonNameFormulaNoValue = "the name cell is a formula and the file keeps no value for it: open and save the file in Excel, or paste the column as values"
	reasonCodeNumber         = "credit code stored as a number in Excel, which lost its last digits; format the column as text and enter the code again"
	reasonCodeFormula        = "credit code is a spreadsheet formula (it starts with =, +, - or @): enter the code as text"
	reasonCodeFormulaNoValue = "the credit code cell is a formula and the file keeps no value for it: open and save the file in Excel, or paste the column as values"
	reasonFlagged            = "fails its check character (GB 32100): stored with a flag that the applicant and the reviewers see; check it against the business licence"
)

// Result is what Read found in a file.
type Result struct {
	Entries  []domain.CatalogEntry // rows to import, in file order; names and codes unique
	Rows     []int                 // Rows[i] is the row of Entries[i]
	Rejected []Rejection           // rows left out, in row order

	Sheet      string   // the sheet read (XLSX)
	Unread     []string // later sheets with a header, not read
	HeaderRow  int
	NameHeader string // the header cells of the columns read, without spaces
	CodeHeader string // "": the file has no credit-code column
}

// Rejection is a row left out of Entries.
type Rejection struct {
	Row    int    // 1-based, as a person sees it in the sheet (rows above the header included)
	Name   string // the name (or formula) as found, trimmed; may be empty
	Reason string // a short English reason for the operator
}

// Read parses an access-catalog file, choosing the format by the extension
// of name (.csv or .xlsx, in any case). It reads at most MaxFileSize bytes
// of r. It returns an error (wrapping one of the Err values above, or a
// parse error) only when the file as a whole cannot be used; bad rows end
// up in Result.Rejected.
//
// CSV files may be UTF-8 (with or without a byte order mark) or, when they
// are not valid UTF-8, GBK/GB18030 (what Excel on Chinese Windows writes).
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

// hasPrefix reports whether data starts with any of the prefixes.
func hasPrefix(data []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(data, []byte(p)) {
			return true
		}
	}
	return false
}
