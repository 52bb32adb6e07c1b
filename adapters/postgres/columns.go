package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/regbot/regbot/domain"
)

// appColumn is one column of the applications table: the field of the form
// it stores (if it stores one), the value Submit writes and where a load
// reads it. Each column is named once, here: the INSERT, the resubmission's
// UPDATE and the SELECT of loadApps are built from appColumns.
type appColumn struct {
	name  string
	field domain.Field
	// write returns the value Submit writes; nil: never written (the id,
	// the reference and the version are the database's).
	write func(w *appWrite) any
	// read returns the scan target of a load; nil: never read back
	// (derived columns, the submission key).
	read func(a *domain.Application) any
	// expr is what the SELECT reads, when not the column itself.
	expr string
}

// appWrite is what Submit writes: the application, its submission key and
// the time of the submission.
type appWrite struct {
	key         string
	app         *domain.Application
	submittedAt time.Time
}

// textColumn is the column of a field held as one string (domain.Field.Text).
func textColumn(name string, f domain.Field) appColumn {
	return appColumn{name: name, field: f,
		write: func(w *appWrite) any { return *f.Text(w.app) },
		read:  func(a *domain.Application) any { return f.Text(a) },
	}
}

var appColumns = []appColumn{
	{name: "id", read: func(a *domain.Application) any { return &a.ID }},
	{name: "reference", expr: "coalesce(reference, '')", read: func(a *domain.Application) any { return &a.Reference }},
	{name: "submission_key", write: func(w *appWrite) any { return w.key }},
	{name: "status", write: func(w *appWrite) any { return string(w.app.Status) },
		read: func(a *domain.Application) any { return (*string)(&a.Status) }},
	{name: "version", read: func(a *domain.Application) any { return &a.Version }},
	{name: "chat_id", write: func(w *appWrite) any { return w.app.ChatID }, read: func(a *domain.Application) any { return &a.ChatID }},
	{name: "member_type", field: domain.FieldMemberType, write: func(w *appWrite) any { return string(w.app.MemberType) },
		read: func(a *domain.Application) any { return (*string)(&a.MemberType) }},
	{name: "notice_accepted_at", field: domain.FieldNotice, write: func(w *appWrite) any { return nullTime(w.app.NoticeAccepted) },
		read: func(a *domain.Application) any { return nullableTime{&a.NoticeAccepted} }},
	{name: "consent_version", field: domain.FieldNotice, write: func(w *appWrite) any { return w.app.ConsentVersion },
		read: func(a *domain.Application) any { return &a.ConsentVersion }},

	// 账号信息
	textColumn("login_name", domain.FieldLoginName),
	textColumn("user_name", domain.FieldUserName),
	{name: "legal_rep_id_key_id", field: domain.FieldLegalRepID, write: func(w *appWrite) any { return w.app.Account.LegalRepID.KeyID },
		read: func(a *domain.Application) any { return &a.Account.LegalRepID.KeyID }},
	{name: "legal_rep_id_cipher", field: domain.FieldLegalRepID, write: func(w *appWrite) any { return notNilBytes(w.app.Account.LegalRepID.Ciphertext) },
		read: func(a *domain.Application) any { return nilIfEmptyBytes{&a.Account.LegalRepID.Ciphertext} }},
	{name: "legal_rep_id_hash", field: domain.FieldLegalRepID, write: func(w *appWrite) any { return notNilBytes(w.app.Account.LegalRepID.Hash) },
		read: func(a *domain.Application) any { return nilIfEmptyBytes{&a.Account.LegalRepID.Hash} }},
	{name: "legal_rep_id_masked", field: domain.FieldLegalRepID, write: func(w *appWrite) any { return w.app.Account.LegalRepID.Masked },
		read: func(a *domain.Application) any { return &a.Account.LegalRepID.Masked }},
	// Sealed to the exchange (age); NULL once the account exists.
	{name: "password_sealed", field: domain.FieldPassword, write: func(w *appWrite) any { return nilIfEmpty(w.app.Account.SealedPassword) },
		read: func(a *domain.Application) any { return nilIfEmptyBytes{&a.Account.SealedPassword} }},

	// 基本信息
	textColumn("enterprise_name", domain.FieldEnterpriseName),
	{name: "credit_code", field: domain.FieldCreditCode, write: func(w *appWrite) any { return w.app.Basic.CreditCode },
		read: func(a *domain.Application) any { return &a.Basic.CreditCode }},
	{name: "credit_code_flagged", field: domain.FieldCreditCode, write: func(w *appWrite) any { return w.app.Basic.CreditCodeFlagged },
		read: func(a *domain.Application) any { return &a.Basic.CreditCodeFlagged }},
	{name: "catalog_credit_code", field: domain.FieldCreditCode, write: func(w *appWrite) any { return w.app.Basic.CatalogCreditCode },
		read: func(a *domain.Application) any { return &a.Basic.CatalogCreditCode }},
	{name: "credit_code_typed", field: domain.FieldCreditCode, write: func(w *appWrite) any { return w.app.Basic.CreditCodeTyped },
		read: func(a *domain.Application) any { return &a.Basic.CreditCodeTyped }},
	// Derived from the credit code (三证合一): written for the platform, never read.
	{name: "organization_code", field: domain.FieldCreditCode, write: func(w *appWrite) any { return w.app.Basic.OrganizationCode() }},
	{name: "tax_number", field: domain.FieldCreditCode, write: func(w *appWrite) any { return w.app.Basic.TaxNumber() }},
	textColumn("legal_rep_name", domain.FieldLegalRepName),
	textColumn("registered_capital", domain.FieldRegisteredCapital),
	{name: "founded_on", field: domain.FieldFoundedOn, write: func(w *appWrite) any { return nullTime(w.app.Basic.FoundedOn) },
		read: func(a *domain.Application) any { return nullableTime{&a.Basic.FoundedOn} }},
	{name: "business_term_until", field: domain.FieldBusinessTerm, write: func(w *appWrite) any { return nullTime(w.app.Basic.BusinessTermUntil) },
		read: func(a *domain.Application) any { return nullableTime{&a.Basic.BusinessTermUntil} }},
	{name: "business_term_open", field: domain.FieldBusinessTerm, write: func(w *appWrite) any { return w.app.Basic.BusinessTermOpen },
		read: func(a *domain.Application) any { return &a.Basic.BusinessTermOpen }},
	textColumn("industry", domain.FieldIndustry),
	{name: "user_type", field: domain.FieldUserType, write: func(w *appWrite) any { return string(w.app.Basic.UserType) },
		read: func(a *domain.Application) any { return (*string)(&a.Basic.UserType) }},
	{name: "region_code", field: domain.FieldRegion, expr: "coalesce(region_code, '')",
		write: func(w *appWrite) any { return nullString(w.app.Basic.RegionCode) },
		read:  func(a *domain.Application) any { return &a.Basic.RegionCode }},
	textColumn("registered_address", domain.FieldRegisteredAddress),

	// 商务信息
	textColumn("bank_name", domain.FieldBankName),
	textColumn("bank_account_name", domain.FieldBankAccountName),
	textColumn("bank_account_number", domain.FieldBankAccountNumber),

	// 联系信息
	textColumn("contact_person", domain.FieldContactPerson),
	textColumn("contact_position", domain.FieldContactPosition),
	textColumn("mobile", domain.FieldMobile),
	textColumn("email", domain.FieldEmail),
	textColumn("landline", domain.FieldLandline),
	textColumn("fax", domain.FieldFax),
	textColumn("mailing_address", domain.FieldMailingAddress),
	textColumn("postcode", domain.FieldPostcode),

	{name: "submitted_at", write: func(w *appWrite) any { return w.submittedAt },
		read: func(a *domain.Application) any { return utcTime{&a.SubmittedAt} }},

	// The hand-off and erasure: set by their own statements, never by Submit.
	{name: "exported_at", read: func(a *domain.Application) any { return nullableTime{&a.ExportedAt} }},
	{name: "provisioned_at", read: func(a *domain.Application) any { return nullableTime{&a.ProvisionedAt} }},
	{name: "platform_id", read: func(a *domain.Application) any { return &a.PlatformID }},
	{name: "erased_at", read: func(a *domain.Application) any { return nullableTime{&a.ErasedAt} }},
}

// The statements and lists built from appColumns.
var (
	// appWriteColumns are the columns Submit writes, in the order of
	// appWriteValues.
	appWriteColumns = columnNames(func(c appColumn) bool { return c.write != nil })

	// insertAppSQL inserts a new application unless its submission key is
	// already stored.
	insertAppSQL = func() string {
		ph := make([]string, len(appWriteColumns))
		for i := range ph {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		return "INSERT INTO applications (" + strings.Join(appWriteColumns, ", ") + ")\n" +
			"VALUES (" + strings.Join(ph, ", ") + ")\n" +
			"ON CONFLICT (submission_key) DO NOTHING RETURNING id"
	}()

	// resubmitAppSQL overwrites a rejected application ($n+1 is its id).
	resubmitAppSQL = func() string {
		set := make([]string, len(appWriteColumns))
		for i, c := range appWriteColumns {
			set[i] = fmt.Sprintf("%s = $%d", c, i+1)
		}
		return "UPDATE applications SET " + strings.Join(set, ", ") +
			", version = version + 1, updated_at = now()\n" +
			fmt.Sprintf("WHERE id = $%d AND status = 'rejected' RETURNING reference", len(appWriteColumns)+1)
	}()

	// appReadColumns is what loadApps selects, in the order of scanApp.
	appReadColumns = func() string {
		var exprs []string
		for _, c := range appColumns {
			if c.read != nil {
				exprs = append(exprs, cmpOr(c.expr, c.name))
			}
		}
		return strings.Join(exprs, ", ")
	}()
)

// erasedColumns are the columns of the fields marked Personal
// (domain.Application.Erase), in the order of erasedValues.
var erasedColumns = columnNames(func(c appColumn) bool {
	spec, ok := c.field.Spec()
	return ok && spec.Personal && c.write != nil
})

// eraseAppSQL writes an erased application's tombstones ($n+1 is its id).
var eraseAppSQL = func() string {
	set := make([]string, len(erasedColumns))
	for i, c := range erasedColumns {
		set[i] = fmt.Sprintf("%s = $%d", c, i+1)
	}
	return "UPDATE applications SET " + strings.Join(set, ", ") +
		fmt.Sprintf(", erased_at = now(), updated_at = now() WHERE id = $%d", len(erasedColumns)+1)
}()

// erasedValues are the values of erasedColumns for an erased application.
func erasedValues(a *domain.Application) []any {
	w := &appWrite{app: a}
	var vals []any
	for _, c := range appColumns {
		if spec, ok := c.field.Spec(); ok && spec.Personal && c.write != nil {
			vals = append(vals, c.write(w))
		}
	}
	return vals
}

func columnNames(keep func(appColumn) bool) []string {
	var names []string
	for _, c := range appColumns {
		if keep(c) {
			names = append(names, c.name)
		}
	}
	return names
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// appWriteValues are the values of appWriteColumns for a submission.
func appWriteValues(key string, a *domain.Application, submittedAt time.Time) []any {
	w := &appWrite{key: key, app: a, submittedAt: submittedAt}
	vals := make([]any, 0, len(appWriteColumns))
	for _, c := range appColumns {
		if c.write != nil {
			vals = append(vals, c.write(w))
		}
	}
	return vals
}

// appScanTargets are the scan targets of appReadColumns in a.
func appScanTargets(a *domain.Application) []any {
	targets := make([]any, 0, len(appColumns))
	for _, c := range appColumns {
		if c.read != nil {
			targets = append(targets, c.read(a))
		}
	}
	return targets
}

// nullableTime scans a date or timestamp that may be NULL into a time in
// UTC (the zero time for NULL).
type nullableTime struct{ t *time.Time }

func (n nullableTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.t = time.Time{}
	case time.Time:
		*n.t = v.UTC()
	default:
		return fmt.Errorf("postgres: cannot scan %T into a time", src)
	}
	return nil
}

// utcTime scans a timestamp into a time in UTC.
type utcTime struct{ t *time.Time }

func (u utcTime) Scan(src any) error {
	v, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("postgres: cannot scan %T into a time", src)
	}
	*u.t = v.UTC()
	return nil
}

// nilIfEmptyBytes scans bytea, keeping an empty value as nil (as the domain
// holds "no ID number").
type nilIfEmptyBytes struct{ b *[]byte }

func (n nilIfEmptyBytes) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.b = nil
	case []byte:
		if len(v) == 0 {
			*n.b = nil
		} else {
			*n.b = append([]byte(nil), v...)
		}
	default:
		return fmt.Errorf("postgres: cannot scan %T into bytes", src)
	}
	return nil
}

// nilIfEmpty writes an empty byte slice as NULL.
func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
