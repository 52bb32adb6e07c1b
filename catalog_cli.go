package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/regbot/regbot/adapters/catalogfile"
	"github.com/regbot/regbot/adapters/postgres"
)

// catalogCommand runs `regbot catalog import FILE`: it reads the access
// catalog (CSV or XLSX), upserts its entries by name, and reports rows
// added, updated and rejected with reasons. Running it twice changes
// nothing the second time.
func catalogCommand(ctx context.Context, args []string, cfg Config, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "import" {
		return errors.New("usage: regbot catalog import FILE.csv|FILE.xlsx")
	}
	if cfg.DatabaseURL == "" {
		return errors.New("catalog import: DATABASE_URL is required")
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := catalogfile.Read(f, filepath.Base(args[1]))
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
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
