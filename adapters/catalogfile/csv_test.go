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

// Credit codes for the tests: valid ones, one failing only its check
// character, and what Excel leaves of an all-digit code it took for a
// number (15 significant digits, then zeros).
const (
	codeA       = "91500103000000000M"
	codeB       = "91500112MA0000015A"
	codeDigits  = "915001192940021580" // valid and all digits
	codeBadSum  = "91500103000000000N"
	codeRounded = "915001192940020000"
	nameA       = "重庆渝新机械制造有限公司"
	nameB       = "重庆江北精工机械有限公司"
	nameC       = "重庆南川金佛山药业有限公司"
	nameChecked = "重庆早期登记有限公司"
)

// Reasons as the report gives them.
const (
	reasonFormula  = "name is a spreadsheet formula (it starts with =, +, - or @) and no value for it is saved: paste the column as values, or send the .xlsx"
	reasonControl  = "name contains control characters (line breaks, tabs or invisible marks)"
	reasonNumber   = "credit code stored as a number in Excel, which lost its last digits; format the column as text and enter the code again"
	reasonRounded  = "credit code " + codeRounded + " ends in 000 and fails its check character: Excel probably stored it as a number and lost its last digits; enter it again as text"
	reasonSci      = "credit code 9.15001E+17 is in scientific notation: Excel turned it into a number and lost digits; format the column as text and enter the code again"
	reasonCodeForm = "credit code is a spreadsheet formula (it starts with =, +, - or @): enter the code as text"
)

func mustRead(t *testing.T, content, name string) catalogfile.Result {
	t.Helper()
	res, err := catalogfile.Read(strings.NewReader(content), name)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return res
}

// entries returns the entries of res with their rows, for comparing.
type rowEntry struct {
	Row int
	domain.CatalogEntry
}

func entries(res catalogfile.Result) []rowEntry {
	var out []rowEntry
	for i, e := range res.Entries {
		out = append(out, rowEntry{res.Rows[i], e})
	}
	return out
}

func TestCSVHeaders(t *testing.T) {
	tests := []struct {
		name, header, row string
		want              domain.CatalogEntry
		wantHeaders       [2]string
	}{
		{"chinese", "企业名称,统一社会信用代码", nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"企业名称", "统一社会信用代码"}},
		{"bom and spaces", "\ufeff 名称 , 信用代码 ", nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"名称", "信用代码"}},
		{"english any case", "Name,USCC", nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"Name", "USCC"}},
		{"snake case", "credit_code,name", codeA + "," + nameA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"name", "credit_code"}},
		{"extra columns", "序号,单位名称,所属区县,社会信用代码,备注", "1," + nameA + ",渝中区," + codeA + ",", domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"单位名称", "社会信用代码"}},
		{"user name", "序号,用户名称,信用代码", "1," + nameA + "," + codeA, domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"用户名称", "信用代码"}},
		{"no code column", "企业全称,所属区县", nameA + ",渝中区", domain.CatalogEntry{Name: nameA}, [2]string{"企业全称", ""}},
		// 企业名称 is preferred to 名称 wherever it stands.
		{"preferred header", "名称,企业名称", "简称," + nameA, domain.CatalogEntry{Name: nameA}, [2]string{"企业名称", ""}},
		{"crlf", "企业名称,统一社会信用代码\r", nameA + "," + codeA + "\r", domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"企业名称", "统一社会信用代码"}},
		// Headers as official lists write them: wrapped, starred,
		// with remarks in brackets of either width.
		{"wrapped and remarks", "序号,*企业（单位）名称,\"统一社会\n信用代码(18位)\"", "1," + nameA + "," + codeA,
			domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"*企业（单位）名称", "统一社会信用代码(18位)"}},
		{"full-width spaces", "序号,企　业　名　称,统一社会信用代码【必填】", "1," + nameA + "," + codeA,
			domain.CatalogEntry{Name: nameA, CreditCode: codeA}, [2]string{"企业名称", "统一社会信用代码【必填】"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustRead(t, tt.header+"\n"+tt.row+"\n", "catalog.csv")
			if diff := cmp.Diff([]domain.CatalogEntry{tt.want}, res.Entries); diff != "" || res.Rejected != nil {
				t.Errorf("entries (-want +got):\n%s\nrejected: %v", diff, res.Rejected)
			}
			if got := [2]string{res.NameHeader, res.CodeHeader}; got != tt.wantHeaders || res.HeaderRow != 1 {
				t.Errorf("header row %d, columns %q; want 1, %q", res.HeaderRow, got, tt.wantHeaders)
			}
		})
	}
}

// An official list as the 经信委 publishes it and an operator saves it
// from Excel: a title and a date above the header, blank rows, formulas,
// codes that Excel turned into numbers, copied full-width text, duplicates,
// the header repeated and a note below the list.
func TestCSVOfficialList(t *testing.T) {
	content := strings.Join([]string{
		"重庆市经济和信息化委员会2024年第三批电力市场准入目录,,,,", // row 1: the title, merged in the workbook
		"发布日期：2024年6月1日,,,,",
		",,,,",
		"序号,企业名称,统一社会信用代码,所属区县,备注", // row 4
		"1," + nameA + "," + codeA + ",渝中区,",
		"2,\u3000" + nameB + "\u3000,９１５００１１２ＭＡ０００００１５Ａ,江北区,", // full width
		"3,重庆南川　 金佛山药业有限公司,'" + codeDigits + ",南川区,",          // spaces between Chinese characters; an apostrophe keeping the code text
		`4,"=HYPERLINK(""http://www.cqjxw.gov.cn/"",""重庆某某化工有限公司"")",,,`,
		"5,'=1+2有限公司,,,", // the apostrophe escapes the formula: still not a name
		"6,+重庆加号有限公司,,,",
		"7,@SUM(A1:A3),,,",
		"8," + nameChecked + "," + codeBadSum + ",,首批", // row 12: flagged
		"9,重庆科学计数有限公司,9.15001E+17,,",
		"10,重庆精度丢失有限公司," + codeRounded + ",,",
		"11,重庆无代码有限公司,无,,",
		"12,重庆横线有限公司,-,,",
		",,,,",                     // row 17
		"序号,企业名称,统一社会信用代码,所属区县,备注", // the header again
		"13," + nameA + "," + codeA + ",,",
		"14,重庆另一家有限公司," + strings.ToLower(codeA) + ",,", // row 20: a code taken
		`15,重庆公式代码有限公司,"=""` + codeB + `""",,`,
		"16,重庆ABC  Technology有限公司,,,",
		"17,'重庆撇号有限公司,,,",
		"18,重庆零宽\u200b空格有限公司,,,",
		"19,12345,,,",
		"注：以上企业排名不分先后,,,,", // row 26
	}, "\r\n") + "\r\n"
	res := mustRead(t, content, "准入目录.csv")
	wantEntries := []rowEntry{
		{5, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{6, domain.CatalogEntry{Name: nameB, CreditCode: codeB}},
		{7, domain.CatalogEntry{Name: nameC, CreditCode: codeDigits}},
		{12, domain.CatalogEntry{Name: nameChecked, CreditCode: codeBadSum, CreditCodeFlagged: true}},
		{15, domain.CatalogEntry{Name: "重庆无代码有限公司"}},
		{16, domain.CatalogEntry{Name: "重庆横线有限公司"}},
		{22, domain.CatalogEntry{Name: "重庆ABC Technology有限公司"}},
		{23, domain.CatalogEntry{Name: "重庆撇号有限公司"}},
		{24, domain.CatalogEntry{Name: "重庆零宽空格有限公司"}},
	}
	wantRejected := []catalogfile.Rejection{
		{Row: 8, Name: `=HYPERLINK("http://www.cqjxw.gov.cn/","重庆某某化工有限公司")`, Reason: reasonFormula},
		{Row: 9, Name: "=1+2有限公司", Reason: reasonFormula},
		{Row: 10, Name: "+重庆加号有限公司", Reason: reasonFormula},
		{Row: 11, Name: "@SUM(A1:A3)", Reason: reasonFormula},
		{Row: 13, Name: "重庆科学计数有限公司", Reason: reasonSci},
		{Row: 14, Name: "重庆精度丢失有限公司", Reason: reasonRounded},
		{Row: 19, Name: nameA, Reason: "duplicate name (first at row 5)"},
		{Row: 20, Name: "重庆另一家有限公司", Reason: "credit code " + codeA + " is also on row 5 (" + nameA + ")"},
		{Row: 21, Name: "重庆公式代码有限公司", Reason: reasonCodeForm},
		{Row: 25, Name: "12345", Reason: "name has no letters (only digits or punctuation)"},
		{Row: 26, Reason: "missing name (the row has: 注：以上企业排名不分先后)"},
	}
	if diff := cmp.Diff(wantEntries, entries(res)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRejected, res.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	if res.HeaderRow != 4 || res.NameHeader != "企业名称" || res.CodeHeader != "统一社会信用代码" {
		t.Errorf("header: row %d, %q, %q", res.HeaderRow, res.NameHeader, res.CodeHeader)
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
		"8,重庆软连字符\u00ad有限公司,",
		"9," + nameChecked + "," + codeBadSum, // kept, flagged
		"10, " + nameB + " , 9150 0112 ma00 0001 5a ",
		"11," + nameC + ",９１５００１１９２９４００２１５８０", // full-width digits
		" , , ",                     // row 14: blank, skipped
		"12," + nameA + "," + codeB, // duplicate of row 2
		"13,重庆无代码有限公司",              // short record: no code cell
		`14,"重庆""引号""有限公司",`,        // quoted quotes
		`15,重庆"宽松"引号有限公司,`,          // lazy quotes
		"16,重庆制表\t有限公司,",
	}, "\n")
	res := mustRead(t, content, "catalog.csv")
	wantEntries := []rowEntry{
		{2, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
		{11, domain.CatalogEntry{Name: nameChecked, CreditCode: codeBadSum, CreditCodeFlagged: true}},
		{12, domain.CatalogEntry{Name: nameB, CreditCode: codeB}},
		{13, domain.CatalogEntry{Name: nameC, CreditCode: codeDigits}},
		{16, domain.CatalogEntry{Name: "重庆无代码有限公司"}},
		{17, domain.CatalogEntry{Name: `重庆"引号"有限公司`}},
		{18, domain.CatalogEntry{Name: `重庆"宽松"引号有限公司`}},
	}
	wantRejected := []catalogfile.Rejection{
		{Row: 3, Reason: "missing name (the row has: 2 | " + codeB + ")"},
		{Row: 4, Name: long, Reason: "name longer than 100 characters"},
		{Row: 5, Name: "重庆换行\n有限公司", Reason: reasonControl},
		{Row: 7, Name: "重庆\u202e反向有限公司", Reason: reasonControl},
		{Row: 8, Name: "重庆短码有限公司", Reason: "credit code 9150010300000 has 13 characters, not 18"},
		{Row: 9, Name: "重庆字母有限公司", Reason: "credit code 91500103I00000000M has characters a credit code cannot have (GB 32100: no I, O, S, V or Z; digits in places 3 to 8)"},
		{Row: 10, Name: "重庆软连字符\u00ad有限公司", Reason: reasonControl},
		{Row: 15, Name: nameA, Reason: "duplicate name (first at row 2)"},
		{Row: 19, Name: "重庆制表\t有限公司", Reason: reasonControl},
	}
	if diff := cmp.Diff(wantEntries, entries(res)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRejected, res.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
}

// A name or code whose first row was rejected is taken from a later, valid
// row.
func TestCSVDuplicateOfRejected(t *testing.T) {
	res := mustRead(t, "名称,信用代码\n"+
		nameA+",123\n"+
		nameA+","+codeA+"\n"+
		nameA+",\n"+
		"重庆长名"+strings.Repeat("长", 100)+","+codeB+"\n"+
		nameB+","+codeB+"\n", "c.csv")
	wantEntries := []rowEntry{{3, domain.CatalogEntry{Name: nameA, CreditCode: codeA}}, {6, domain.CatalogEntry{Name: nameB, CreditCode: codeB}}}
	wantRejected := []catalogfile.Rejection{
		{Row: 2, Name: nameA, Reason: "credit code 123 has 3 characters, not 18"},
		{Row: 4, Name: nameA, Reason: "duplicate name (first at row 3)"},
		{Row: 5, Name: "重庆长名" + strings.Repeat("长", 100), Reason: "name longer than 100 characters"},
	}
	if diff := cmp.Diff(wantEntries, entries(res)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRejected, res.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
}

// What a Chinese Excel writes for "CSV (逗号分隔)": GBK, CRLF, the title
// row with its empty cells.
func TestCSVGBK(t *testing.T) {
	utf := "重庆市经信委2024年第二批准入目录,,,\r\n,,,\r\n" +
		"序号,企业名称,统一社会信用代码,备注\r\n" +
		"1," + nameA + "," + codeA + ",\r\n" +
		"2," + nameB + ",,（暂无）\r\n" +
		"3,重庆璧山（集团）有限公司,91500112MA0000015A,\r\n"
	for _, enc := range []struct {
		name   string
		encode func(string) (string, error)
	}{
		{"GBK", simplifiedchinese.GBK.NewEncoder().String},
		{"GB18030", simplifiedchinese.GB18030.NewEncoder().String},
	} {
		t.Run(enc.name, func(t *testing.T) {
			gb, err := enc.encode(utf)
			if err != nil {
				t.Fatal(err)
			}
			res := mustRead(t, gb, "目录.CSV")
			want := []rowEntry{
				{4, domain.CatalogEntry{Name: nameA, CreditCode: codeA}},
				{5, domain.CatalogEntry{Name: nameB}},
				{6, domain.CatalogEntry{Name: "重庆璧山（集团）有限公司", CreditCode: codeB}},
			}
			if diff := cmp.Diff(want, entries(res)); diff != "" || res.Rejected != nil {
				t.Errorf("entries (-want +got):\n%s\nrejected: %v", diff, res.Rejected)
			}
		})
	}
}

// A file mixing encodings (GBK with a stray byte that decodes to nothing)
// rejects the rows it garbles instead of storing replacement characters.
func TestCSVUndecodable(t *testing.T) {
	enc := simplifiedchinese.GBK.NewEncoder()
	gb, err := enc.String("企业名称\n" + nameA + "\n重庆坏")
	if err != nil {
		t.Fatal(err)
	}
	gb += "\xff\n" // a byte GBK does not use
	res := mustRead(t, gb, "c.csv")
	if len(res.Entries) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 3 ||
		!strings.Contains(res.Rejected[0].Reason, "could not be decoded") {
		t.Errorf("result %+v; want %s and row 3 rejected as undecodable", res, nameA)
	}
}

func TestCSVUTF8WithBOM(t *testing.T) {
	res := mustRead(t, "\ufeff序号,企业名称\n1,"+nameA+"\n", "c.csv")
	if diff := cmp.Diff([]domain.CatalogEntry{{Name: nameA}}, res.Entries); diff != "" || res.NameHeader != "企业名称" {
		t.Errorf("entries (-want +got):\n%s (header %q)", diff, res.NameHeader)
	}
}

func TestCSVRefused(t *testing.T) {
	var title strings.Builder
	for range 20 {
		title.WriteString("重庆市经信委准入目录说明\n")
	}
	damaged := "企业名称\n" + strings.Repeat(nameA+"\n", 50) + "重庆\xe9有限公司\n"
	tests := []struct {
		name, content string
		want          error // nil: any error
	}{
		{"empty", "", catalogfile.ErrNoHeader},
		{"blank lines only", "\n \n,,\n", catalogfile.ErrNoHeader},
		{"no name column", "序号,统一社会信用代码\n1," + codeA + "\n", catalogfile.ErrNoNameColumn},
		{"header too far down", title.String() + "企业名称\n" + nameA + "\n", catalogfile.ErrNoNameColumn},
		{"workbook", "PK\x03\x04rest of a zip", catalogfile.ErrUnsupportedFormat},
		{"utf-16", "\xff\xfe\x01\x4e", catalogfile.ErrUnsupportedFormat},
		// GBK would turn it into plausible but wrong characters.
		{"damaged utf-8", damaged, catalogfile.ErrEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalogfile.Read(strings.NewReader(tt.content), "c.csv")
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
	_, err := catalogfile.Read(strings.NewReader(damaged), "c.csv")
	if err == nil || !strings.Contains(err.Error(), "line 52") {
		t.Errorf("damaged UTF-8: error %v, want the line of the bad byte", err)
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
		Entries: []domain.CatalogEntry{
			{Name: nameA, CreditCode: codeA},
			{Name: nameB},
			{Name: nameChecked, CreditCode: codeBadSum, CreditCodeFlagged: true},
			{Name: nameC, CreditCode: codeDigits},
			{Name: "重庆第五有限公司"},
		},
		Rows: []int{4, 5, 8, 10, 11},
		Rejected: []catalogfile.Rejection{
			{Row: 6, Reason: "missing name"},
			{Row: 7, Name: "重庆\n换行有限公司", Reason: "name contains control characters"},
			{Row: 9, Name: strings.Repeat("长", 50), Reason: "name longer than 100 characters"},
			{Row: 12, Name: nameA, Reason: "duplicate name (first at row 4)"},
		},
		Sheet:      "准入目录",
		HeaderRow:  3,
		NameHeader: "企业名称",
		CodeHeader: "统一社会信用代码",
	}
	// The store would not take row 10: another name holds its code.
	res.Refuse(map[int]string{3: "credit code " + codeDigits + " is already in the catalog for 重庆别家有限公司"})
	want := `sheet "准入目录", header in row 3: name column 企业名称, credit code column 统一社会信用代码
row 6 rejected: missing name
row 7 rejected: 重庆` + "\ufffd" + `换行有限公司 — name contains control characters
row 8 flagged: 重庆早期登记有限公司 — credit code 91500103000000000N fails its check character (GB 32100): stored with a flag that the applicant and the reviewers see; check it against the business licence
row 9 rejected: ` + strings.Repeat("长", 39) + `… — name longer than 100 characters
row 10 rejected: 重庆南川金佛山药业有限公司 — credit code 915001192940021580 is already in the catalog for 重庆别家有限公司
row 12 rejected: 重庆渝新机械制造有限公司 — duplicate name (first at row 4)
rows: 9, added: 2, updated: 1, unchanged: 1, rejected: 5, flagged: 1`
	if got := res.Summary(catalogfile.Counts{Added: 2, Updated: 1, Unchanged: 1}); got != want {
		t.Errorf("Summary:\n%s\nwant:\n%s", got, want)
	}
	if len(res.Entries) != 4 || res.Rows[3] != 11 {
		t.Errorf("after Refuse: entries %v, rows %v", res.Entries, res.Rows)
	}
	if got, want := (catalogfile.Result{}).Summary(catalogfile.Counts{}), "rows: 0, added: 0, updated: 0, unchanged: 0, rejected: 0, flagged: 0"; got != want {
		t.Errorf("empty Summary %q, want %q", got, want)
	}
}
