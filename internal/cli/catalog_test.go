package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbot/regbot/adapters/postgres"
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
	for _, want := range []string{"added: 2", "rejected: 3", "row 4", "row 5", "row 6"} {
		if !strings.Contains(first, want) {
			t.Errorf("report lacks %q:\n%s", want, first)
		}
	}
	out.Reset()
	if err := importCatalog(ctx, dsn, file, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "added: 0") {
		t.Errorf("second import added rows:\n%s", out.String())
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
	if out, errOut, code := runCLI(getenv, "catalog", "import", file); code != 0 || !strings.Contains(out, "added: 0") {
		t.Errorf("catalog import through the command line: exit %d, %q %q", code, out, errOut)
	}
}
