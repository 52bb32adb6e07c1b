package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// insertVersion appends app, as it is about to be replaced, to
// application_versions. The sealed password is left out (an old password
// has no use once the applicant chose another, and is kept nowhere longer
// than needed), and so is the ID number's ciphertext with its key id: the
// keyed hash and the masked copy say whether and how it changed, and a
// version never ties a data key to it (keys rewrap).
func insertVersion(ctx context.Context, tx pgx.Tx, app *domain.Application) error {
	snap := *app
	snap.Account.SealedPassword = nil
	snap.Account.LegalRepID.Ciphertext, snap.Account.LegalRepID.KeyID = nil, ""
	data, err := json.Marshal(&snap)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO application_versions (application_id, version, status, snapshot)
		VALUES ($1, $2, $3, $4) ON CONFLICT (application_id, version) DO NOTHING`,
		app.ID, app.Version, string(app.Status), data)
	return err
}

// Previous returns the application as it was just before its latest
// resubmission replaced it, i.e. as it was rejected, with its accounts,
// units and attachments but without the password; CodeNotFound if it
// was never resubmitted.
func (db *DB) Previous(ctx context.Context, id int64) (*domain.Application, error) {
	var data []byte
	err := db.pool.QueryRow(ctx, `SELECT snapshot FROM application_versions
		WHERE application_id = $1 ORDER BY version DESC LIMIT 1`, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		err = &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldApplication, Reason: "application.no_previous_version"}
	}
	if err != nil {
		return nil, wrapErr("previous", err)
	}
	var app domain.Application
	if err := json.Unmarshal(data, &app); err != nil {
		return nil, wrapErr("previous", fmt.Errorf("snapshot: %w", err))
	}
	return &app, nil
}

// List returns the applications in status (every status if it is empty),
// oldest submission first, at most limit (limit <= 0: all), with their
// accounts, units and attachments.
func (db *DB) List(ctx context.Context, status domain.Status, limit int) ([]*domain.Application, error) {
	apps, err := loadApps(ctx, db.pool, `WHERE ($1 = '' OR status = $1)
		ORDER BY submitted_at, id LIMIT $2`, string(status), limitArg(limit))
	return apps, wrapErr("list", err)
}

// GetByReference returns the application with reference ref (compared
// case-insensitively); CodeNotFound if there is none.
func (db *DB) GetByReference(ctx context.Context, ref string) (*domain.Application, error) {
	apps, err := loadApps(ctx, db.pool, `WHERE reference = $1`, strings.ToUpper(strings.TrimSpace(ref)))
	if err == nil && len(apps) == 0 {
		err = &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldApplication, Reason: "application.not_found"}
	}
	if err != nil {
		return nil, wrapErr("get by reference", err)
	}
	return apps[0], nil
}
