package catalogfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Unzipped-size limits for XLSX files. A worksheet part larger than
// xlsxXMLLimit is unpacked to a temporary file instead of memory.
const (
	xlsxUnzipLimit = 64 << 20
	xlsxXMLLimit   = 16 << 20
)

// readXLSX reads the first visible sheet of a workbook that has a header.
func readXLSX(data []byte) (res Result, err error) {
	if hasPrefix(data, "\xd0\xcf\x11\xe0") {
		// OLE container: an .xls workbook renamed, or a password-protected one.
		return Result{}, fmt.Errorf("%w: an old-style .xls or password-protected workbook; save it as .xlsx without a password", ErrUnsupportedFormat)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    xlsxUnzipLimit,
		UnzipXMLSizeLimit: xlsxXMLLimit,
	})
	if err != nil {
		// excelize has no sentinel for its unzip limit, only this text.
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return Result{}, fmt.Errorf("%w: more than %d MiB unpacked", ErrTooLarge, xlsxUnzipLimit>>20)
		}
		return Result{}, fmt.Errorf("catalogfile: open xlsx: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("catalogfile: close xlsx: %w", cerr)
		}
	}()
	// The first visible sheet with a header: a workbook may open with a
	// cover or an explanation. Later sheets are not read (one may list the
	// enterprises leaving the catalog), but the report names those with a
	// header.
	var (
		first error
		found bool
	)
	for _, sheet := range f.GetSheetList() {
		if visible, err := f.GetSheetVisible(sheet); err == nil && !visible {
			continue
		}
		if found {
			if ok, err := sheetHasHeader(f, sheet); err != nil {
				return Result{}, err
			} else if ok {
				res.Unread = append(res.Unread, sheet)
			}
			continue
		}
		r, err := readSheet(f, sheet)
		if errors.Is(err, ErrNoHeader) || errors.Is(err, ErrNoNameColumn) {
			if first == nil || errors.Is(first, ErrNoHeader) {
				first = fmt.Errorf("sheet %q: %w", sheet, err)
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		res, found = r, true
	}
	switch {
	case found:
		return res, nil
	case first == nil:
		return Result{}, ErrNoHeader
	default:
		return Result{}, first
	}
}

// sheetHasHeader reports whether a sheet has a header in its first rows.
func sheetHasHeader(f *excelize.File, sheet string) (bool, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return false, fmt.Errorf("catalogfile: xlsx sheet %q: %w", sheet, err)
	}
	defer rows.Close()
	b := newBuilder()
	for n := 1; rows.Next() && !b.header; n++ {
		cells, err := rows.Columns()
		if err != nil {
			return false, fmt.Errorf("catalogfile: xlsx sheet %q row %d: %w", sheet, n, err)
		}
		if err := b.add(n, cells, nil); errors.Is(err, ErrNoNameColumn) {
			return false, nil
		}
	}
	return b.header, nil
}

// readSheet reads one sheet. It stops early, with an error wrapping
// ErrNoNameColumn, when no header is found in the first rows.
func readSheet(f *excelize.File, sheet string) (Result, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return Result{}, fmt.Errorf("catalogfile: xlsx sheet %q: %w", sheet, err)
	}
	defer rows.Close()
	b := newBuilder()
	// Rows yields every row number in turn, empty rows included, so n is
	// the row number Excel shows.
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return Result{}, fmt.Errorf("catalogfile: xlsx row %d: %w", n, err)
		}
		inspect := func(col int) (cellInfo, error) {
			ref, err := excelize.CoordinatesToCellName(col+1, n)
			if err != nil {
				return cellInfo{}, err
			}
			var info cellInfo
			if info.formula, err = f.GetCellFormula(sheet, ref); err != nil {
				return cellInfo{}, fmt.Errorf("catalogfile: xlsx cell %s: %w", ref, err)
			}
			t, err := f.GetCellType(sheet, ref)
			if err != nil {
				return cellInfo{}, fmt.Errorf("catalogfile: xlsx cell %s: %w", ref, err)
			}
			switch t {
			case excelize.CellTypeNumber, excelize.CellTypeUnset:
				// A cell without a type attribute is a number (the default
				// that Excel relies on), and so is a formula's value
				// without one; GetCellType calls that Unset.
				info.number = true
			case excelize.CellTypeError:
				info.err = true
			}
			return info, nil
		}
		if err := b.add(n, cells, inspect); err != nil {
			return Result{}, err
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return Result{}, fmt.Errorf("%w: %w", ErrTooManyRows, err)
		}
		return Result{}, fmt.Errorf("catalogfile: xlsx sheet %q: %w", sheet, err)
	}
	res, err := b.finish()
	res.Sheet = sheet
	return res, err
}
