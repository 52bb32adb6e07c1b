package catalogfile_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/regbot/regbot/adapters/catalogfile"
	"github.com/regbot/regbot/domain"
)

// Credit codes for the tests: valid ones, and one failing only its check
// character.
const (
	codeA       = "91500103000000000M"
	codeB       = "91500112MA0000015A"
	codeDigits  = "915001192940021580" // valid and all digits
	codeBadSum  = "91500103000000000N"
	nameA       = "重庆渝新机械制造有限公司"
	nameB       = "重庆江北精工机械有限公司"
	nameC       = "重庆南川金佛山药业有限公司"
	nameChecked = "重庆早期登记有限公司"
)

func mustRead(t *testing.T, content, name string) catalogfile.Result {
	t.Helper()
	res, err := catalogfile.Read(strings.NewReader(content), name)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return res
}

func TestCSVHeaders(t *testing.T) {
	tests := []struct {
		name, header, row string
		want              domain.CatalogEntry
	}{
		{"chinese", "企业名称,统一社会信用代码", nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{"bom and spaces", "\ufeff 名称 , 信用代码 ", nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{"english any case", "Name,USCC", nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{"snake case", "credit_code,name", codeA + "," + nameA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{"extra columns", "序号,单位名称,所属区县,社会信用代码,备注", "1," + nameA + ",渝中区," + codeA + ",", domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{"no code column", "企业全称,所属区县", nameA + ",渝中区", domain.CatalogEntry{Name: nameA}},
		// 企业名称 is preferred to 名称 wherever it stands.
		{"preferred header", "名称,企业名称", "简称," + nameA, domain.CatalogEntry{Name: nameA}},
		{"crlf", "企业名称,统一社会信用代码\r", nameA + "," + codeA + "\r", domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustRead(t, tt.header+"\n"+tt.row+"\n", "catalog.csv")
			want := catalogfile.Result{Entries: []domain.CatalogEntry{tt.want}}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVRows(t *testing.T) {
	long := strings.Repeat("重", 101)
	content := strings.Join([]string{
		"序号,企业名称,统一社会信用代码", // row 1
		"1," + nameA + "," + codeA,
		"2,," + codeB,               // missing name
		"3," + long + ",",           // too long
		`4,"重庆换行` + "\n" + `有限公司",`, // row 5: a line break in the name, one spreadsheet row
		"",                  // row 6: empty line
		"5,重庆\u202e反向有限公司,", // bidi override
		"6,重庆短码有限公司,9150010300000", // row 8
		"7,重庆字母有限公司,91500103I00000000M",
		"8,重庆科学计数有限公司,9.15001E+17",
		"9," + nameChecked + "," + codeBadSum, // accepted: checksum only
		"10, " + nameB + " , 9150 0112 ma00 0001 5a ",
		"11," + nameC + ",９１５００１１９２９４００２１５８０", // full-width digits
		" , , ",                     // row 14: blank, skipped
		"12," + nameA + "," + codeB, // duplicate of row 2
		"13,重庆无代码有限公司",              // short record: no code cell
		`14,"重庆""引号""有限公司",`,        // quoted quotes
		`15,重庆"宽松"引号有限公司,`,          // lazy quotes
	}, "\n")
	res := mustRead(t, content, "catalog.csv")
	want := catalogfile.Result{
		Entries: []domain.CatalogEntry{
			{Name: nameA, CreditCode: codeA},
			{Name: nameChecked, CreditCode: codeBadSum},
			{Name: nameB, CreditCode: codeB},
			{Name: nameC, CreditCode: codeDigits},
			{Name: "重庆无代码有限公司"},
			{Name: `重庆"引号"有限公司`},
			{Name: `重庆"宽松"引号有限公司`},
		},
		Rejected: []catalogfile.Rejection{
			{Row: 3, Name: "", Reason: "missing name"},
			{Row: 4, Name: long, Reason: "name longer than 100 characters"},
			{Row: 5, Name: "重庆换行\n有限公司", Reason: "name contains control characters (line breaks, tabs or invisible marks)"},
			{Row: 7, Name: "重庆\u202e反向有限公司", Reason: "name contains control characters (line breaks, tabs or invisible marks)"},
			{Row: 8, Name: "重庆短码有限公司", Reason: "credit code: not 18 characters"},
			{Row: 9, Name: "重庆字母有限公司", Reason: "credit code: invalid characters"},
			{Row: 10, Name: "重庆科学计数有限公司", Reason: "credit code in scientific notation (an Excel number); format the column as text"},
			{Row: 15, Name: nameA, Reason: "duplicate name (first at row 2)"},
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// A name whose first row was rejected is taken from a later, valid row.
func TestCSVDuplicateOfRejected(t *testing.T) {
	res := mustRead(t, "名称,信用代码\n"+nameA+",123\n"+nameA+","+codeA+"\n"+nameA+",\n", "c.csv")
	want := catalogfile.Result{
		Entries: []domain.CatalogEntry{{Name: nameA, CreditCode: codeA}},
		Rejected: []catalogfile.Rejection{
			{Row: 2, Name: nameA, Reason: "credit code: not 18 characters"},
			{Row: 4, Name: nameA, Reason: "duplicate name (first at row 3)"},
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestCSVGB18030(t *testing.T) {
	utf := "企业名称,统一社会信用代码\n" + nameA + "," + codeA + "\n" + nameB + ",\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	if gb == utf {
		t.Fatal("encoding changed nothing")
	}
	res := mustRead(t, gb, "目录.CSV")
	want := catalogfile.Result{Entries: []domain.CatalogEntry{
		{Name: nameA, CreditCode: codeA},
		{Name: nameB},
	}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestCSVRefused(t *testing.T) {
	tests := []struct {
		name, content string
		want          error // nil: any error
	}{
		{"empty", "", catalogfile.ErrNoHeader},
		{"blank lines only", "\n \n,,\n", catalogfile.ErrNoHeader},
		{"no name column", "序号,统一社会信用代码\n1," + codeA + "\n", catalogfile.ErrNoNameColumn},
		{"title row first", "2024年准入目录\n企业名称\n" + nameA + "\n", catalogfile.ErrNoNameColumn},
		{"workbook", "PK\x03\x04rest of a zip", catalogfile.ErrUnsupportedFormat},
		{"utf-16", "\xff\xfe\x01\x4e", catalogfile.ErrUnsupportedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalogfile.Read(strings.NewReader(tt.content), "c.csv")
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCSVMaxRows(t *testing.T) {
	csv := func(n int) string {
		var b strings.Builder
		b.WriteString("name\n")
		for i := range n {
			fmt.Fprintf(&b, "e%d\n\n", i) // blank lines do not count
		}
		return b.String()
	}
	res := mustRead(t, csv(catalogfile.MaxRows), "c.csv")
	if len(res.Entries) != catalogfile.MaxRows || len(res.Rejected) != 0 {
		t.Errorf("%d entries, %d rejected; want %d, 0", len(res.Entries), len(res.Rejected), catalogfile.MaxRows)
	}
	if last := res.Entries[len(res.Entries)-1]; last.Name != fmt.Sprint("e", catalogfile.MaxRows-1) {
		t.Errorf("last entry %q", last.Name)
	}
	_, err := catalogfile.Read(strings.NewReader(csv(catalogfile.MaxRows+1)), "c.csv")
	if !errors.Is(err, catalogfile.ErrTooManyRows) {
		t.Errorf("error %v, want ErrTooManyRows", err)
	}
}

func TestUnsupportedExtension(t *testing.T) {
	for _, name := range []string{"catalog.xls", "catalog.txt", "catalog", "", "csv", "catalog.csv.pdf"} {
		_, err := catalogfile.Read(strings.NewReader("name\nx\n"), name)
		if !errors.Is(err, catalogfile.ErrUnsupportedFormat) || !strings.Contains(err.Error(), ".csv or .xlsx") {
			t.Errorf("Read(%q): error %v, want ErrUnsupportedFormat naming the formats", name, err)
		}
	}
}

// zeros reads as an endless run of zero bytes and counts what it gave.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestTooLarge(t *testing.T) {
	for _, name := range []string{"big.csv", "big.xlsx"} {
		z := &zeros{}
		// Bounded so that a broken cap fails the test instead of the machine.
		_, err := catalogfile.Read(io.LimitReader(z, 4*catalogfile.MaxFileSize), name)
		if !errors.Is(err, catalogfile.ErrTooLarge) {
			t.Errorf("%s: error %v, want ErrTooLarge", name, err)
		}
		if z.n > 2*catalogfile.MaxFileSize {
			t.Errorf("%s: read %d bytes, want about %d", name, z.n, catalogfile.MaxFileSize)
		}
	}
}

func TestSummary(t *testing.T) {
	res := catalogfile.Result{
		Entries: make([]domain.CatalogEntry, 5),
		Rejected: []catalogfile.Rejection{
			{Row: 3, Reason: "missing name"},
			{Row: 7, Name: "重庆\n换行有限公司", Reason: "name contains control characters"},
			{Row: 9, Name: strings.Repeat("长", 50), Reason: "name longer than 100 characters"},
			{Row: 12, Name: nameA, Reason: "duplicate name (first at row 2)"},
		},
	}
	want := "rows: 9, added: 3, updated: 1, rejected: 4\n" +
		"row 3: missing name\n" +
		"row 7: 重庆\ufffd换行有限公司 — name contains control characters\n" +
		"row 9: " + strings.Repeat("长", 39) + "… — name longer than 100 characters\n" +
		"row 12: " + nameA + " — duplicate name (first at row 2)"
	if got := res.Summary(3, 1); got != want {
		t.Errorf("Summary:\n%s\nwant:\n%s", got, want)
	}
	if got, want := (catalogfile.Result{}).Summary(0, 0), "rows: 0, added: 0, updated: 0, rejected: 0"; got != want {
		t.Errorf("empty Summary %q, want %q", got, want)
	}
}
