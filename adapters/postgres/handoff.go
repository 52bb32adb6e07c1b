package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// The hand-off to the exchange (export, provisioning), the applicant's
// withdrawal and the erasure of personal data. Every change here appends a
// row to audit_log in its own transaction.

// Actors of audit rows that are not operators.
const (
	ActorApplicant = "applicant" // the applicant, in the chat
)

// ToExport lists the approved applications not exported yet, oldest first.
func (db *DB) ToExport(ctx context.Context) ([]*domain.Application, error) {
	apps, err := loadApps(ctx, db.pool, `WHERE status = 'approved' AND exported_at IS NULL ORDER BY id`)
	return apps, wrapErr("to export", err)
}

// MarkExported records that the applications ids were exported by
// operator: exported_at where it is not set yet, and one audit row each
// (action "export", detail: the format and the run). One transaction.
func (db *DB) MarkExported(ctx context.Context, ids []int64, operator, detail string) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE applications SET exported_at = now() WHERE id = ANY($1) AND exported_at IS NULL`, ids); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, application_id, detail)
			SELECT $2, 'export', id, $3 FROM unnest($1::bigint[]) AS id`, ids, operator, detail)
		return err
	})
	return wrapErr("mark exported", err)
}

// Audit appends an audit row about application appID (0: none).
func (db *DB) Audit(ctx context.Context, appID int64, actor, action, detail string) error {
	var app any
	if appID != 0 {
		app = appID
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO audit_log (actor, action, application_id, detail) VALUES ($1, $2, $3, $4)`,
		actor, action, app, detail)
	return wrapErr("audit", err)
}

// AuditTrail returns the audit rows of an application, oldest first.
func (db *DB) AuditTrail(ctx context.Context, appID int64) ([]domain.AuditEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT at, actor, action, coalesce(application_id, 0), detail
		FROM audit_log WHERE application_id = $1 ORDER BY id`, appID)
	if err != nil {
		return nil, wrapErr("audit trail", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.AuditEntry, error) {
		var e domain.AuditEntry
		err := r.Scan(&e.At, &e.Actor, &e.Action, &e.ApplicationID, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	return entries, wrapErr("audit trail", err)
}

// Provision records that the exchange created the account of application
// id on its platform (status provisioned, the platform's id, the time),
// erases its sealed password, appends the audit row and records the
// applicant's notice (review.NoticeProvisioned) and the one that edits the
// review group's cards (review.NoticeCards), in one transaction. An
// application provisioned already is returned as it is with changed=false.
// Errors: CodeNotFound; CodeConflict (field status) when it is not
// approved.
func (db *DB) Provision(ctx context.Context, id int64, platformID, operator string) (app *domain.Application, changed bool, err error) {
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if app, err = lockApp(ctx, tx, id); err != nil {
			return err
		}
		if app.Status == domain.StatusProvisioned {
			return nil
		}
		if err := app.Provision(time.Now(), platformID); err != nil {
			return err
		}
		changed = true
		err := tx.QueryRow(ctx, `UPDATE applications SET status = 'provisioned', provisioned_at = now(),
			platform_id = $2, password_sealed = NULL, version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING version, provisioned_at`, id, platformID).Scan(&app.Version, &app.ProvisionedAt)
		if err != nil {
			return err
		}
		app.ProvisionedAt = app.ProvisionedAt.UTC()
		detail := "platform id " + platformID
		if platformID == "" {
			detail = "no platform id given"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, application_id, detail)
			VALUES ($1, 'provisioned', $2, $3)`, operator, id, detail); err != nil {
			return err
		}
		// The applicant's notice, and the group's cards.
		_, err = tx.Exec(ctx, `INSERT INTO notices (kind, application_id, app_version) VALUES ($1, $2, $3), ($4, $2, $3)`,
			string(review.NoticeProvisioned), id, app.Version, string(review.NoticeCards))
		return err
	})
	if err != nil {
		return nil, false, wrapErr("provision", err)
	}
	return app, changed, nil
}

// Withdraw takes back application id for its applicant in chat chatID, if
// it is not decided yet: status withdrawn, an audit row, and the review
// group's notice (review.NoticeWithdrawn, which updates its cards), in one
// transaction. Errors: CodeNotFound (also for another chat's application);
// CodeConflict (field status) when it is no longer open.
func (db *DB) Withdraw(ctx context.Context, id, chatID int64) (*domain.Application, error) {
	var app *domain.Application
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		if app, err = lockApp(ctx, tx, id); err != nil {
			return err
		}
		if app.ChatID != chatID {
			return notFound()
		}
		if err := app.Withdraw(); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE applications SET status = 'withdrawn', version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING version`, id).Scan(&app.Version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, application_id) VALUES ($1, 'withdrawn', $2)`,
			ActorApplicant, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO notices (kind, application_id, app_version) VALUES ($1, $2, $3)`,
			string(review.NoticeWithdrawn), id, app.Version)
		return err
	})
	if err != nil {
		return nil, wrapErr("withdraw", err)
	}
	return app, nil
}

// Erase replaces the personal data of application id by tombstones
// (domain.Application.Erase: the columns of the fields marked Personal),
// deletes its documents (and their bytes where nothing else refers to
// them) and replaces every earlier version's content. The reference,
// status, decisions and audit rows stay, and an audit row by actor says it
// happened. purge allows a provisioned application too (the operator's
// purge after its retention). Erasing an erased application changes
// nothing (erased=false). Errors: CodeNotFound; CodeConflict (field
// status) for a status that does not allow it.
func (db *DB) Erase(ctx context.Context, id int64, actor string, purge bool) (erased bool, err error) {
	return db.erase(ctx, id, 0, actor, purge)
}

// EraseApplication is the applicant's erasure (/delete) of application id
// of chat chatID: Erase by ActorApplicant, of a rejected or withdrawn
// application only. Another chat's application is CodeNotFound.
func (db *DB) EraseApplication(ctx context.Context, id, chatID int64) (erased bool, err error) {
	return db.erase(ctx, id, chatID, ActorApplicant, false)
}

// erase is Erase, of an application of chat chatID only unless it is 0.
func (db *DB) erase(ctx context.Context, id, chatID int64, actor string, purge bool) (erased bool, err error) {
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		app, err := lockApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if chatID != 0 && app.ChatID != chatID {
			return notFound()
		}
		if !app.ErasedAt.IsZero() {
			return nil
		}
		if err := app.Erase(time.Now(), purge); err != nil {
			return err
		}
		erased = true
		if _, err := tx.Exec(ctx, eraseAppSQL, append(erasedValues(app), id)...); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `DELETE FROM attachments WHERE application_id = $1 RETURNING blob_key`, id)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM blobs WHERE key = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_key = blobs.key)`, keys); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE application_versions SET snapshot = '{"erased": true}'::jsonb
			WHERE application_id = $1 AND snapshot <> '{"erased": true}'::jsonb`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor, action, application_id) VALUES ($1, 'erased', $2)`, actor, id)
		return err
	})
	return erased, wrapErr("erase", err)
}

// ToPurge lists the applications whose personal data a purge erases: not
// erased yet, rejected, withdrawn or provisioned, and unchanged since
// before.
func (db *DB) ToPurge(ctx context.Context, before time.Time) ([]*domain.Application, error) {
	apps, err := loadApps(ctx, db.pool, `WHERE erased_at IS NULL AND status IN ('rejected', 'withdrawn', 'provisioned')
		AND updated_at < $1 ORDER BY id`, before)
	return apps, wrapErr("to purge", err)
}

// lockApp loads application id FOR UPDATE within tx.
func lockApp(ctx context.Context, tx pgx.Tx, id int64) (*domain.Application, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM applications WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	return getApp(ctx, tx, id)
}

func notFound() error {
	return &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldApplication, Reason: "application.not_found"}
}

// AddCard records that message messageID of chat chatID shows application
// appID (its card in the review group). Recording it again changes nothing.
func (db *DB) AddCard(ctx context.Context, appID, chatID int64, messageID int) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO review_cards (application_id, chat_id, message_id) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, appID, chatID, messageID)
	return wrapErr("add card", err)
}

// Cards returns the recorded cards of application appID, oldest first.
func (db *DB) Cards(ctx context.Context, appID int64) ([]review.Card, error) {
	rows, err := db.pool.Query(ctx, `SELECT chat_id, message_id FROM review_cards WHERE application_id = $1
		ORDER BY shown_at, message_id`, appID)
	if err != nil {
		return nil, wrapErr("cards", err)
	}
	cards, err := pgx.CollectRows(rows, pgx.RowToStructByPos[review.Card])
	return cards, wrapErr("cards", err)
}
