package catalogfile_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/regbot/regbot/adapters/catalogfile"
	"github.com/regbot/regbot/domain"
)

// cells maps a cell reference to its value, set with SetCellValue: strings
// become text cells, ints and floats number cells.
type cells map[string]any

// mustXLSX builds a workbook whose sheets (in order) hold the given cells.
func mustXLSX(t *testing.T, sheets ...cells) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, cs := range sheets {
		name := "Sheet1"
		if i > 0 {
			name = "Other" + string(rune('0'+i))
			if _, err := f.NewSheet(name); err != nil {
				t.Fatal(err)
			}
		}
		for ref, v := range cs {
			if err := f.SetCellValue(name, ref, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSX(t *testing.T) {
	data := mustXLSX(t, cells{
		"A1": "序号", "B1": " 企业名称 ", "C1": "统一社会信用代码", "D1": "备注",
		"A2": 1, "B2": nameA, "C2": codeA, "D2": "ignored",
		"A3": 2, "B3": nameC, "C3": codeDigits, // digits, but a text cell
		"A4": 3, "B4": "重庆数字有限公司", "C4": 915001192940021580, // int cell
		// rows 5 and 6 empty
		"A7": 4, "B7": "重庆浮点有限公司", "C7": 9.1500119294002e17, // what Excel stores
		"A8": 5, "B8": "重庆无代码有限公司",
		"A9": 6, "C9": codeB, // missing name
		"A10": 7, "B10": nameA, "C10": codeB, // duplicate
		"A11": 8, "B11": "重庆换行\n有限公司",
		"A12": 9, "B12": nameChecked, "C12": codeBadSum,
		"A13": 10, "B13": "重庆短码有限公司", "C13": 12345, // a number, whatever its length
		"A14": " ", // blank, skipped
		"A15": 11, "B15": nameB, "C15": "91500112ma0000015a",
	}, cells{
		"A1": "企业名称", "A2": "重庆第二页有限公司", // second sheet: ignored
	})
	res, err := catalogfile.Read(bytes.NewReader(data), "准入目录.XLSX")
	if err != nil {
		t.Fatal(err)
	}
	const number = "credit code stored as a number in Excel; format the column as text"
	want := catalogfile.Result{
		Entries: []domain.CatalogEntry{
			{Name: nameA, CreditCode: codeA},
			{Name: nameC, CreditCode: codeDigits},
			{Name: "重庆无代码有限公司"},
			{Name: nameChecked, CreditCode: codeBadSum},
			{Name: nameB, CreditCode: codeB},
		},
		Rejected: []catalogfile.Rejection{
			{Row: 4, Name: "重庆数字有限公司", Reason: number},
			{Row: 7, Name: "重庆浮点有限公司", Reason: number},
			{Row: 9, Name: "", Reason: "missing name"},
			{Row: 10, Name: nameA, Reason: "duplicate name (first at row 2)"},
			{Row: 11, Name: "重庆换行\n有限公司", Reason: "name contains control characters (line breaks, tabs or invisible marks)"},
			{Row: 13, Name: "重庆短码有限公司", Reason: number},
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// Leading empty rows and a far-away last row: row numbers stay the ones
// Excel shows, and empty rows do not count towards MaxRows.
func TestXLSXSparse(t *testing.T) {
	data := mustXLSX(t, cells{
		"B3":      "name",
		"B4":      nameA,
		"B200000": "",
		"B200001": nameA,
	})
	res, err := catalogfile.Read(bytes.NewReader(data), "c.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	want := catalogfile.Result{
		Entries:  []domain.CatalogEntry{{Name: nameA}},
		Rejected: []catalogfile.Rejection{{Row: 200001, Name: nameA, Reason: "duplicate name (first at row 4)"}},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestXLSXRefused(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"no name column", mustXLSX(t, cells{"A1": "序号", "B1": "信用代码", "A2": 1, "B2": codeA}), catalogfile.ErrNoNameColumn},
		{"empty sheet", mustXLSX(t, cells{}), catalogfile.ErrNoHeader},
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
	data := mustXLSX(t, cells{"A1": "name"})
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
