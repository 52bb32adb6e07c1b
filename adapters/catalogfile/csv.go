package catalogfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// readCSV reads a comma-separated file: UTF-8, or GB18030 when the bytes
// are not valid UTF-8.
func readCSV(data []byte) (Result, error) {
	switch {
	case hasPrefix(data, "PK\x03\x04"):
		return Result{}, fmt.Errorf("%w: this is an Excel workbook named .csv; name it .xlsx", ErrUnsupportedFormat)
	case hasPrefix(data, "\xff\xfe", "\xfe\xff"):
		return Result{}, fmt.Errorf("%w: UTF-16 text; save it as CSV (UTF-8 or the default Chinese encoding)", ErrUnsupportedFormat)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		var err error
		if data, err = simplifiedchinese.GB18030.NewDecoder().Bytes(data); err != nil {
			return Result{}, fmt.Errorf("catalogfile: csv is neither UTF-8 nor GB18030: %w", err)
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	b := newBuilder()
	// encoding/csv skips empty lines and lets quoted fields span lines; a
	// spreadsheet shows each empty line as a row and each record as one
	// row. Count rows from the lines between records.
	row, prevEnd := 0, 0 // prevEnd: last line of the previous record
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Result{}, fmt.Errorf("catalogfile: csv line %d: %w", pe.Line, pe.Err)
			}
			return Result{}, fmt.Errorf("catalogfile: csv: %w", err)
		}
		start, _ := cr.FieldPos(0)
		last, _ := cr.FieldPos(len(rec) - 1)
		row += start - prevEnd
		prevEnd = last + strings.Count(rec[len(rec)-1], "\n")
		if err := b.add(row, rec, nil); err != nil {
			return Result{}, err
		}
	}
	if !b.header {
		return Result{}, ErrNoHeader
	}
	return b.res, nil
}
