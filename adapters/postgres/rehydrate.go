package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// This file is the rehydration path: it rebuilds domain.Application values
// from stored rows. It is not a constructor: the rows were valid when they
// were written, so nothing is validated again, and derived columns
// (organization_code, tax_number) are not read back.

const appReadColumns = `id, coalesce(reference, ''), status, version, chat_id, member_type, notice_accepted_at,
	login_name, user_name, legal_rep_id_key_id, legal_rep_id_cipher, legal_rep_id_hash, legal_rep_id_masked,
	password_hash,
	enterprise_name, credit_code, credit_code_flagged, legal_rep_name, registered_capital,
	founded_on, business_term_until, business_term_open, industry, user_type, coalesce(region_code, ''),
	registered_address,
	bank_name, bank_account_name, bank_account_number,
	contact_person, contact_position, mobile, email, landline, fax, mailing_address, postcode,
	submitted_at`

// scanApp reads one row of appReadColumns.
func scanApp(row pgx.CollectableRow) (*domain.Application, error) {
	var (
		a                            domain.Application
		status, memberType, userType string
		noticeAt, foundedOn, until   *time.Time
	)
	err := row.Scan(&a.ID, &a.Reference, &status, &a.Version, &a.ChatID, &memberType, &noticeAt,
		&a.Account.LoginName, &a.Account.UserName, &a.Account.LegalRepID.KeyID,
		&a.Account.LegalRepID.Ciphertext, &a.Account.LegalRepID.Hash, &a.Account.LegalRepID.Masked,
		&a.Account.PasswordHash,
		&a.Basic.EnterpriseName, &a.Basic.CreditCode, &a.Basic.CreditCodeFlagged, &a.Basic.LegalRepName,
		&a.Basic.RegisteredCapital, &foundedOn, &until, &a.Basic.BusinessTermOpen, &a.Basic.Industry,
		&userType, &a.Basic.RegionCode, &a.Basic.RegisteredAddress,
		&a.Business.BankName, &a.Business.AccountName, &a.Business.AccountNumber,
		&a.Contact.Person, &a.Contact.Position, &a.Contact.Mobile, &a.Contact.Email, &a.Contact.Landline,
		&a.Contact.Fax, &a.Contact.MailingAddress, &a.Contact.Postcode,
		&a.SubmittedAt)
	if err != nil {
		return nil, err
	}
	a.Status = domain.Status(status)
	a.MemberType = domain.MemberType(memberType)
	a.Basic.UserType = domain.UserType(userType)
	a.NoticeAccepted = utcOrZero(noticeAt)
	a.Basic.FoundedOn = utcOrZero(foundedOn)
	a.Basic.BusinessTermUntil = utcOrZero(until)
	a.SubmittedAt = a.SubmittedAt.UTC()
	a.Account.LegalRepID.Ciphertext = nilIfEmpty(a.Account.LegalRepID.Ciphertext)
	a.Account.LegalRepID.Hash = nilIfEmpty(a.Account.LegalRepID.Hash)
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
	b.Queue(`SELECT application_id, kind, file_name, size, sha256, blob_key, file_id
		FROM attachments WHERE application_id = ANY($1) ORDER BY application_id, position`, ids).
		Query(func(rows pgx.Rows) error {
			var (
				id   int64
				kind string
				at   domain.Attachment
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &kind, &at.FileName, &at.Size, &at.SHA256,
				&at.BlobKey, &at.FileID}, func() error {
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

func utcOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
