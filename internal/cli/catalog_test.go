package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

func TestCatalogImportCommand(t *testing.T) {
	ctx := context.Background()
	dsn := devstack.MustPostgres(t)
	file := filepath.Join(t.TempDir(), "准入目录.csv")
	csv := "序号,企业名称,统一社会信用代码\n" +
		"1,重庆某某机械制造有限公司,91500112MA0000015A\n" +
		"2,重庆某某化工有限公司,91500103000000000M\n" +
		"3,,91500103000000000M\n" + // no name
		"4,重庆某某铸造有限公司,9150010\n" + // code too short
		"5,重庆某某机械制造有限公司,91500112MA0000015A\n" // duplicate
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := importCatalog(ctx, dsn, file, &out); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	for _, want := range []string{"row 4 rejected", "row 5 rejected", "row 6 rejected",
		"\nrows: 5, added: 2, updated: 0, unchanged: 0, rejected: 3, flagged: 0\n"} {
		if !strings.Contains(first, want) {
			t.Errorf("report lacks %q:\n%s", want, first)
		}
	}
	out.Reset()
	if err := importCatalog(ctx, dsn, file, &out); err != nil {
		t.Fatal(err)
	}
	if want := "rows: 5, added: 0, updated: 0, unchanged: 2, rejected: 3, flagged: 0\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("second import; want it to end %q:\n%s", want, out.String())
	}

	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found, total, err := db.Search(ctx, "化工", 0, 10)
	if err != nil || total != 1 || found[0].CreditCode != "91500103000000000M" {
		t.Fatalf("search after import: %v %d %v", found, total, err)
	}
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dsn}[k] }
	if _, errOut, code := runCLI(getenv, "catalog", "import"); code != 2 || !strings.Contains(errOut, "usage: regbot catalog import") {
		t.Errorf("catalog import without a file: exit %d, %q; want 2 with the usage", code, errOut)
	}
	if out, errOut, code := runCLI(getenv, "catalog", "import", file); code != 0 || !strings.Contains(out, "added: 0, updated: 0, unchanged: 2") {
		t.Errorf("catalog import through the command line: exit %d, %q %q", code, out, errOut)
	}
}

// An official list in XLSX, imported into a catalog that already holds
// one of its codes for another name: the report names each row left out or
// flagged with the row Excel shows, the flag reaches Search, and a second
// run reports everything unchanged.
func TestCatalogImportOfficialXLSX(t *testing.T) {
	ctx := context.Background()
	dsn := devstack.MustPostgres(t)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ImportCatalogReport(ctx, []domain.CatalogEntry{{Name: "重庆旧名称有限公司", CreditCode: "91500113MA61E47D74"}}); err != nil {
		t.Fatal(err)
	}

	f := excelize.NewFile()
	defer f.Close()
	const s = "Sheet1"
	set := func(ref string, v any) {
		if err := f.SetCellValue(s, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "重庆市经信委2024年第二批准入目录")
	if err := f.MergeCell(s, "A1", "D1"); err != nil {
		t.Fatal(err)
	}
	for ref, v := range map[string]any{
		"A3": "序号", "B3": "单位名称", "C3": "统一社会\n信用代码", "D3": "备注",
		"A4": 1, "C4": "91500112MA0000015A", // B4: a hyperlink, below
		"A5": 2, "B5": "重庆早期登记有限公司", "C5": "91500103000000000N",
		"A6": 3, "B6": "重庆新名称有限公司", "C6": "91500113MA61E47D74", // the catalog has this code
		"A7": 4, "B7": "重庆数字有限公司", "C7": 9.15001192940022e17,
		"A8": 5, "B8": "重庆　南川　金佛山药业有限公司 ", "C8": "９１５００１１９２９４００２１５８０",
	} {
		set(ref, v)
	}
	if err := f.SetCellFormula(s, "B4", `HYPERLINK("http://www.cqjxw.gov.cn/","重庆某某机械制造有限公司")`); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	// Excel saves the formula's value; excelize does not calculate it.
	data := saveFormulaValue(t, buf.Bytes(), "B4", "重庆某某机械制造有限公司")
	file := filepath.Join(t.TempDir(), "2024年第二批准入目录.xlsx")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := importCatalog(ctx, dsn, file, &out); err != nil {
		t.Fatal(err)
	}
	want := `sheet "Sheet1", header in row 3: name column 单位名称, credit code column 统一社会信用代码
row 5 flagged: 重庆早期登记有限公司 — credit code 91500103000000000N fails its check character (GB 32100): stored with a flag that the applicant and the reviewers see; check it against the business licence
row 6 rejected: 重庆新名称有限公司 — credit code 91500113MA61E47D74 is already in the catalog for 重庆旧名称有限公司
row 7 rejected: 重庆数字有限公司 — credit code stored as a number in Excel, which lost its last digits; format the column as text and enter the code again
rows: 5, added: 3, updated: 0, unchanged: 0, rejected: 2, flagged: 1
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	page, _, err := db.Search(ctx, "有限公司", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]domain.CatalogEntry{}
	for _, e := range page {
		e.ID = 0
		got[e.Name] = e
	}
	wantCatalog := map[string]domain.CatalogEntry{
		"重庆旧名称有限公司":     {Name: "重庆旧名称有限公司", CreditCode: "91500113MA61E47D74"},
		"重庆某某机械制造有限公司":  {Name: "重庆某某机械制造有限公司", CreditCode: "91500112MA0000015A"},
		"重庆早期登记有限公司":    {Name: "重庆早期登记有限公司", CreditCode: "91500103000000000N", CreditCodeFlagged: true},
		"重庆南川金佛山药业有限公司": {Name: "重庆南川金佛山药业有限公司", CreditCode: "915001192940021580"},
	}
	if diff := cmp.Diff(wantCatalog, got); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}

	out.Reset()
	if err := importCatalog(ctx, dsn, file, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\nrows: 5, added: 0, updated: 0, unchanged: 3, rejected: 2, flagged: 1\n") {
		t.Errorf("second import:\n%s", out.String())
	}
}

// What a Chinese Excel saves as CSV: GBK, with the title row, through the
// command line.
func TestCatalogImportGBKCSV(t *testing.T) {
	dsn := devstack.MustPostgres(t)
	text := "重庆市经信委2024年第一批准入目录,,\r\n,,\r\n" +
		"序号,企业名称,统一社会信用代码\r\n" +
		"1,重庆某某机械制造有限公司,91500112MA0000015A\r\n" +
		"2,\"=HYPERLINK(\"\"http://x\"\",\"\"重庆某某化工有限公司\"\")\",91500103000000000M\r\n" +
		"3,重庆某某化工有限公司,'91500103000000000M\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "目录.csv")
	if err := os.WriteFile(file, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dsn}[k] }
	out, errOut, code := runCLI(getenv, "catalog", "import", file)
	want := "header in row 3: name column 企业名称, credit code column 统一社会信用代码\n" +
		`row 5 rejected: =HYPERLINK("http://x","重庆某某化工有限公司") — name is a spreadsheet formula (it starts with =, +, - or @) and no value for it is saved: paste the column as values, or send the .xlsx` + "\n" +
		"rows: 3, added: 2, updated: 0, unchanged: 0, rejected: 1, flagged: 0\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, report:\n%s\nwant:\n%s", code, errOut, out, want)
	}
}

// saveFormulaValue gives the formula cell ref of a workbook's first sheet
// the text value that Excel would have saved with it.
func saveFormulaValue(t *testing.T, data []byte, ref, value string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(<c r="` + ref + `"[^>]*>)(<f>.*?</f>)</c>`)
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
		if zf.Name == "xl/worksheets/sheet1.xml" {
			if !re.Match(content) {
				t.Fatalf("no formula cell %s", ref)
			}
			content = re.ReplaceAll(content, []byte("${1}${2}<v>"+value+"</v></c>"))
		}
		w, err := zw.Create(zf.Name)
		if err == nil {
			_, err = w.Write(content)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
