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

// readCSV reads a comma-separated file: UTF-8, or GBK (GB18030) when the
// bytes are not valid UTF-8.
func readCSV(data []byte) (Result, error) {
	switch {
	case hasPrefix(data, "PK\x03\x04"):
		return Result{}, fmt.Errorf("%w: this is an Excel workbook named .csv; name it .xlsx", ErrUnsupportedFormat)
	case hasPrefix(data, "\xff\xfe", "\xfe\xff"):
		return Result{}, fmt.Errorf("%w: UTF-16 text; save it as CSV (UTF-8 or the default Chinese encoding)", ErrUnsupportedFormat)
	}
	data, err := decodeCSV(data)
	if err != nil {
		return Result{}, err
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
	return b.finish()
}

// decodeCSV returns the text of a CSV file as UTF-8, without a byte order
// mark. Text that is not UTF-8 is taken for GBK, which a Chinese Excel
// writes, unless nearly all its non-ASCII bytes are good UTF-8: that is a
// damaged UTF-8 file, which GBK would turn into wrong but plausible
// characters.
func decodeCSV(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if utf8.Valid(data) {
		return data, nil
	}
	good, bad, line, badLine := 0, 0, 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if bad++; badLine == 0 {
				badLine = line
			}
		case size > 1:
			good += size
		case r == '\n':
			line++
		}
		i += size
	}
	if good > 19*bad {
		return nil, fmt.Errorf("%w: the CSV is UTF-8 but for %d bytes (the first in line %d); save it again as UTF-8", ErrEncoding, bad, badLine)
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: the CSV is neither UTF-8 nor GBK: %w", ErrEncoding, err)
	}
	return text, nil
}
