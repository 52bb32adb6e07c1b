package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// This file is the rehydration path: it rebuilds domain.Application values
// from stored rows. It is not a constructor: the rows were valid when they
// were written, so nothing is validated again, and derived columns
// (organization_code, tax_number) are not read back.

// scanApp reads one row of appReadColumns (columns.go).
func scanApp(row pgx.CollectableRow) (*domain.Application, error) {
	var a domain.Application
	if err := row.Scan(appScanTargets(&a)...); err != nil {
		return nil, err
	}
	return &a, nil
}

// loadApps returns the applications selected by tail (a WHERE clause with
// ORDER BY and LIMIT as needed, over the applications table), in that
// order, with their child rows: one query for the rows and one round trip
// for the children of all of them.
func loadApps(ctx context.Context, q querier, tail string, args ...any) ([]*domain.Application, error) {
	rows, err := q.Query(ctx, `SELECT `+appReadColumns+` FROM applications `+tail, args...)
	if err != nil {
		return nil, err
	}
	apps, err := pgx.CollectRows(rows, scanApp)
	if err != nil || len(apps) == 0 {
		return nil, err
	}
	byID := make(map[int64]*domain.Application, len(apps))
	ids := make([]int64, len(apps))
	for i, a := range apps {
		byID[a.ID] = a
		ids[i] = a.ID
	}

	b := &pgx.Batch{}
	b.Queue(`SELECT application_id, number FROM marketing_accounts
		WHERE application_id = ANY($1) ORDER BY application_id, position`, ids).
		Query(func(rows pgx.Rows) error {
			var id int64
			var number string
			_, err := pgx.ForEachRow(rows, []any{&id, &number}, func() error {
				a := byID[id]
				a.Accounts = append(a.Accounts, domain.MarketingAccount{Number: number})
				return nil
			})
			return err
		})
	b.Queue(`SELECT application_id, account_number, metering_point_id, name, address, voltage_code,
			tariff_category, unit_type, high_energy
		FROM units WHERE application_id = ANY($1) ORDER BY application_id, position`, ids).
		Query(func(rows pgx.Rows) error {
			var (
				id     int64
				number string
				u      domain.Unit
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &number, &u.ID, &u.Name, &u.Address, &u.VoltageCode,
				&u.TariffCategory, &u.UnitType, &u.HighEnergy}, func() error {
				a := byID[id]
				for i := range a.Accounts {
					if a.Accounts[i].Number == number {
						a.Accounts[i].Units = append(a.Accounts[i].Units, u)
						break
					}
				}
				return nil
			})
			return err
		})
	b.Queue(`SELECT application_id, kind, file_name, size, sha256, blob_key, file_id, source_sha256
		FROM attachments WHERE application_id = ANY($1) ORDER BY application_id, position`, ids).
		Query(func(rows pgx.Rows) error {
			var (
				id   int64
				kind string
				at   domain.Attachment
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &kind, &at.FileName, &at.Size, &at.SHA256,
				&at.BlobKey, &at.FileID, &at.SourceSHA256}, func() error {
				at.Kind = domain.AttachmentKind(kind)
				a := byID[id]
				a.Attachments = append(a.Attachments, at)
				return nil
			})
			return err
		})
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return apps, nil
}
