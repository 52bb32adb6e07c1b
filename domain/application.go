package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Status is where an application is in its lifecycle:
//
//	draft → submitted → approved → provisioned (the account exists on the platform)
//	                  ↘ rejected → (edited) → resubmitted → approved / rejected
//	submitted, resubmitted → withdrawn (by the applicant, before a decision)
type Status string

const (
	StatusDraft       Status = "draft"
	StatusSubmitted   Status = "submitted"
	StatusResubmitted Status = "resubmitted"
	StatusApproved    Status = "approved"
	StatusRejected    Status = "rejected"
	StatusWithdrawn   Status = "withdrawn"
	StatusProvisioned Status = "provisioned"
)

// Statuses lists every status, in the order of an application's life.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusResubmitted, StatusApproved, StatusRejected, StatusWithdrawn, StatusProvisioned}

// Open reports whether the application awaits a reviewer's decision.
func (s Status) Open() bool { return s == StatusSubmitted || s == StatusResubmitted }

// Active reports whether the application still holds its login name and
// metering points (everything but rejected and withdrawn ones).
func (s Status) Active() bool { return s != StatusRejected && s != StatusWithdrawn }

// Erasable reports whether the applicant may have the application's
// personal data erased (/delete): it is over without an account (rejected
// or withdrawn). A provisioned one is erased by the operator's purge, after
// its retention.
func (s Status) Erasable() bool { return s == StatusRejected || s == StatusWithdrawn }

// MemberType is the kind of market member (市场成员类型).
type MemberType string

const (
	MemberElectricityUser MemberType = "electricity_user" // 电力用户: the only type the bot registers
	MemberRetailCompany   MemberType = "retail_company"   // 售电公司
	MemberGenerator       MemberType = "generator"        // 发电企业
)

// UserType is the trading mode of an electricity user (用户类型).
type UserType string

const (
	UserDirect UserType = "direct" // 直接交易用户: trades directly with power plants
	UserRetail UserType = "retail" // 零售用户: represented by a retail company
)

// ParseUserType accepts the codes above.
func ParseUserType(s string) (UserType, error) {
	switch UserType(s) {
	case UserDirect, UserRetail:
		return UserType(s), nil
	}
	return "", invalid(FieldUserType, "usertype.unknown")
}

// CertificateRequired reports whether the user type needs a digital
// certificate to trade (manual step 7).
func (t UserType) CertificateRequired() bool { return t == UserDirect }

// AttachmentKind names a required document.
type AttachmentKind string

const (
	AttachmentCatalog AttachmentKind = "catalog" // 准入目录文件
	AttachmentLicence AttachmentKind = "licence" // 营业执照（三证合一）
)

// RequiredAttachments lists the documents every application carries, in the
// order they are asked for.
var RequiredAttachments = []AttachmentKind{AttachmentCatalog, AttachmentLicence}

// SealedID is a resident ID number as it is kept at rest: encrypted, with a
// keyed hash for uniqueness checks and a masked copy for display. The plain
// number never leaves the process that read it.
type SealedID struct {
	KeyID      string `json:"k"`
	Ciphertext []byte `json:"c"`
	Hash       []byte `json:"h"`
	Masked     string `json:"m"`
}

// IsZero reports whether no ID number has been given.
func (s SealedID) IsZero() bool { return len(s.Ciphertext) == 0 }

// Account is the platform login (注册帐号信息).
type Account struct {
	LoginName  string   `json:"ln,omitempty"`
	UserName   string   `json:"un,omitempty"`
	LegalRepID SealedID `json:"id"`
	// SealedPassword is the platform password sealed to the exchange's
	// public key (age): only the exchange opens it, to create the account;
	// it is erased once the account exists. Never a password in clear.
	SealedPassword []byte `json:"pws,omitempty"`
}

// Basic is 基本信息.
type Basic struct {
	EnterpriseName    string `json:"en,omitempty"`
	CreditCode        string `json:"cc,omitempty"`  // USCC, normalised
	CreditCodeFlagged bool   `json:"ccf,omitempty"` // checksum failed, confirmed by the user
	// CatalogCreditCode is what the access catalog gives as the chosen
	// enterprise's credit code: "" when it has none (or the name was typed
	// and the catalog has no entry of that name). CreditCode is taken from
	// it without asking when it is valid; any other code is flagged (Flags).
	CatalogCreditCode string `json:"ccc,omitempty"`
	// CreditCodeTyped says that the applicant typed the credit code (and
	// confirmed it) rather than it coming from the catalog.
	CreditCodeTyped   bool      `json:"cct,omitempty"`
	LegalRepName      string    `json:"lr,omitempty"`
	RegisteredCapital string    `json:"cap,omitempty"` // 万元, decimal text
	FoundedOn         time.Time `json:"fd,omitzero"`
	BusinessTermUntil time.Time `json:"bt,omitzero"` // zero with BusinessTermOpen: 长期
	BusinessTermOpen  bool      `json:"bto,omitempty"`
	Industry          string    `json:"ind,omitempty"`
	UserType          UserType  `json:"ut,omitempty"`
	RegionCode        string    `json:"rg,omitempty"`
	RegisteredAddress string    `json:"ra,omitempty"`
}

// OrganizationCode is derived from the credit code (三证合一): positions 9–17.
func (b Basic) OrganizationCode() string {
	if len(b.CreditCode) != 18 {
		return ""
	}
	return b.CreditCode[8:17]
}

// TaxNumber is derived from the credit code: since 三证合一 it is the code itself.
func (b Basic) TaxNumber() string { return b.CreditCode }

// Business is 商务信息.
type Business struct {
	BankName      string `json:"bn,omitempty"`
	AccountName   string `json:"an,omitempty"`
	AccountNumber string `json:"ac,omitempty"`
}

// Contact is 联系信息.
type Contact struct {
	Person         string `json:"p,omitempty"`
	Position       string `json:"pos,omitempty"`
	Mobile         string `json:"mob,omitempty"`
	Email          string `json:"em,omitempty"`
	Landline       string `json:"tel,omitempty"`
	Fax            string `json:"fax,omitempty"`
	MailingAddress string `json:"ma,omitempty"`
	Postcode       string `json:"pc,omitempty"`
}

// Attachment is an uploaded PDF; the bytes live in a blob store under BlobKey.
type Attachment struct {
	Kind     AttachmentKind `json:"k"`
	FileName string         `json:"n"` // stored name, lowercase .pdf
	Size     int64          `json:"s"`
	SHA256   string         `json:"h"`
	BlobKey  string         `json:"b"`
	FileID   string         `json:"f,omitempty"` // transport's handle, reusable to forward the file
	// SourceSHA256 is the SHA-256 of the photo the document was made from
	// (of the photos' SHA-256s in order, for an album), "" for a PDF sent
	// as it is: the same photo sent for both documents makes two
	// different PDFs.
	SourceSHA256 string `json:"src,omitempty"`
}

// MeteringPoint (计量点) as the grid company's marketing system reports it.
type MeteringPoint struct {
	ID             string `json:"id"`
	Name           string `json:"n"`
	Address        string `json:"a"`
	VoltageCode    string `json:"v"` // voltage-levels.csv code, e.g. AC00101
	TariffCategory string `json:"t"` // unit-types.csv code, e.g. large_industrial
}

// Unit is a consumption unit (用电单元), generated from one metering point.
// Its UnitType and HighEnergy must be chosen by the user; HighEnergy "none"
// means not a high-energy-consumption industry.
type Unit struct {
	MeteringPoint
	UnitType   string `json:"ut,omitempty"`
	HighEnergy string `json:"he,omitempty"`
}

// HighEnergyNone marks a unit outside the six high-energy industries.
const HighEnergyNone = "none"

// Complete reports whether the user has chosen both required categories.
func (u Unit) Complete() bool { return u.UnitType != "" && u.HighEnergy != "" }

// MarketingAccount (营销户号) with the units generated from its metering points.
type MarketingAccount struct {
	Number string `json:"no"`
	Units  []Unit `json:"u,omitempty"`
}

// Application is the aggregate the exchange reviews: everything the
// platform's registration form collects for an electricity user.
type Application struct {
	ID             int64              `json:"id,omitempty"`
	Reference      string             `json:"ref,omitempty"`
	Status         Status             `json:"st,omitempty"`
	Version        int                `json:"ver,omitempty"`
	ChatID         int64              `json:"chat,omitempty"`
	MemberType     MemberType         `json:"mt,omitempty"`
	NoticeAccepted time.Time          `json:"na,omitzero"`
	Account        Account            `json:"acc"`
	Basic          Basic              `json:"bas"`
	Business       Business           `json:"bus"`
	Contact        Contact            `json:"con"`
	Attachments    []Attachment       `json:"att,omitempty"`
	Accounts       []MarketingAccount `json:"mkt,omitempty"`
	SubmittedAt    time.Time          `json:"sa,omitzero"`
	// ConsentVersion names the notice the applicant agreed to (a hash of
	// its text), with NoticeAccepted the time.
	ConsentVersion string `json:"cv,omitempty"`

	// The hand-off, as the system of record keeps it (never in a draft).
	ExportedAt    time.Time `json:"-"` // handed to the exchange's clerks
	ProvisionedAt time.Time `json:"-"` // the account exists on the platform
	PlatformID    string    `json:"-"` // the platform's id of the account, if the clerk gave it
	ErasedAt      time.Time `json:"-"` // personal data replaced by tombstones
}

// Clone returns a deep copy of a: the copy shares no slice with a, so
// either can be changed in place without the other seeing it.
func (a Application) Clone() Application {
	a.Account.LegalRepID.Ciphertext = slices.Clone(a.Account.LegalRepID.Ciphertext)
	a.Account.LegalRepID.Hash = slices.Clone(a.Account.LegalRepID.Hash)
	a.Account.SealedPassword = slices.Clone(a.Account.SealedPassword)
	a.Attachments = slices.Clone(a.Attachments)
	if a.Accounts != nil {
		accts := make([]MarketingAccount, len(a.Accounts))
		for i, m := range a.Accounts {
			m.Units = slices.Clone(m.Units)
			accts[i] = m
		}
		a.Accounts = accts
	}
	return a
}

// Attachment returns the attachment of the given kind, if any.
func (a *Application) Attachment(k AttachmentKind) (Attachment, bool) {
	for _, at := range a.Attachments {
		if at.Kind == k {
			return at, true
		}
	}
	return Attachment{}, false
}

// SetAttachment adds or replaces the attachment of at.Kind.
func (a *Application) SetAttachment(at Attachment) {
	for i := range a.Attachments {
		if a.Attachments[i].Kind == at.Kind {
			a.Attachments[i] = at
			return
		}
	}
	a.Attachments = append(a.Attachments, at)
}

// CheckAttachment refuses at as the document of its kind when it is the
// other document already held: the access-catalog file and the licence are
// two documents, and the same file (the same content, by SHA-256: of the
// PDF, or of the photo it was made from) sent for both is a mistake
// (attachment.same).
func (a *Application) CheckAttachment(at Attachment) error {
	same := func(x, y string) bool { return x != "" && x == y }
	for _, other := range a.Attachments {
		if other.Kind != at.Kind && (same(at.SHA256, other.SHA256) || same(at.SourceSHA256, other.SourceSHA256)) {
			return invalid(AttachmentField(at.Kind), "attachment.same")
		}
	}
	return nil
}

// Units returns every unit of every marketing account, in order.
func (a *Application) Units() []Unit {
	var us []Unit
	for _, m := range a.Accounts {
		us = append(us, m.Units...)
	}
	return us
}

// AccountNameDiffers reports whether the bank account is in another name
// than the enterprise's, which the reviewers are shown. Names are compared
// as they read: spaces and the width of brackets and other punctuation do
// not count (（集团） and (集团) are one name).
func (a *Application) AccountNameDiffers() bool {
	n, e := a.Business.AccountName, a.Basic.EnterpriseName
	return n != "" && e != "" && !SameName(n, e)
}

// nameKey is a name as AccountNameDiffers compares it.
func nameKey(s string) string {
	return strings.Join(strings.Fields(norm.NFKC.String(normalize(s, asText))), "")
}

// Validate checks that the application is complete and consistent enough
// to submit. It returns an *Error naming the first missing or bad field.
func (a *Application) Validate() error {
	switch {
	case a.MemberType != MemberElectricityUser:
		return invalid(FieldMemberType, "application.incomplete")
	case a.NoticeAccepted.IsZero():
		return invalid(FieldNotice, "application.incomplete")
	case a.Basic.EnterpriseName == "":
		return invalid(FieldEnterpriseName, "application.incomplete")
	case a.Account.LoginName == "":
		return invalid(FieldLoginName, "application.incomplete")
	case a.Account.UserName == "":
		return invalid(FieldUserName, "application.incomplete")
	case a.Account.LegalRepID.IsZero():
		return invalid(FieldLegalRepID, "application.incomplete")
	case len(a.Account.SealedPassword) == 0:
		return invalid(FieldPassword, "application.incomplete")
	case a.Basic.CreditCode == "":
		return invalid(FieldCreditCode, "application.incomplete")
	case a.Basic.UserType == "":
		return invalid(FieldUserType, "application.incomplete")
	case a.Basic.RegionCode == "":
		return invalid(FieldRegion, "application.incomplete")
	case a.Contact.Mobile == "":
		return invalid(FieldMobile, "application.incomplete")
	}
	for _, k := range RequiredAttachments {
		if _, ok := a.Attachment(k); !ok {
			return invalid(AttachmentField(k), "application.incomplete")
		}
	}
	for _, at := range a.Attachments {
		if err := a.CheckAttachment(at); err != nil {
			return err
		}
	}
	if len(a.Accounts) == 0 {
		return invalid(FieldUnits, "application.no_units")
	}
	seen := map[string]bool{}
	for _, m := range a.Accounts {
		if len(m.Units) == 0 {
			return invalid(FieldUnits, "application.no_units")
		}
		for _, u := range m.Units {
			if !u.Complete() {
				return invalid(FieldUnits, "application.unit_incomplete")
			}
			if seen[u.ID] {
				return invalid(FieldUnits, "application.duplicate_point")
			}
			seen[u.ID] = true
		}
	}
	return nil
}

// Submit moves a complete draft (or a rejected application being edited) to
// submitted or resubmitted.
func (a *Application) Submit(now time.Time) error {
	if err := a.Validate(); err != nil {
		return err
	}
	switch a.Status {
	case "", StatusDraft:
		a.Status = StatusSubmitted
	case StatusRejected:
		a.Status = StatusResubmitted
	default:
		return Errorf(CodeConflict, FieldStatus, "application.not_draft", "submit in status %s", a.Status)
	}
	a.SubmittedAt = now
	return nil
}

// Flag is something about an application that its applicant confirmed
// against a check, for the reviewers to look at: an answer that breaks a
// rule some genuine answers break, or that differs from what regbot knows
// from elsewhere. Its text is "flag.<name>".
type Flag string

const (
	// FlagCreditCodeChecksum: the credit code fails its GB 32100 check
	// character (some early genuine codes do), and the applicant confirmed
	// it (CreditCodeFlagged).
	FlagCreditCodeChecksum Flag = "credit_code_checksum"
	// FlagCreditCodeMismatch: the credit code is not the one the access
	// catalog gives for the enterprise (CatalogCreditCode): the applicant
	// typed another and confirmed it.
	FlagCreditCodeMismatch Flag = "credit_code_mismatch"
	// FlagCreditCodeUnlisted: the catalog gives no code for the enterprise,
	// so nothing checked the one the applicant typed and confirmed.
	FlagCreditCodeUnlisted Flag = "credit_code_unlisted"
	// FlagAccountNameMismatch: the bank account's name is not the
	// enterprise's (AccountNameDiffers), as the applicant confirmed.
	FlagAccountNameMismatch Flag = "account_name_mismatch"
)

// Flags returns the application's flags, in the form's order. They are
// worked out from its answers each time, so that an edited answer never
// leaves a flag behind, nor goes without one.
func (a *Application) Flags() []Flag {
	var fs []Flag
	b := a.Basic
	if b.CreditCode != "" {
		if b.CreditCodeFlagged {
			fs = append(fs, FlagCreditCodeChecksum)
		}
		switch {
		case b.CatalogCreditCode != "" && b.CreditCode != b.CatalogCreditCode:
			fs = append(fs, FlagCreditCodeMismatch)
		case b.CatalogCreditCode == "" && b.CreditCodeTyped:
			fs = append(fs, FlagCreditCodeUnlisted)
		}
	}
	if a.AccountNameDiffers() {
		fs = append(fs, FlagAccountNameMismatch)
	}
	return fs
}

// Verdict is a reviewer's decision.
type Verdict string

const (
	VerdictApprove Verdict = "approve"
	VerdictReject  Verdict = "reject"
)

// Decision is one reviewer action on an application (append-only audit).
type Decision struct {
	ApplicationID int64
	Verdict       Verdict
	ReviewerID    int64
	ReviewerName  string
	Reason        string
	DecidedAt     time.Time
}

// Apply validates the decision against the application's status and moves
// it to approved or rejected.
func (a *Application) Apply(d Decision) error {
	if !a.Status.Open() {
		return Errorf(CodeConflict, FieldStatus, "decision.already_decided", "decide in status %s", a.Status)
	}
	switch d.Verdict {
	case VerdictApprove:
		a.Status = StatusApproved
	case VerdictReject:
		if len([]rune(d.Reason)) < 2 {
			return invalid(FieldReason, "decision.reason_required")
		}
		a.Status = StatusRejected
	default:
		return invalid(FieldVerdict, fmt.Sprintf("decision.unknown_%s", d.Verdict))
	}
	return nil
}

// AuditEntry is one row of the audit trail of what operators and
// applicants did to an application outside the review: exports,
// provisioning, withdrawal, erasure.
type AuditEntry struct {
	At            time.Time
	Actor         string // an operator's name, or "applicant"
	Action        string // export, export_again, export_secrets, provisioned, withdrawn, erased
	ApplicationID int64
	Detail        string
}

// Withdraw takes back an application that is not decided yet (the
// applicant's /withdraw).
func (a *Application) Withdraw() error {
	if !a.Status.Open() {
		return Errorf(CodeConflict, FieldStatus, "withdraw.not_open", "withdraw in status %s", a.Status)
	}
	a.Status = StatusWithdrawn
	return nil
}

// Provision records that the exchange created the account on its platform
// at t (platformID: its id there, if known). The sealed password is no
// longer needed and is erased. Provisioning a provisioned application again
// changes nothing.
func (a *Application) Provision(t time.Time, platformID string) error {
	switch a.Status {
	case StatusProvisioned:
		return nil
	case StatusApproved:
	default:
		return Errorf(CodeConflict, FieldStatus, "provision.not_approved", "provision in status %s", a.Status)
	}
	a.Status, a.ProvisionedAt, a.PlatformID = StatusProvisioned, t, platformID
	a.Account.SealedPassword = nil
	return nil
}

// Erase replaces the application's personal data (the fields marked
// Personal in Fields) by tombstones at t: empty texts, no ID number, no
// sealed password, no documents. Its erasure is allowed in a status that
// Erasable permits, or for a provisioned one, by the operator's purge after
// its retention (purge). Erasing an erased application changes nothing.
func (a *Application) Erase(t time.Time, purge bool) error {
	if !a.ErasedAt.IsZero() {
		return nil
	}
	if !a.Status.Erasable() && !(purge && a.Status == StatusProvisioned) {
		return Errorf(CodeConflict, FieldStatus, "erase.not_erasable", "erase in status %s", a.Status)
	}
	for _, spec := range Fields {
		if !spec.Personal {
			continue
		}
		if spec.Text != nil {
			*spec.Text(a) = ""
			continue
		}
		switch spec.Field {
		case FieldLegalRepID:
			a.Account.LegalRepID = SealedID{}
		case FieldPassword:
			a.Account.SealedPassword = nil
		case FieldCatalogFile, FieldLicenceFile:
			a.Attachments = nil
		default:
			panic("domain: personal field " + string(spec.Field) + " has no erasure")
		}
	}
	a.ErasedAt = t
	return nil
}

// CatalogEntry is one enterprise of the access catalog (准入目录).
type CatalogEntry struct {
	ID         int64
	Name       string
	CreditCode string // may be empty
	// CreditCodeFlagged marks a CreditCode that fails validation, in practice
	// its GB 32100 check character (the import refuses other malformed
	// codes): some early genuine codes do, so the catalog keeps it, and the
	// applicant and the reviewers are shown that it is doubtful.
	CreditCodeFlagged bool
}

// Region is a county-level division of Chongqing.
type Region struct {
	Code string
	Name string
	Kind string
}
