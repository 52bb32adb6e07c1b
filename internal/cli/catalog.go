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
and upserts its entries by name into DATABASE_URL. The report counts the
rows added, updated and rejected, naming each rejected row with its reason.
Running it twice changes nothing the second time.`,
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
	added, updated, err := db.ImportCatalog(ctx, res.Entries)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, res.Summary(added, updated))
	return err
}
