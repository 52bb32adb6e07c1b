package devstack

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/regbot/regbot/domain"
)

//go:embed sample_catalog.csv
var sampleCatalog []byte

// SampleCatalog returns the embedded sample access catalog: fictional
// Chongqing enterprises, most with valid credit codes, one whose code fails
// its checksum and two without a code.
func SampleCatalog() ([]domain.CatalogEntry, error) {
	r := csv.NewReader(bytes.NewReader(sampleCatalog))
	r.FieldsPerRecord = 2
	var entries []domain.CatalogEntry
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("devstack: sample catalog: %w", err)
		}
		if line == 1 {
			continue // header: name,credit_code
		}
		entries = append(entries, domain.CatalogEntry{Name: rec[0], CreditCode: rec[1]})
	}
}

// CatalogImporter is the access catalog's store (adapters/postgres.DB).
type CatalogImporter interface {
	ImportCatalog(ctx context.Context, entries []domain.CatalogEntry) (added, updated int, err error)
}

// LoadSampleCatalog imports SampleCatalog into db (idempotently), for local
// runs, demos, the load tool and tests.
func LoadSampleCatalog(ctx context.Context, db CatalogImporter) error {
	entries, err := SampleCatalog()
	if err != nil {
		return err
	}
	_, _, err = db.ImportCatalog(ctx, entries)
	return err
}
