package cli

import (
	"bytes"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWriteXLSX reads the written workbook back with excelize: the sheets
// in order, every cell as written (a formula-looking value as text,
// Chinese, XML's special characters, a column past Z), characters XML
// cannot carry dropped.
func TestWriteXLSX(t *testing.T) {
	wide := make([]string, 30)
	for i := range wide {
		wide[i] = columnName(i)
	}
	sheets := []sheet{
		{"注册申请", [][]string{{"申请编号", "基本信息/企业全称", "备注"}, {"CQ-1", "重庆<某某>&机械 \"有限\"公司", "=HYPERLINK(\"x\")"}, {"CQ-2", "", "a\x01b"}}},
		{"用电单元", [][]string{wide}},
	}
	var buf bytes.Buffer
	if err := writeXLSX(&buf, sheets); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"注册申请", "用电单元"}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows("注册申请")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"申请编号", "基本信息/企业全称", "备注"}, {"CQ-1", "重庆<某某>&机械 \"有限\"公司", "=HYPERLINK(\"x\")"}, {"CQ-2", "", "ab"}}
	for i := range want {
		if i >= len(rows) || !slices.Equal(rows[i], want[i]) {
			t.Fatalf("rows %q, want %q", rows, want)
		}
	}
	if formula, _ := f.GetCellFormula("注册申请", "C2"); formula != "" {
		t.Errorf("C2 is a formula %q", formula)
	}
	if v, _ := f.GetCellValue("用电单元", "AD1"); v != "AD" || wide[26] != "AA" || wide[29] != "AD" {
		t.Errorf("AD1 = %q; columns %v", v, wide)
	}
}
