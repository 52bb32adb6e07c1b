package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// Credit codes that no sample entry has: valid ones, and one failing only
// its check character.
const (
	codeP      = "91500103000000000M"
	codeQ      = "91500112MA0000015A"
	codeR      = "915001192940021580"
	codeBadSum = "91500103000000000N"
)

func TestImportCatalogIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	sample, err := devstack.SampleCatalog()
	if err != nil {
		t.Fatal(err)
	}
	imp, err := db.ImportCatalogReport(ctx, sample)
	if err != nil || imp.Added != len(sample) || imp.Updated != 0 || imp.Unchanged != 0 || imp.Conflicts != nil {
		t.Fatalf("first import = %+v, %v; want %d added", imp, err, len(sample))
	}
	if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
	imp, err = db.ImportCatalogReport(ctx, sample)
	if err != nil || imp.Added != 0 || imp.Updated != 0 || imp.Unchanged != len(sample) || imp.Conflicts != nil {
		t.Errorf("second import = %+v, %v; want %d unchanged", imp, err, len(sample))
	}

	changed := []domain.CatalogEntry{
		{Name: " 重庆渝新机械制造有限公司 ", CreditCode: " 91500103ma5uaeh71t "}, // same, after normalising
		{Name: "重庆江北精工机械有限公司", CreditCode: ""},                       // code removed
		{Name: "重庆渝中解放碑商业管理有限公司", CreditCode: codeP},                 // code added
		{Name: "重庆新来的钢铁有限公司", CreditCode: "915001"},                  // new, code kept as given
		{Name: "重庆新来的钢铁有限公司", CreditCode: codeQ},                     // later duplicate wins
		{Name: "   "},
	}
	imp, err = db.ImportCatalogReport(ctx, changed)
	want := postgres.CatalogImport{Added: 1, Updated: 2, Unchanged: 1}
	if err != nil || !cmp.Equal(imp, want) {
		t.Errorf("changing import = %+v, %v; want %+v", imp, err, want)
	}
	for name, want := range map[string]string{
		"重庆渝新机械制造有限公司":    "91500103MA5UAEH71T",
		"重庆江北精工机械有限公司":    "",
		"重庆渝中解放碑商业管理有限公司": codeP,
		"重庆新来的钢铁有限公司":     codeQ,
	} {
		got, total, err := db.Search(ctx, name, 0, 1)
		if err != nil || total != 1 || got[0].Name != name || got[0].CreditCode != want {
			t.Errorf("Search(%q) = %+v, %d, %v; want code %q", name, got, total, err, want)
		}
	}
}

// A code failing its check character is stored with a flag that Search
// returns; the flag follows the code, not what the entry says.
func TestImportCatalogFlagsChecksumFailures(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	entries := []domain.CatalogEntry{
		{Name: "重庆早期登记有限公司", CreditCode: strings.ToLower(codeBadSum)},
		{Name: "重庆正常有限公司", CreditCode: codeP, CreditCodeFlagged: true},
		{Name: "重庆格式不对有限公司", CreditCode: "915001"},
		{Name: "重庆无代码有限公司", CreditCodeFlagged: true},
	}
	for run, want := range []postgres.CatalogImport{{Added: 4}, {Unchanged: 4}} {
		imp, err := db.ImportCatalogReport(ctx, entries)
		if err != nil || !cmp.Equal(imp, want) {
			t.Fatalf("import %d = %+v, %v; want %+v", run+1, imp, err, want)
		}
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
	want := map[string]domain.CatalogEntry{
		"重庆早期登记有限公司": {Name: "重庆早期登记有限公司", CreditCode: codeBadSum, CreditCodeFlagged: true},
		"重庆正常有限公司":   {Name: "重庆正常有限公司", CreditCode: codeP},
		"重庆格式不对有限公司": {Name: "重庆格式不对有限公司", CreditCode: "915001", CreditCodeFlagged: true},
		"重庆无代码有限公司":  {Name: "重庆无代码有限公司"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Search (-want +got):\n%s", diff)
	}

	// Correcting the code clears the flag.
	imp, err := db.ImportCatalogReport(ctx, []domain.CatalogEntry{{Name: "重庆早期登记有限公司", CreditCode: codeR}})
	if err != nil || imp.Updated != 1 {
		t.Fatalf("correcting import = %+v, %v", imp, err)
	}
	if page, _, err := db.Search(ctx, "早期登记", 0, 1); err != nil || page[0].CreditCodeFlagged || page[0].CreditCode != codeR {
		t.Errorf("after correction: %+v, %v", page, err)
	}
}

func TestImportCatalogCreditCodeConflicts(t *testing.T) {
	ctx := context.Background()
	const (
		a, b, c, d = "重庆甲有限公司", "重庆乙有限公司", "重庆丙有限公司", "重庆丁有限公司"
	)
	tests := []struct {
		name      string
		catalog   []domain.CatalogEntry // imported first
		entries   []domain.CatalogEntry
		want      postgres.CatalogImport
		wantCodes map[string]string // name → code in the catalog afterwards
	}{
		{
			name:      "code held by another name",
			catalog:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}},
			entries:   []domain.CatalogEntry{{Name: c}, {Name: b, CreditCode: codeP}},
			want:      postgres.CatalogImport{Added: 1, Conflicts: []postgres.CatalogConflict{{Index: 1, Holder: a}}},
			wantCodes: map[string]string{a: codeP, c: ""},
		},
		{
			name:      "same code twice in one import",
			entries:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}, {Name: b, CreditCode: " " + strings.ToLower(codeP)}},
			want:      postgres.CatalogImport{Added: 1, Conflicts: []postgres.CatalogConflict{{Index: 1, Holder: a}}},
			wantCodes: map[string]string{a: codeP},
		},
		{
			name:      "code moves to another name",
			catalog:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}},
			entries:   []domain.CatalogEntry{{Name: b, CreditCode: codeP}, {Name: a, CreditCode: codeQ}},
			want:      postgres.CatalogImport{Added: 1, Updated: 1},
			wantCodes: map[string]string{a: codeQ, b: codeP},
		},
		{
			name:      "code given up by its name",
			catalog:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}},
			entries:   []domain.CatalogEntry{{Name: a}, {Name: b, CreditCode: codeP}},
			want:      postgres.CatalogImport{Added: 1, Updated: 1},
			wantCodes: map[string]string{a: "", b: codeP},
		},
		{
			// Only the deferred unique constraint lets this one through.
			name:      "two names swap codes",
			catalog:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}, {Name: b, CreditCode: codeQ}},
			entries:   []domain.CatalogEntry{{Name: a, CreditCode: codeQ}, {Name: b, CreditCode: codeP}},
			want:      postgres.CatalogImport{Updated: 2},
			wantCodes: map[string]string{a: codeQ, b: codeP},
		},
		{
			name:      "old spelling with spaces renamed",
			catalog:   []domain.CatalogEntry{{Name: "重庆 甲有限公司", CreditCode: codeP}, {Name: "重庆\u3000乙 有限公司"}},
			entries:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}, {Name: b, CreditCode: codeQ}},
			want:      postgres.CatalogImport{Updated: 2},
			wantCodes: map[string]string{a: codeP, b: codeQ},
		},
		{
			name:      "both spellings in the catalog",
			catalog:   []domain.CatalogEntry{{Name: "重庆 甲有限公司", CreditCode: codeP}, {Name: a}},
			entries:   []domain.CatalogEntry{{Name: a, CreditCode: codeP}},
			want:      postgres.CatalogImport{Conflicts: []postgres.CatalogConflict{{Index: 0, Holder: "重庆 甲有限公司"}}},
			wantCodes: map[string]string{"重庆 甲有限公司": codeP, a: ""},
		},
		{
			// b cannot take a's code, so b keeps its own, which c wanted.
			name:    "left out in a chain",
			catalog: []domain.CatalogEntry{{Name: a, CreditCode: codeP}, {Name: b, CreditCode: codeQ}},
			entries: []domain.CatalogEntry{{Name: c, CreditCode: codeQ}, {Name: d, CreditCode: codeR}, {Name: b, CreditCode: codeP}},
			want: postgres.CatalogImport{Added: 1, Conflicts: []postgres.CatalogConflict{
				{Index: 0, Holder: b}, {Index: 2, Holder: a},
			}},
			wantCodes: map[string]string{a: codeP, b: codeQ, d: codeR},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpen(t)
			if _, err := db.ImportCatalogReport(ctx, tt.catalog); err != nil {
				t.Fatal(err)
			}
			imp, err := db.ImportCatalogReport(ctx, tt.entries)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, imp); diff != "" {
				t.Errorf("import (-want +got):\n%s", diff)
			}
			got := map[string]string{}
			page, _, err := db.Search(ctx, "有限公司", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				got[e.Name] = e.CreditCode
			}
			if diff := cmp.Diff(tt.wantCodes, got); diff != "" {
				t.Errorf("catalog afterwards (-want +got):\n%s", diff)
			}
			// Again: nothing changes, and the same entries are left out.
			again, err := db.ImportCatalogReport(ctx, tt.entries)
			if err != nil || again.Added+again.Updated != 0 || !cmp.Equal(again.Conflicts, tt.want.Conflicts) {
				t.Errorf("second import = %+v, %v; want nothing written, conflicts %+v", again, err, tt.want.Conflicts)
			}
		})
	}
}

// ImportCatalog, the counts-only form that devstack uses, leaves entries in
// conflict out too.
func TestImportCatalogCountsOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	added, updated, err := db.ImportCatalog(ctx, []domain.CatalogEntry{
		{Name: "重庆甲有限公司", CreditCode: codeP},
		{Name: "重庆乙有限公司", CreditCode: codeP},
	})
	if err != nil || added != 1 || updated != 0 {
		t.Errorf("ImportCatalog = %d, %d, %v; want 1, 0", added, updated, err)
	}
	if _, total, err := db.Search(ctx, "乙", 0, 1); err != nil || total != 0 {
		t.Errorf("the entry in conflict is in the catalog: %d, %v", total, err)
	}
}

// The migration that added the flag computes it for the rows already
// there exactly as domain.ParseCreditCode judges them, and clears codes that
// earlier imports stored on several names.
func TestCatalogFlagMigration(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	up, down := migrationSections(t, "migrations/00009_catalog_credit_codes.sql")
	if _, err := db.ExecForTest(ctx, down); err != nil {
		t.Fatalf("down: %v", err)
	}

	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []string{codeP, codeQ, codeR, codeBadSum, "915001", "91500103I00000000M", "91500103MA5UAEH71T", "9150010300000000M0"}
	for len(codes) < 300 {
		b := make([]byte, 17)
		for i := range b {
			if i >= 2 && i < 8 {
				b[i] = chars[rng.IntN(10)]
			} else {
				b[i] = chars[rng.IntN(len(chars))]
			}
		}
		code := string(b) + string(chars[rng.IntN(len(chars))])
		switch rng.IntN(4) {
		case 0: // make it valid
			code = string(b) + string(chars[checkValue(string(b))])
		case 1: // a letter where digits belong
			code = code[:3] + "A" + code[4:]
		}
		codes = append(codes, code)
	}
	want := map[string]bool{} // code → flagged
	for i, code := range codes {
		if _, dup := want[code]; dup {
			continue
		}
		_, err := domain.ParseCreditCode(code)
		want[code] = err != nil
		if _, err := db.ExecForTest(ctx, `INSERT INTO catalog (name, credit_code) VALUES ($1, $2)`,
			fmt.Sprintf("重庆旧数据%03d有限公司", i), code); err != nil {
			t.Fatal(err)
		}
	}
	// One code on two names, as the import used to allow.
	for _, name := range []string{"重庆重复甲有限公司", "重庆重复乙有限公司"} {
		if _, err := db.ExecForTest(ctx, `INSERT INTO catalog (name, credit_code) VALUES ($1, '91500000MA5U000000')`, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecForTest(ctx, up); err != nil {
		t.Fatalf("up: %v", err)
	}

	page, total, err := db.Search(ctx, "有限公司", 0, 1000)
	if err != nil || total != len(want)+2 {
		t.Fatalf("Search: %d entries, %v; want %d", total, err, len(want)+2)
	}
	for _, e := range page {
		if strings.HasPrefix(e.Name, "重庆重复") {
			if e.CreditCode != "" || e.CreditCodeFlagged {
				t.Errorf("%s keeps the duplicate code: %+v", e.Name, e)
			}
			continue
		}
		if e.CreditCodeFlagged != want[e.CreditCode] {
			t.Errorf("%s: flagged %v, want %v", e.CreditCode, e.CreditCodeFlagged, want[e.CreditCode])
		}
	}
	if _, err := db.ExecForTest(ctx, `UPDATE catalog SET credit_code = $1 WHERE name = '重庆重复甲有限公司'`, codes[0]); err == nil {
		t.Error("a second name took a code: the unique constraint is missing")
	}
}

// migrationSections returns the Up and Down parts of a goose SQL file.
func migrationSections(t *testing.T, file string) (up, down string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(data), "-- +goose Up\n")
	up, down, ok2 := strings.Cut(rest, "-- +goose Down\n")
	if !ok1 || !ok2 {
		t.Fatalf("%s: no goose Up and Down sections", file)
	}
	return up, down
}

// checkValue returns the GB 32100 check value of the first 17 characters
// of a credit code, written out independently of the domain package.
func checkValue(body string) int {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weight, sum := 1, 0
	for i := range 17 {
		sum += strings.IndexByte(chars, body[i]) * weight
		weight = weight * 3 % 31
	}
	return (31 - sum%31) % 31
}

func TestCatalogSearch(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
	extra := []domain.CatalogEntry{
		{Name: "重庆ABC机械科技有限公司"},
		{Name: "重庆百分之百_机械有限公司"},
	}
	if _, _, err := db.ImportCatalog(ctx, extra); err != nil {
		t.Fatal(err)
	}

	// Page through every 机械 enterprise two at a time.
	var seen []string
	for offset := 0; ; offset += 2 {
		page, total, err := db.Search(ctx, "机械", offset, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 6 {
			t.Errorf("offset %d: total = %d, want 6", offset, total)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if !strings.Contains(e.Name, "机械") || e.ID == 0 {
				t.Errorf("match %+v", e)
			}
			seen = append(seen, e.Name)
		}
	}
	if len(seen) != 6 || len(uniq(seen)) != 6 {
		t.Errorf("paged matches %v; want 6 distinct", seen)
	}

	// The closest match comes first.
	page, _, err := db.Search(ctx, "渝新机械制造", 0, 10)
	if err != nil || len(page) != 1 || page[0].Name != "重庆渝新机械制造有限公司" {
		t.Errorf("Search(渝新机械制造) = %+v, %v", page, err)
	}
	page, _, err = db.Search(ctx, "机械制造有限公司", 0, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("Search(机械制造有限公司) = %+v, %v", page, err)
	}
	if page[0].Name != "重庆渝新机械制造有限公司" { // shorter than 重庆开州汉丰机械制造有限公司
		t.Errorf("Search(机械制造有限公司) ranks %s first", page[0].Name)
	}
	if page[0].CreditCode != "91500103MA5UAEH71T" || page[0].CreditCodeFlagged {
		t.Errorf("credit code %q (flagged %v), want the catalog's, unflagged", page[0].CreditCode, page[0].CreditCodeFlagged)
	}

	for _, tc := range []struct {
		keyword string
		want    []string
	}{
		{"abc", []string{"重庆ABC机械科技有限公司"}},  // case-insensitive
		{"  秀山锰业 ", []string{"重庆秀山锰业有限公司"}}, // trimmed
		{"_", []string{"重庆百分之百_机械有限公司"}},    // _ is no wildcard
		{"%", nil}, // nor is %
		{"不存在的企业", nil},
	} {
		page, total, err := db.Search(ctx, tc.keyword, 0, 10)
		var got []string
		for _, e := range page {
			got = append(got, e.Name)
		}
		if err != nil || total != len(tc.want) || !cmp.Equal(got, tc.want) {
			t.Errorf("Search(%q) = %v, %d, %v; want %v", tc.keyword, got, total, err, tc.want)
		}
	}

	if page, total, err := db.Search(ctx, "机械", 0, 0); err != nil || page != nil || total != 6 {
		t.Errorf("Search with limit 0 = %v, %d, %v; want only the total 6", page, total, err)
	}
}

func uniq(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}
