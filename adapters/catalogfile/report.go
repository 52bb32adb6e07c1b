package catalogfile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/regbot/regbot/domain"
)

// Counts is what the store did with a Result's Entries.
type Counts struct {
	Added, Updated, Unchanged int
}

// Refuse moves the entries at the given indexes of Entries to Rejected,
// each with its reason: for rows the store would not take (a credit code it
// holds for another name).
func (r *Result) Refuse(reasons map[int]string) {
	if len(reasons) == 0 {
		return
	}
	var (
		entries []domain.CatalogEntry
		rows    []int
	)
	for i, e := range r.Entries {
		if reason, ok := reasons[i]; ok {
			r.Rejected = append(r.Rejected, Rejection{Row: r.row(i), Name: e.Name, Reason: reason})
			continue
		}
		entries, rows = append(entries, e), append(rows, r.row(i))
	}
	r.Entries, r.Rows = entries, rows
	slices.SortStableFunc(r.Rejected, func(a, b Rejection) int { return cmp.Compare(a.Row, b.Row) })
}

// Summary reports an import for the operator. Its first line names the
// header found, a line names each sheet with a header that was not read,
// then comes one line per rejected or flagged row in row order, and
// the last line counts rows, entries added, updated and unchanged, rows
// rejected and entries stored with a flag:
//
//	sheet "准入目录", header in row 3: name column 企业名称, credit code column 统一社会信用代码
//	row 5 rejected: 重庆某某有限公司 — duplicate name (first at row 4)
//	row 6 flagged: 重庆早期登记有限公司 — credit code 91500103000000000N fails its check character …
//	rows: 4, added: 2, updated: 0, unchanged: 1, rejected: 1, flagged: 1
func (r Result) Summary(c Counts) string {
	var b strings.Builder
	if r.HeaderRow > 0 {
		if r.Sheet != "" {
			fmt.Fprintf(&b, "sheet %q, ", displayText(r.Sheet, 40))
		}
		fmt.Fprintf(&b, "header in row %d: name column %s, ", r.HeaderRow, displayText(r.NameHeader, 40))
		if r.CodeHeader != "" {
			fmt.Fprintf(&b, "credit code column %s\n", displayText(r.CodeHeader, 40))
		} else {
			b.WriteString("no credit code column\n")
		}
	}
	for _, sheet := range r.Unread {
		fmt.Fprintf(&b, "sheet %q not read: only the first list of a workbook is imported; save that sheet as a file of its own to import it\n", displayText(sheet, 40))
	}
	type line struct {
		row  int
		text string
	}
	var lines []line
	note := func(row int, kind, name, reason string) {
		s := fmt.Sprintf("row %d %s: ", row, kind)
		if name != "" {
			s += displayText(name, 40) + " — "
		}
		lines = append(lines, line{row, s + displayText(reason, 400)})
	}
	for _, rej := range r.Rejected {
		note(rej.Row, "rejected", rej.Name, rej.Reason)
	}
	flagged := 0
	for i, e := range r.Entries {
		if e.CreditCodeFlagged {
			flagged++
			note(r.row(i), "flagged", e.Name, "credit code "+e.CreditCode+" "+reasonFlagged)
		}
	}
	slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.row, b.row) })
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "rows: %d, added: %d, updated: %d, unchanged: %d, rejected: %d, flagged: %d",
		len(r.Entries)+len(r.Rejected), c.Added, c.Updated, c.Unchanged, len(r.Rejected), flagged)
	return b.String()
}

// row returns the row of Entries[i], or 0 if Rows does not say.
func (r Result) row(i int) int {
	if i < len(r.Rows) {
		return r.Rows[i]
	}
	return 0
}
