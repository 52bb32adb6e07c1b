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

// readXLSX reads the first sheet of a workbook.
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
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Result{}, ErrNoHeader
	}
	sheet := sheets[0]
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
		isNumber := func() (bool, error) {
			cell, err := excelize.CoordinatesToCellName(b.codeCol+1, n)
			if err != nil {
				return false, err
			}
			t, err := f.GetCellType(sheet, cell)
			if err != nil {
				return false, fmt.Errorf("catalogfile: xlsx cell %s: %w", cell, err)
			}
			// A cell without a type attribute is a number (the default
			// that Excel relies on); GetCellType calls that Unset.
			return t == excelize.CellTypeNumber || t == excelize.CellTypeUnset, nil
		}
		if err := b.add(n, cells, isNumber); err != nil {
			return Result{}, err
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return Result{}, fmt.Errorf("%w: %w", ErrTooManyRows, err)
		}
		return Result{}, fmt.Errorf("catalogfile: xlsx sheet %q: %w", sheet, err)
	}
	if !b.header {
		return Result{}, ErrNoHeader
	}
	return b.res, nil
}
