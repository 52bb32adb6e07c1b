package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// chinaTime is the zone of the date in a reference number (China has had no
// daylight saving time since 1991, so a fixed offset needs no tzdata).
var chinaTime = time.FixedZone("CST", 8*60*60)

// Reference returns the reference number of application id submitted at t:
// CQ-<date in China>-<id, at least 6 digits>, e.g. CQ-20261125-000123.
func Reference(id int64, t time.Time) string {
	return fmt.Sprintf("CQ-%s-%06d", t.In(chinaTime).Format("20060102"), id)
}

// Submit stores app, whose status must be submitted or resubmitted, in one
// transaction. A resubmission (status resubmitted with a non-zero ID)
// overwrites the rejected application of that ID, its child rows included,
// and increments its version; the reference stays. Every other submission
// inserts a new application. Either way the submission key is stored on the
// row: a second call with the same key (the latest key of an application)
// changes nothing and returns that application's ID and reference with
// created=false. On success app.ID, app.Reference and app.Version are set to
// the stored values. A call that creates the submission also records its
// notice for the review group (notices.go) in the same transaction; a
// replay records none.
//
// Errors: CodeInvalid if app is incomplete or not in a submitted status;
// CodeConflict, field domain.FieldLoginName, if another active application holds the
// login name (case-insensitively); CodeConflict, field domain.FieldStatus, when
// resubmitting an application that is not rejected; CodeNotFound when
// resubmitting an unknown ID. The attachments' blobs must have been stored
// (Blobs.Put) before.
func (db *DB) Submit(ctx context.Context, key string, app *domain.Application) (id int64, ref string, created bool, err error) {
	const op = "submit"
	if err := checkSubmittable(key, app); err != nil {
		return 0, "", false, wrapErr(op, err)
	}
	submittedAt := app.SubmittedAt
	if submittedAt.IsZero() {
		submittedAt = time.Now()
	}
	for attempt := 1; ; attempt++ {
		err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if app.Status == domain.StatusResubmitted && app.ID != 0 {
				id, ref, created, err = resubmit(ctx, tx, key, app, submittedAt)
			} else {
				id, ref, created, err = insertApp(ctx, tx, key, app, submittedAt)
			}
			return err
		})
		// Two replicas submitting the same draft at once (one update
		// delivered to both) can deadlock on the unique indexes: the loser
		// tries again and finds the winner's row by its key.
		if code, _ := pgCode(err); (code != "40P01" && code != "40001") || attempt == 3 {
			break
		}
	}
	if err == nil {
		// The review buttons carry the version, so the caller needs it.
		var version int
		if err := db.pool.QueryRow(ctx, `SELECT version FROM applications WHERE id = $1`, id).Scan(&version); err != nil {
			return 0, "", false, wrapErr(op, err)
		}
		app.ID, app.Reference, app.Version = id, ref, version
		return id, ref, created, nil
	}
	code, constraint := pgCode(err)
	switch {
	case code == sqlUniqueViolation && constraint == "applications_login_name_active":
		// A double submission racing with itself can lose on the login name
		// index before it sees the other's submission key: look again.
		if id, ref, ok, err2 := findByKey(ctx, db.pool, key); err2 == nil && ok {
			return id, ref, false, nil
		}
		err = &domain.Error{Code: domain.CodeConflict, Field: domain.FieldLoginName, Reason: "loginname.taken", Err: err}
	case code == sqlUniqueViolation && constraint == "applications_submission_key_key":
		err = &domain.Error{Code: domain.CodeConflict, Field: domain.FieldSubmissionKey, Reason: "submission.key_reused", Err: err}
	case code == sqlForeignKeyViolation && constraint == "applications_region_code_fkey":
		err = &domain.Error{Code: domain.CodeInvalid, Field: domain.FieldRegion, Reason: "region.unknown", Err: err}
	}
	return 0, "", false, wrapErr(op, err)
}

func checkSubmittable(key string, app *domain.Application) error {
	if key == "" {
		return &domain.Error{Code: domain.CodeInvalid, Field: domain.FieldSubmissionKey, Reason: "submission.key_missing"}
	}
	if app.Status != domain.StatusSubmitted && app.Status != domain.StatusResubmitted {
		return domain.Errorf(domain.CodeInvalid, domain.FieldStatus, "application.not_submitted", "store in status %q", app.Status)
	}
	if err := app.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range app.Accounts {
		if seen[m.Number] {
			return &domain.Error{Code: domain.CodeInvalid, Field: domain.FieldUnits, Reason: "application.duplicate_account"}
		}
		seen[m.Number] = true
	}
	return nil
}

func insertApp(ctx context.Context, tx pgx.Tx, key string, app *domain.Application, submittedAt time.Time) (int64, string, bool, error) {
	var id int64
	err := tx.QueryRow(ctx, insertAppSQL, appWriteValues(key, app, submittedAt)...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		id, ref, ok, err := findByKey(ctx, tx, key)
		if err == nil && !ok {
			err = errors.New("submission key conflict without a row")
		}
		return id, ref, false, err
	}
	if err != nil {
		return 0, "", false, err
	}
	ref := Reference(id, submittedAt)
	b := &pgx.Batch{}
	b.Queue(`UPDATE applications SET reference = $2 WHERE id = $1`, id, ref)
	queueChildren(b, id, app)
	queueSubmittedNotice(b, id, app.Status)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, "", false, err
	}
	return id, ref, true, nil
}

func resubmit(ctx context.Context, tx pgx.Tx, key string, app *domain.Application, submittedAt time.Time) (int64, string, bool, error) {
	// The key may be the one this application was first submitted with
	// (the caller reused it); then it does not mark a done resubmission.
	var (
		prevID     int64
		prevRef    string
		prevStatus string
	)
	err := tx.QueryRow(ctx, `SELECT id, reference, status FROM applications WHERE submission_key = $1`, key).
		Scan(&prevID, &prevRef, &prevStatus)
	switch {
	case err == nil && (prevID != app.ID || prevStatus != string(domain.StatusRejected)):
		return prevID, prevRef, false, nil
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return 0, "", false, err
	}

	// The content being replaced goes to the history (application_versions);
	// the row lock keeps it what the UPDATE below replaces.
	var old *domain.Application
	if _, err := tx.Exec(ctx, `SELECT 1 FROM applications WHERE id = $1 FOR UPDATE`, app.ID); err != nil {
		return 0, "", false, err
	}
	old, err = getApp(ctx, tx, app.ID)
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		return 0, "", false, err
	}

	var ref string
	args := append(appWriteValues(key, app, submittedAt), app.ID)
	err = tx.QueryRow(ctx, resubmitAppSQL, args...).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		// Lost a race with the same resubmission, or not rejected (any more).
		if id, ref, ok, err := findByKey(ctx, tx, key); err != nil || ok {
			return id, ref, false, err
		}
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM applications WHERE id = $1`, app.ID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, "", false, &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldApplication, Reason: "application.not_found"}
		}
		if err != nil {
			return 0, "", false, err
		}
		return 0, "", false, domain.Errorf(domain.CodeConflict, domain.FieldStatus, "application.not_rejected", "resubmit in status %s", status)
	}
	if err != nil {
		return 0, "", false, err
	}
	if old != nil {
		if err := insertVersion(ctx, tx, old); err != nil {
			return 0, "", false, err
		}
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM attachments WHERE application_id = $1`, app.ID)
	b.Queue(`DELETE FROM marketing_accounts WHERE application_id = $1`, app.ID) // cascades to units
	queueChildren(b, app.ID, app)
	queueSubmittedNotice(b, app.ID, app.Status)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, "", false, err
	}
	return app.ID, ref, true, nil
}

// queueChildren queues the inserts of app's accounts, units and attachments.
func queueChildren(b *pgx.Batch, id int64, app *domain.Application) {
	pos := 0
	for i, m := range app.Accounts {
		b.Queue(`INSERT INTO marketing_accounts (application_id, position, number) VALUES ($1, $2, $3)`,
			id, i, m.Number)
		for _, u := range m.Units {
			b.Queue(`INSERT INTO units (application_id, account_number, position, metering_point_id, name,
				address, voltage_code, tariff_category, unit_type, high_energy)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				id, m.Number, pos, u.ID, u.Name, u.Address, u.VoltageCode, u.TariffCategory, u.UnitType, u.HighEnergy)
			pos++
		}
	}
	for i, at := range app.Attachments {
		b.Queue(`INSERT INTO attachments (application_id, position, kind, file_name, size, sha256, blob_key, file_id, source_sha256)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			id, i, string(at.Kind), at.FileName, at.Size, at.SHA256, at.BlobKey, at.FileID, at.SourceSHA256)
	}
}

// queueSubmittedNotice queues the review group's notice of a submission
// this transaction created (a replay finds the row by its key and adds
// none), at the version the transaction leaves the application in.
func queueSubmittedNotice(b *pgx.Batch, id int64, status domain.Status) {
	kind := review.NoticeSubmitted
	if status == domain.StatusResubmitted {
		kind = review.NoticeResubmitted
	}
	b.Queue(`INSERT INTO notices (kind, application_id, app_version)
		SELECT $2, id, version FROM applications WHERE id = $1`, id, string(kind))
}

func findByKey(ctx context.Context, q querier, key string) (id int64, ref string, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT id, reference FROM applications WHERE submission_key = $1`, key).Scan(&id, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", false, nil
	}
	return id, ref, err == nil, err
}

// LoginNameTaken reports whether an application that is not rejected or
// withdrawn holds loginName, case-insensitively.
func (db *DB) LoginNameTaken(ctx context.Context, loginName string) (bool, error) {
	var taken bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM applications
		WHERE lower(login_name) = lower($1) AND status NOT IN ('rejected', 'withdrawn'))`, loginName).Scan(&taken)
	return taken, wrapErr("login name taken", err)
}

// Get returns the application with its accounts, units and attachments;
// CodeNotFound if there is none.
func (db *DB) Get(ctx context.Context, id int64) (*domain.Application, error) {
	app, err := getApp(ctx, db.pool, id)
	return app, wrapErr("get", err)
}

func getApp(ctx context.Context, q querier, id int64) (*domain.Application, error) {
	apps, err := loadApps(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return nil, &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldApplication, Reason: "application.not_found"}
	}
	return apps[0], nil
}

// FindByChat returns the latest application submitted from chatID;
// CodeNotFound if there is none.
func (db *DB) FindByChat(ctx context.Context, chatID int64) (*domain.Application, error) {
	apps, err := loadApps(ctx, db.pool, `WHERE chat_id = $1 ORDER BY id DESC LIMIT 1`, chatID)
	if err == nil && len(apps) == 0 {
		err = &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldApplication, Reason: "application.not_found"}
	}
	if err != nil {
		return nil, wrapErr("find by chat", err)
	}
	return apps[0], nil
}

// Pending lists the open (submitted or resubmitted) applications, oldest
// submission first; limit <= 0 lists all.
func (db *DB) Pending(ctx context.Context, limit int) ([]*domain.Application, error) {
	apps, err := loadApps(ctx, db.pool, `WHERE status IN ('submitted', 'resubmitted')
		ORDER BY submitted_at, id LIMIT $1`, limitArg(limit))
	return apps, wrapErr("pending", err)
}

// Find lists up to limit applications (limit <= 0: all) whose enterprise
// name, login name, credit code or reference contains keyword,
// case-insensitively, latest submission first.
func (db *DB) Find(ctx context.Context, keyword string, limit int) ([]*domain.Application, error) {
	keyword = strings.TrimSpace(keyword)
	if keyword == "" {
		return nil, nil
	}
	apps, err := loadApps(ctx, db.pool, `WHERE enterprise_name ILIKE $1 ESCAPE '\'
		OR login_name ILIKE $1 ESCAPE '\' OR credit_code ILIKE $1 ESCAPE '\' OR reference ILIKE $1 ESCAPE '\'
		ORDER BY submitted_at DESC, id DESC LIMIT $2`, likePattern(keyword), limitArg(limit))
	return apps, wrapErr("find", err)
}

func limitArg(limit int) any {
	if limit <= 0 {
		return nil // LIMIT NULL: no limit
	}
	return limit
}

// Decide records d on application d.ApplicationID and moves it to approved
// or rejected, if it is still open at version, and records the applicant's
// notice of it and the notice that edits the review group's cards
// (review.NoticeCards) in the same transaction. A rejection needs a reason
// (CodeInvalid otherwise). If the application is no longer open at version
// it returns the application as it is, the first decision taken on or after
// that version (zero if none) and CodeConflict; CodeNotFound if there is no
// such application.
func (db *DB) Decide(ctx context.Context, version int, d domain.Decision) (*domain.Application, domain.Decision, error) {
	const op = "decide"
	// Validate the verdict and reason, and learn the target status, before
	// touching the database; the status check itself is the UPDATE's.
	probe := domain.Application{Status: domain.StatusSubmitted}
	if err := probe.Apply(d); err != nil {
		return nil, domain.Decision{}, wrapErr(op, err)
	}
	var (
		app   *domain.Application
		first domain.Decision
	)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE applications SET status = $3, version = version + 1, updated_at = now()
			WHERE id = $1 AND version = $2 AND status IN ('submitted', 'resubmitted')`,
			d.ApplicationID, version, string(probe.Status))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if app, err = getApp(ctx, tx, d.ApplicationID); err != nil {
				return err
			}
			// The decision that made version stale, or else, for a
			// decided application, the one that closed it.
			ds, err := loadDecisions(ctx, tx, `WHERE application_id = $1 AND app_version >= $2
				ORDER BY id LIMIT 1`, d.ApplicationID, version)
			if err == nil && len(ds) == 0 && !app.Status.Open() {
				ds, err = loadDecisions(ctx, tx, `WHERE application_id = $1 ORDER BY id DESC LIMIT 1`, d.ApplicationID)
			}
			if err != nil {
				return err
			}
			reason := "decision.already_decided"
			if len(ds) > 0 {
				first = ds[0]
			} else if app.Status.Open() {
				reason = "decision.stale_version"
			}
			return domain.Errorf(domain.CodeConflict, domain.FieldStatus, reason,
				"decide at version %d, application at version %d in status %s", version, app.Version, app.Status)
		}
		var decisionID int64
		err = tx.QueryRow(ctx, `INSERT INTO review_decisions
			(application_id, app_version, verdict, reviewer_id, reviewer_name, reason, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now())) RETURNING id, decided_at`,
			d.ApplicationID, version, string(d.Verdict), d.ReviewerID, d.ReviewerName, d.Reason,
			nullTime(d.DecidedAt)).Scan(&decisionID, &d.DecidedAt)
		if err != nil {
			return err
		}
		// The applicant's notice and the group's cards, committed with
		// the decision.
		_, err = tx.Exec(ctx, `INSERT INTO notices (kind, application_id, app_version, decision_id)
			VALUES ($1, $2, $3, $4), ($5, $2, $3, NULL)`, string(review.NoticeDecided), d.ApplicationID, version, decisionID,
			string(review.NoticeCards))
		if err != nil {
			return err
		}
		d.DecidedAt = d.DecidedAt.UTC()
		app, err = getApp(ctx, tx, d.ApplicationID)
		return err
	})
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeConflict {
			return app, first, wrapErr(op, err)
		}
		return nil, domain.Decision{}, wrapErr(op, err)
	}
	return app, d, nil
}

// Decisions returns the audit trail of an application, oldest first.
func (db *DB) Decisions(ctx context.Context, appID int64) ([]domain.Decision, error) {
	ds, err := loadDecisions(ctx, db.pool, `WHERE application_id = $1 ORDER BY id`, appID)
	return ds, wrapErr("decisions", err)
}

func loadDecisions(ctx context.Context, q querier, where string, args ...any) ([]domain.Decision, error) {
	rows, err := q.Query(ctx, `SELECT application_id, verdict, reviewer_id, reviewer_name, reason, decided_at
		FROM review_decisions `+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Decision, error) {
		var d domain.Decision
		var verdict string
		err := row.Scan(&d.ApplicationID, &verdict, &d.ReviewerID, &d.ReviewerName, &d.Reason, &d.DecidedAt)
		d.Verdict = domain.Verdict(verdict)
		d.DecidedAt = d.DecidedAt.UTC()
		return d, err
	})
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func notNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
