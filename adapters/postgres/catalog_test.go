package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

func TestImportCatalogIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	sample, err := devstack.SampleCatalog()
	if err != nil {
		t.Fatal(err)
	}
	added, updated, err := db.ImportCatalog(ctx, sample)
	if err != nil || added != len(sample) || updated != 0 {
		t.Fatalf("first import = %d added, %d updated, %v; want %d, 0", added, updated, err, len(sample))
	}
	if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
	added, updated, err = db.ImportCatalog(ctx, sample)
	if err != nil || added != 0 || updated != 0 {
		t.Errorf("second import = %d added, %d updated, %v; want 0, 0", added, updated, err)
	}

	changed := []domain.CatalogEntry{
		{Name: " 重庆渝新机械制造有限公司 ", CreditCode: " 91500103ma5uaeh71t "}, // same, after normalising
		{Name: "重庆江北精工机械有限公司", CreditCode: ""},                       // code removed
		{Name: "重庆渝中解放碑商业管理有限公司", CreditCode: "91500103MA5UAEH71T"},  // code added
		{Name: "重庆新来的钢铁有限公司", CreditCode: "915001"},                  // new, code kept as given
		{Name: "重庆新来的钢铁有限公司", CreditCode: "91500113MA61E47D74"},      // later duplicate wins
		{Name: "   "},
	}
	added, updated, err = db.ImportCatalog(ctx, changed)
	if err != nil || added != 1 || updated != 2 {
		t.Errorf("changing import = %d added, %d updated, %v; want 1, 2", added, updated, err)
	}
	for name, want := range map[string]string{
		"重庆渝新机械制造有限公司":    "91500103MA5UAEH71T",
		"重庆江北精工机械有限公司":    "",
		"重庆渝中解放碑商业管理有限公司": "91500103MA5UAEH71T",
		"重庆新来的钢铁有限公司":     "91500113MA61E47D74",
	} {
		got, total, err := db.Search(ctx, name, 0, 1)
		if err != nil || total != 1 || got[0].Name != name || got[0].CreditCode != want {
			t.Errorf("Search(%q) = %+v, %d, %v; want code %q", name, got, total, err, want)
		}
	}
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
	if page[0].CreditCode != "91500103MA5UAEH71T" {
		t.Errorf("credit code %q, want the catalog's", page[0].CreditCode)
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
