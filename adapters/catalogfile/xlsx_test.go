package catalogfile_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/regbot/regbot/adapters/catalogfile"
	"github.com/regbot/regbot/domain"
)

// cells maps a cell reference to its value, set with SetCellValue: strings
// become text cells, ints and floats number cells; a formula value sets a
// formula.
type cells map[string]any

// formula is a formula cell with the value that Excel saved for it (Value
// "" : none, as files written by programs that do not calculate have). Type
// is the cell's type for that value: "str" for text (the default), "n" for
// a number, "e" for an error.
type formula struct {
	Formula, Value, Type string
}

// sheet is one worksheet of a test workbook.
type sheet struct {
	Name   string
	Cells  cells
	Merge  []string // ranges such as "A1:E1"
	Hidden bool
}

// mustXLSX builds a workbook of the sheets, in order, as Excel saves one:
// formula cells keep the value Excel calculated. excelize writes formulas
// without values, so those are put into the sheet's XML afterwards.
func mustXLSX(t *testing.T, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	values := map[int]map[string]formula{} // sheet number → cell → formula
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.Name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(sh.Name); err != nil {
			t.Fatal(err)
		}
		for ref, v := range sh.Cells {
			var err error
			if fm, ok := v.(formula); ok {
				err = f.SetCellFormula(sh.Name, ref, fm.Formula)
				if values[i+1] == nil {
					values[i+1] = map[string]formula{}
				}
				values[i+1][ref] = fm
			} else {
				err = f.SetCellValue(sh.Name, ref, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range sh.Merge {
			from, to, _ := strings.Cut(r, ":")
			if err := f.MergeCell(sh.Name, from, to); err != nil {
				t.Fatal(err)
			}
		}
		if sh.Hidden {
			if err := f.SetSheetVisible(sh.Name, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return withFormulaValues(t, buf.Bytes(), values)
}

// withFormulaValues rewrites the worksheets of a workbook so that the given
// formula cells carry their saved values, as in
// <c r="B5" t="str"><f>HYPERLINK(…)</f><v>重庆某某公司</v></c>.
func withFormulaValues(t *testing.T, data []byte, values map[int]map[string]formula) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if _, err := fmt.Sscanf(zf.Name, "xl/worksheets/sheet%d.xml", &n); err == nil {
			for ref, fm := range values[n] {
				re := regexp.MustCompile(`<c r="` + ref + `"([^>]*?)( t="str")?>(<f>.*?</f>)</c>`)
				if !re.Match(content) {
					t.Fatalf("sheet %d: no formula cell %s in %s", n, ref, content)
				}
				if fm.Value == "" {
					continue
				}
				typ := map[string]string{"": ` t="str"`, "str": ` t="str"`, "n": "", "e": ` t="e"`}[fm.Type]
				content = re.ReplaceAll(content, []byte(`<c r="`+ref+`"$1`+typ+`>$3<v>`+html.EscapeString(fm.Value)+`</v></c>`))
			}
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustReadXLSX(t *testing.T, data []byte) catalogfile.Result {
	t.Helper()
	res, err := catalogfile.Read(bytes.NewReader(data), "准入目录.XLSX")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// An official list as the 经信委 publishes it: a merged title, a date and
// a blank row above a wrapped header, names as hyperlinks, codes typed into
// number cells, full-width text copied from elsewhere, and a second sheet.
func TestXLSXOfficialList(t *testing.T) {
	link := func(name string) formula {
		return formula{Formula: `HYPERLINK("http://www.cqjxw.gov.cn/qy?n=` + name + `","` + name + `")`, Value: name}
	}
	data := mustXLSX(t, sheet{
		Name:  "准入目录",
		Merge: []string{"A1:E1", "A2:E2"},
		Cells: cells{
			"A1": "重庆市经济和信息化委员会2024年第三批电力市场准入目录",
			"A2": "发布日期：2024年6月1日",
			// row 3 blank
			"A4": "序号", "B4": "企业名称", "C4": "统一社会\n信用代码", "D4": "所属区县", "E4": "备注",
			"A5": 1, "B5": link(nameA), "C5": codeA, "D5": "渝中区",
			"A6": 2, "B6": "\u3000" + nameB + " ", "C6": "９１５００１１２ｍａ０００００１５Ａ", // copied full width
			"A7": 3, "B7": nameC, "C7": codeDigits, // digits, but a text cell
			"A8": 4, "B8": "重庆数字有限公司", "C8": 915001192940021580, // int cell
			// row 9 empty
			"A10": 5, "B10": "重庆浮点有限公司", "C10": 9.15001e17, // what Excel stores for 9.15001E+17
			"A11": 6, "B11": formula{Formula: `HYPERLINK("http://x","重庆未计算有限公司")`}, // no saved value
			"A12": 7, "B12": formula{Formula: `VLOOKUP(A12,Sheet2!A:B,2,FALSE)`, Value: "#N/A", Type: "e"},
			"A13": 8, "B13": "=HYPERLINK(\"http://x\",\"重庆文本公式有限公司\")", // text that looks like a formula
			"A14": 9, "B14": nameChecked, "C14": codeBadSum,
			"A15": 10, "B15": "重庆文本代码有限公司", "C15": formula{Formula: `"91500113MA61E47D74"`, Value: "91500113MA61E47D74"},
			"A16": 11, "B16": "重庆数值公式有限公司", "C16": formula{Formula: `C8*1`, Value: "9.15001192940022E+17", Type: "n"},
			"A17": 12, "B17": "重庆重复代码有限公司", "C17": codeA,
			"A18": 13, "B18": nameA, "C18": codeB,
			"A19": 14, "B19": "重庆　江北　区某某有限公司", "C19": "无",
			"A20": 15, "B20": "重庆短码有限公司", "C20": 12345, // a number, whatever its length
			"A21": " ", // blank
			"A22": "注：以上企业排名不分先后",
		},
	}, sheet{
		Name:  "退出名单",
		Merge: []string{"A1:C1"},
		Cells: cells{"A1": "退出目录企业", "A2": "序号", "B2": "企业名称", "A3": 1, "B3": "重庆第二页有限公司"}, // not read
	})
	res := mustReadXLSX(t, data)
	wantEntries := []rowEntry{
		{5, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{6, domain.CatalogEntry{Name: nameB, CreditCode: codeB}},
		{7, domain.CatalogEntry{Name: nameC, CreditCode: codeDigits}},
		{14, domain.CatalogEntry{Name: nameChecked, CreditCode: codeBadSum, CreditCodeFlagged: true}},
		{15, domain.CatalogEntry{Name: "重庆文本代码有限公司", CreditCode: "91500113MA61E47D74"}},
		{19, domain.CatalogEntry{Name: "重庆江北区某某有限公司"}},
	}
	wantRejected := []catalogfile.Rejection{
		{Row: 8, Name: "重庆数字有限公司", Reason: reasonNumber},
		{Row: 10, Name: "重庆浮点有限公司", Reason: reasonNumber},
		{Row: 11, Name: `=HYPERLINK("http://x","重庆未计算有限公司")`, Reason: "the name cell is a formula and the file keeps no value for it: open and save the file in Excel, or paste the column as values"},
		{Row: 12, Name: "#N/A", Reason: "the name cell holds an error value (#N/A)"},
		{Row: 13, Name: `=HYPERLINK("http://x","重庆文本公式有限公司")`, Reason: reasonFormula},
		{Row: 16, Name: "重庆数值公式有限公司", Reason: reasonNumber},
		{Row: 17, Name: "重庆重复代码有限公司", Reason: "credit code " + codeA + " is also on row 5 (" + nameA + ")"},
		{Row: 18, Name: nameA, Reason: "duplicate name (first at row 5)"},
		{Row: 20, Name: "重庆短码有限公司", Reason: reasonNumber},
		{Row: 22, Reason: "missing name (the row has: 注：以上企业排名不分先后)"},
	}
	if diff := cmp.Diff(wantEntries, entries(res)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRejected, res.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	if res.Sheet != "准入目录" || res.HeaderRow != 4 || res.NameHeader != "企业名称" || res.CodeHeader != "统一社会信用代码" ||
		!cmp.Equal(res.Unread, []string{"退出名单"}) {
		t.Errorf("header: sheet %q, row %d, %q, %q; unread %q", res.Sheet, res.HeaderRow, res.NameHeader, res.CodeHeader, res.Unread)
	}
}

// A workbook that opens with an explanation (or a hidden sheet) has its
// list on a later sheet.
func TestXLSXSheets(t *testing.T) {
	data := mustXLSX(t,
		sheet{Name: "说明", Cells: cells{"A1": "填报说明", "A2": "请按统一社会信用代码填写"}},
		sheet{Name: "旧表", Hidden: true, Cells: cells{"A1": "企业名称", "A2": "重庆隐藏有限公司"}},
		sheet{Name: "名单", Cells: cells{"B2": "用户名称", "C2": "信用代码", "B3": nameA, "C3": codeA}},
		sheet{Name: "备注", Cells: cells{"A1": "名单说明"}},
		sheet{Name: "零售用户", Cells: cells{"A1": "序号", "B1": "企业全称", "A2": 1, "B2": nameB}},
	)
	res := mustReadXLSX(t, data)
	want := []rowEntry{{3, domain.CatalogEntry{Name: nameA, CreditCode: codeA}}}
	if diff := cmp.Diff(want, entries(res)); diff != "" || res.Sheet != "名单" || !cmp.Equal(res.Unread, []string{"零售用户"}) {
		t.Errorf("sheet %q, unread %q, entries (-want +got):\n%s", res.Sheet, res.Unread, diff)
	}
	if got := res.Summary(catalogfile.Counts{Added: 1}); !strings.Contains(got, "\nsheet \"零售用户\" not read: ") {
		t.Errorf("the report does not name the sheet not read:\n%s", got)
	}
}

// A row whose every cell is a formula without a saved value reads as
// empty; it is reported, not skipped.
func TestXLSXUncalculatedRow(t *testing.T) {
	data := mustXLSX(t, sheet{Name: "Sheet1", Cells: cells{
		"A1": "企业名称", "B1": "统一社会信用代码",
		"A2": formula{Formula: `Sheet2!A2`}, "B2": formula{Formula: `Sheet2!B2`},
		"A3": nameA, "B3": formula{Formula: `Sheet2!B3`},
	}})
	res := mustReadXLSX(t, data)
	want := []catalogfile.Rejection{
		{Row: 2, Name: "=Sheet2!A2", Reason: "the name cell is a formula and the file keeps no value for it: open and save the file in Excel, or paste the column as values"},
		{Row: 3, Name: nameA, Reason: "the credit code cell is a formula and the file keeps no value for it: open and save the file in Excel, or paste the column as values"},
	}
	if diff := cmp.Diff(want, res.Rejected); diff != "" || res.Entries != nil {
		t.Errorf("rejected (-want +got):\n%s\nentries %v", diff, res.Entries)
	}
}

// Leading empty rows and a far-away last row: row numbers stay the ones
// Excel shows, and empty rows do not count towards MaxRows.
func TestXLSXSparse(t *testing.T) {
	data := mustXLSX(t, sheet{Name: "Sheet1", Cells: cells{
		"B3":      "name",
		"B4":      nameA,
		"B200000": "",
		"B200001": nameA,
	}})
	res := mustReadXLSX(t, data)
	if diff := cmp.Diff([]rowEntry{{4, domain.CatalogEntry{Name: nameA}}}, entries(res)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	want := []catalogfile.Rejection{{Row: 200001, Name: nameA, Reason: "duplicate name (first at row 4)"}}
	if diff := cmp.Diff(want, res.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
}

func TestXLSXRefused(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"no name column", mustXLSX(t, sheet{Name: "Sheet1", Cells: cells{"A1": "序号", "B1": "信用代码", "A2": 1, "B2": codeA}}), catalogfile.ErrNoNameColumn},
		{"empty sheet", mustXLSX(t, sheet{Name: "Sheet1", Cells: cells{}}), catalogfile.ErrNoHeader},
		{"only a hidden list", mustXLSX(t, sheet{Name: "Sheet1", Cells: cells{"A1": "说明"}}, sheet{Name: "S2", Hidden: true, Cells: cells{"A1": "企业名称", "A2": nameA}}), catalogfile.ErrNoNameColumn},
		{"not a zip", []byte("企业名称\n" + nameA + "\n"), nil},
		{"ole container", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...), catalogfile.ErrUnsupportedFormat},
		{"zip bomb", zipBomb(t), catalogfile.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalogfile.Read(bytes.NewReader(tt.data), "c.xlsx")
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// zipBomb returns a small workbook whose sheet unpacks to 65 MiB.
func zipBomb(t *testing.T) []byte {
	t.Helper()
	data := mustXLSX(t, sheet{Name: "Sheet1", Cells: cells{"A1": "name"}})
	src, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, f := range src.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			_, err = io.Copy(w, io.LimitReader(&zeros{}, 65<<20))
		} else {
			var r io.ReadCloser
			if r, err = f.Open(); err == nil {
				_, err = io.Copy(w, r)
				r.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	return buf.Bytes()
}
