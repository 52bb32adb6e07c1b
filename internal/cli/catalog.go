package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/regbot/regbot/adapters/catalogfile"
	"github.com/regbot/regbot/adapters/postgres"
)

func catalogCommand() Command {
	return Command{
		Name:    "catalog",
		Summary: "import the access catalog (准入目录) from CSV or XLSX into DATABASE_URL",
		Usage: `usage: regbot catalog import FILE.csv|FILE.xlsx

Reads the access catalog (the 经信委 list of enterprises that may register)
and upserts its entries by name into DATABASE_URL. The header row is found
by its column names (企业名称/单位名称/用户名称/企业全称…, 统一社会信用代码/
信用代码/社会信用代码) below any title rows; of a workbook, the first
visible sheet with such a header is read, and the report names any other.

The report names every rejected row and every row stored with a flag, with
the row number the spreadsheet shows and the reason, and ends with the counts:
rows, added, updated, unchanged, rejected, flagged. Rows are rejected for a
missing or unusable name (formulas, line breaks, undecodable text), a name
or credit code that an earlier row has, a credit code that the catalog holds
for another enterprise, or a code that is malformed or lost digits in Excel.
A code failing only its check character is stored and flagged, for the
applicant and the reviewers to see. Running it twice changes nothing the
second time: the rows it stored count as unchanged.`,
		Run: func(ctx context.Context, env Env, args []string) error {
			if len(args) != 2 || args[0] != "import" {
				return usageErrorf("want: catalog import FILE")
			}
			cfg, err := config(env, "DATABASE_URL")
			if err != nil {
				return err
			}
			return importCatalog(ctx, cfg.DatabaseURL, args[1], env.Stdout)
		},
	}
}

// importCatalog reads file and imports its entries into the database at dsn.
func importCatalog(ctx context.Context, dsn, file string, stdout io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := catalogfile.Read(f, filepath.Base(file))
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	imp, err := db.ImportCatalogReport(ctx, res.Entries)
	if err != nil {
		return err
	}
	refused := map[int]string{}
	for _, c := range imp.Conflicts {
		refused[c.Index] = fmt.Sprintf("credit code %s is already in the catalog for %s", res.Entries[c.Index].CreditCode, c.Holder)
	}
	res.Refuse(refused)
	_, err = fmt.Fprintln(stdout, res.Summary(catalogfile.Counts{Added: imp.Added, Updated: imp.Updated, Unchanged: imp.Unchanged}))
	return err
}
