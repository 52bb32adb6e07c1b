package catalogfile

import (
	"fmt"
	"strings"

	"github.com/regbot/regbot/domain"
)

// cellInfo is what a format knows about a cell beyond the text it shows.
type cellInfo struct {
	formula string // the cell's formula, without "=", if it has one (XLSX)
	number  bool   // a number, or a formula whose value is one
	err     bool   // an error value such as #N/A, as a formula gives
}

// inspector describes the current row's cell in column col (0-based). CSV
// has none: its cells are text.
type inspector func(col int) (cellInfo, error)

// builder turns rows of cells into a Result. Rows are passed in sheet
// order with their 1-based row numbers.
type builder struct {
	nameCol, codeCol int            // codeCol < 0: no code column
	header           bool           // the header row has been seen
	above            int            // non-blank rows above the header so far
	firstRow         []string       // the first non-blank row, for an error
	rows             int            // data rows
	names            map[string]int // accepted name → its row
	codes            map[string]int // accepted code → index in res.Entries
	res              Result
}

func newBuilder() *builder {
	return &builder{codeCol: -1, names: map[string]int{}, codes: map[string]int{}}
}

// add takes one row. Rows above the header are looked at only to find it.
func (b *builder) add(row int, cells []string, inspect inspector) error {
	if !b.header {
		if blank(cells) {
			return nil
		}
		return b.findHeader(row, cells)
	}
	info := func(col int) (cellInfo, error) {
		if inspect == nil || col < 0 {
			return cellInfo{}, nil
		}
		return inspect(col)
	}
	nameInfo, err := info(b.nameCol)
	if err != nil {
		return err
	}
	// A formula whose value the file does not keep reads as an empty cell:
	// such a row is not blank.
	if blank(cells) && nameInfo.formula == "" {
		return nil
	}
	nameCell := cellAt(cells, b.nameCol)
	if isNameHeader(nameCell) {
		return nil // the header again, as on every page of a printed list
	}
	if b.rows++; b.rows > MaxRows {
		return fmt.Errorf("%w: more than %d", ErrTooManyRows, MaxRows)
	}
	name, shown, reason := readName(nameCell, nameInfo)
	reject := func(reason string) error {
		b.res.Rejected = append(b.res.Rejected, Rejection{Row: row, Name: shown, Reason: reason})
		return nil
	}
	if reason == reasonMissingName {
		var has []string
		for _, c := range cells {
			if c = strings.Join(strings.Fields(cleanCell(c)), " "); c != "" {
				has = append(has, displayText(c, 40))
			}
		}
		if has != nil {
			reason += " (the row has: " + strings.Join(has, " | ") + ")"
		}
	}
	if reason != "" {
		return reject(reason)
	}
	shown = name
	if first, ok := b.names[name]; ok {
		return reject(fmt.Sprintf("duplicate name (first at row %d)", first))
	}
	var (
		code    string
		flagged bool
	)
	if b.codeCol >= 0 {
		codeInfo, err := info(b.codeCol)
		if err != nil {
			return err
		}
		if code, flagged, reason = readCode(cellAt(cells, b.codeCol), codeInfo); reason != "" {
			return reject(reason)
		}
		if i, ok := b.codes[code]; ok && code != "" {
			return reject(fmt.Sprintf("credit code %s is also on row %d (%s)", code, b.res.Rows[i], b.res.Entries[i].Name))
		}
		if code != "" {
			b.codes[code] = len(b.res.Entries)
		}
	}
	b.names[name] = row
	b.res.Entries = append(b.res.Entries, domain.CatalogEntry{Name: name, CreditCode: code, CreditCodeFlagged: flagged})
	b.res.Rows = append(b.res.Rows, row)
	return nil
}

// findHeader takes a row above the data: the header if one of its cells
// names the enterprise column.
func (b *builder) findHeader(row int, cells []string) error {
	keys := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = headerKey(c)
	}
	b.nameCol = column(keys, nameHeaders)
	if b.nameCol < 0 {
		if b.firstRow == nil {
			for _, c := range cells {
				if c = strings.Join(strings.Fields(c), " "); c != "" {
					b.firstRow = append(b.firstRow, displayText(c, 40))
				}
			}
		}
		if b.above++; b.above >= headerSearchRows {
			return b.noHeader()
		}
		return nil
	}
	b.header = true
	b.codeCol = column(keys, codeHeaders)
	b.res.HeaderRow = row
	b.res.NameHeader = strings.Join(strings.Fields(cells[b.nameCol]), "")
	if b.codeCol >= 0 {
		b.res.CodeHeader = strings.Join(strings.Fields(cells[b.codeCol]), "")
	}
	return nil
}

// finish returns what the rows gave, or why they gave nothing.
func (b *builder) finish() (Result, error) {
	switch {
	case b.header:
		return b.res, nil
	case b.firstRow == nil:
		return Result{}, ErrNoHeader
	default:
		return Result{}, b.noHeader()
	}
}

func (b *builder) noHeader() error {
	return fmt.Errorf("%w: no row among the first %d non-blank ones has a cell %s; the first row has: %s",
		ErrNoNameColumn, headerSearchRows, strings.Join(nameHeaders, " or "), strings.Join(b.firstRow, " | "))
}

// blank reports whether every cell is empty or spaces.
func blank(cells []string) bool {
	for _, c := range cells {
		if cleanCell(c) != "" {
			return false
		}
	}
	return true
}

// cellAt returns cells[i], or "" past the end of a short row.
func cellAt(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return cells[i]
	}
	return ""
}
