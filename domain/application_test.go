package domain

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// validApplication returns an application that passes Validate.
func validApplication() *Application {
	return &Application{
		Status:         StatusDraft,
		MemberType:     MemberElectricityUser,
		NoticeAccepted: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC),
		Account: Account{
			LoginName:      "cqmmgsjyy",
			UserName:       "重庆某某公司交易员",
			LegalRepID:     SealedID{KeyID: "k1", Ciphertext: []byte{1}, Hash: []byte{2}, Masked: "500***********0011"},
			SealedPassword: []byte("age-encryption.org/v1 sealed"),
		},
		Basic: Basic{
			EnterpriseName: "重庆某某公司",
			CreditCode:     "91500103000000000M",
			UserType:       UserDirect,
			RegionCode:     "500103",
		},
		Contact: Contact{Mobile: "13812345678"},
		Attachments: []Attachment{
			{Kind: AttachmentCatalog, FileName: "catalog.pdf"},
			{Kind: AttachmentLicence, FileName: "licence.pdf"},
		},
		Accounts: []MarketingAccount{{
			Number: "5001234567",
			Units: []Unit{
				{MeteringPoint: MeteringPoint{ID: "mp1"}, UnitType: "large_industrial", HighEnergy: HighEnergyNone},
				{MeteringPoint: MeteringPoint{ID: "mp2"}, UnitType: "large_industrial", HighEnergy: "steel"},
			},
		}},
	}
}

func TestApplicationValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(a *Application)
		field  Field
		reason string
	}{
		{"complete", func(a *Application) {}, "", ""},
		{"member type", func(a *Application) { a.MemberType = MemberRetailCompany }, FieldMemberType, "application.incomplete"},
		{"notice", func(a *Application) { a.NoticeAccepted = time.Time{} }, FieldNotice, "application.incomplete"},
		{"enterprise", func(a *Application) { a.Basic.EnterpriseName = "" }, FieldEnterpriseName, "application.incomplete"},
		{"login", func(a *Application) { a.Account.LoginName = "" }, FieldLoginName, "application.incomplete"},
		{"user name", func(a *Application) { a.Account.UserName = "" }, FieldUserName, "application.incomplete"},
		{"legal rep", func(a *Application) { a.Account.LegalRepID = SealedID{Masked: "500***"} }, FieldLegalRepID, "application.incomplete"},
		{"password", func(a *Application) { a.Account.SealedPassword = nil }, FieldPassword, "application.incomplete"},
		{"credit code", func(a *Application) { a.Basic.CreditCode = "" }, FieldCreditCode, "application.incomplete"},
		{"user type", func(a *Application) { a.Basic.UserType = "" }, FieldUserType, "application.incomplete"},
		{"region", func(a *Application) { a.Basic.RegionCode = "" }, FieldRegion, "application.incomplete"},
		{"mobile", func(a *Application) { a.Contact.Mobile = "" }, FieldMobile, "application.incomplete"},
		{"catalog", func(a *Application) { a.Attachments = a.Attachments[1:] }, FieldCatalogFile, "application.incomplete"},
		{"licence", func(a *Application) { a.Attachments = a.Attachments[:1] }, FieldLicenceFile, "application.incomplete"},
		{"no accounts", func(a *Application) { a.Accounts = nil }, FieldUnits, "application.no_units"},
		{"account without units", func(a *Application) {
			a.Accounts = append(a.Accounts, MarketingAccount{Number: "5001234568"})
		}, FieldUnits, "application.no_units"},
		{"unit type", func(a *Application) { a.Accounts[0].Units[0].UnitType = "" }, FieldUnits, "application.unit_incomplete"},
		{"high energy", func(a *Application) { a.Accounts[0].Units[1].HighEnergy = "" }, FieldUnits, "application.unit_incomplete"},
		{"duplicate point", func(a *Application) {
			a.Accounts = append(a.Accounts, MarketingAccount{Number: "5001234568", Units: a.Accounts[0].Units[:1]})
		}, FieldUnits, "application.duplicate_point"},
	}
	for _, tt := range tests {
		a := validApplication()
		tt.edit(a)
		err := a.Validate()
		checkErr(t, tt.name, err, tt.reason)
		if got := errField(err); got != tt.field {
			t.Errorf("%s: field %q, want %q", tt.name, got, tt.field)
		}
	}
}

func errField(err error) Field {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func TestApplicationLifecycle(t *testing.T) {
	now := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	a := validApplication()
	if a.Status.Open() || !a.Status.Active() {
		t.Fatalf("draft: Open %v, Active %v", a.Status.Open(), a.Status.Active())
	}
	mustNil(t, "submit draft", a.Submit(now))
	wantStatus(t, a, StatusSubmitted)
	if !a.SubmittedAt.Equal(now) {
		t.Errorf("SubmittedAt = %v, want %v", a.SubmittedAt, now)
	}
	wantCode(t, "submit twice", a.Submit(now), CodeConflict)

	wantReason(t, "reject without reason", a.Apply(Decision{Verdict: VerdictReject}), "decision.reason_required")
	wantReason(t, "reject with one-rune reason", a.Apply(Decision{Verdict: VerdictReject, Reason: "缺"}), "decision.reason_required")
	wantStatus(t, a, StatusSubmitted)
	wantCode(t, "unknown verdict", a.Apply(Decision{Verdict: "maybe"}), CodeInvalid)

	mustNil(t, "reject", a.Apply(Decision{Verdict: VerdictReject, Reason: "营业执照不清晰"}))
	wantStatus(t, a, StatusRejected)
	if a.Status.Active() {
		t.Error("rejected application still active")
	}
	wantCode(t, "decide rejected", a.Apply(Decision{Verdict: VerdictApprove}), CodeConflict)

	later := now.Add(24 * time.Hour)
	mustNil(t, "resubmit", a.Submit(later))
	wantStatus(t, a, StatusResubmitted)
	if !a.Status.Open() || !a.SubmittedAt.Equal(later) {
		t.Errorf("resubmitted: Open %v, SubmittedAt %v", a.Status.Open(), a.SubmittedAt)
	}

	mustNil(t, "approve", a.Apply(Decision{Verdict: VerdictApprove}))
	wantStatus(t, a, StatusApproved)
	wantCode(t, "approve twice", a.Apply(Decision{Verdict: VerdictApprove}), CodeConflict)
	wantCode(t, "reject approved", a.Apply(Decision{Verdict: VerdictReject, Reason: "重复申请"}), CodeConflict)
	wantCode(t, "submit approved", a.Submit(later), CodeConflict)
}

func TestApplicationSubmit(t *testing.T) {
	tests := []struct {
		from, want Status
		code       Code
	}{
		{"", StatusSubmitted, ""},
		{StatusDraft, StatusSubmitted, ""},
		{StatusRejected, StatusResubmitted, ""},
		{StatusSubmitted, StatusSubmitted, CodeConflict},
		{StatusResubmitted, StatusResubmitted, CodeConflict},
		{StatusApproved, StatusApproved, CodeConflict},
		{StatusWithdrawn, StatusWithdrawn, CodeConflict},
	}
	for _, tt := range tests {
		a := validApplication()
		a.Status = tt.from
		err := a.Submit(time.Now())
		if ErrorCode(err) != tt.code || a.Status != tt.want {
			t.Errorf("Submit from %q: status %q, err %v; want %q, code %q", tt.from, a.Status, err, tt.want, tt.code)
		}
	}

	// An incomplete application stays a draft.
	a := validApplication()
	a.Contact.Mobile = ""
	wantReason(t, "submit incomplete", a.Submit(time.Now()), "application.incomplete")
	wantStatus(t, a, StatusDraft)
	if !a.SubmittedAt.IsZero() {
		t.Errorf("SubmittedAt set on failed submit: %v", a.SubmittedAt)
	}
}

func TestBasicDerivedCodes(t *testing.T) {
	tests := []struct {
		credit, org, tax string
	}{
		{"91500103000000000M", "000000000", "91500103000000000M"},
		{"91500112MA0000015A", "MA0000015", "91500112MA0000015A"},
		{"12500000450000016M", "450000016", "12500000450000016M"},
		{"", "", ""},
		{"91500103", "", "91500103"},
	}
	for _, tt := range tests {
		b := Basic{CreditCode: tt.credit}
		if got := b.OrganizationCode(); got != tt.org {
			t.Errorf("OrganizationCode(%q) = %q, want %q", tt.credit, got, tt.org)
		}
		if got := b.TaxNumber(); got != tt.tax {
			t.Errorf("TaxNumber(%q) = %q, want %q", tt.credit, got, tt.tax)
		}
	}
}

func TestParseUserType(t *testing.T) {
	tests := []struct {
		in     string
		want   UserType
		reason string
	}{
		{"direct", UserDirect, ""},
		{"retail", UserRetail, ""},
		{"Direct", "", "usertype.unknown"},
		{"", "", "usertype.unknown"},
	}
	for _, tt := range tests {
		got, err := ParseUserType(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseUserType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !UserDirect.CertificateRequired() || UserRetail.CertificateRequired() {
		t.Error("only direct users need a certificate")
	}
}

func TestApplicationAttachments(t *testing.T) {
	a := &Application{}
	if _, ok := a.Attachment(AttachmentLicence); ok {
		t.Fatal("empty application has a licence")
	}
	a.SetAttachment(Attachment{Kind: AttachmentLicence, FileName: "a.pdf"})
	a.SetAttachment(Attachment{Kind: AttachmentCatalog, FileName: "b.pdf"})
	a.SetAttachment(Attachment{Kind: AttachmentLicence, FileName: "c.pdf"})
	if len(a.Attachments) != 2 {
		t.Fatalf("%d attachments, want 2", len(a.Attachments))
	}
	if at, _ := a.Attachment(AttachmentLicence); at.FileName != "c.pdf" {
		t.Errorf("licence %q, want the replacement c.pdf", at.FileName)
	}
	if got := len(validApplication().Units()); got != 2 {
		t.Errorf("Units: %d, want 2", got)
	}
}

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantStatus(t *testing.T, a *Application, want Status) {
	t.Helper()
	if a.Status != want {
		t.Fatalf("status %q, want %q", a.Status, want)
	}
}

func wantCode(t *testing.T, what string, err error, want Code) {
	t.Helper()
	if got := ErrorCode(err); got != want {
		t.Errorf("%s: error %v, want code %q", what, err, want)
	}
}

func wantReason(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := ErrorReason(err); got != want {
		t.Errorf("%s: error %v, want reason %q", what, err, want)
	}
}

// TestApplicationHandOff walks the states after a decision: the
// applicant's withdrawal of an open application, the exchange's
// provisioning of an approved one, and the erasure of what is over.
func TestApplicationHandOff(t *testing.T) {
	now := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)

	a := validApplication()
	wantCode(t, "withdraw draft", a.Withdraw(), CodeConflict)
	mustNil(t, "submit", a.Submit(now))
	wantCode(t, "provision submitted", a.Provision(now, "P1"), CodeConflict)
	wantCode(t, "erase submitted", a.Erase(now, true), CodeConflict)
	mustNil(t, "withdraw", a.Withdraw())
	wantStatus(t, a, StatusWithdrawn)
	if a.Status.Active() || !a.Status.Erasable() {
		t.Errorf("withdrawn: Active %v, Erasable %v", a.Status.Active(), a.Status.Erasable())
	}
	wantCode(t, "withdraw twice", a.Withdraw(), CodeConflict)

	b := validApplication()
	mustNil(t, "submit", b.Submit(now))
	mustNil(t, "approve", b.Apply(Decision{Verdict: VerdictApprove}))
	wantCode(t, "withdraw approved", b.Withdraw(), CodeConflict)
	wantCode(t, "erase approved", b.Erase(now, true), CodeConflict)
	mustNil(t, "provision", b.Provision(now, "P1"))
	wantStatus(t, b, StatusProvisioned)
	if b.Account.SealedPassword != nil || b.PlatformID != "P1" || !b.ProvisionedAt.Equal(now) {
		t.Errorf("provisioned: password %q, platform id %q, at %v", b.Account.SealedPassword, b.PlatformID, b.ProvisionedAt)
	}
	mustNil(t, "provision twice", b.Provision(now.Add(time.Hour), "P2"))
	if b.PlatformID != "P1" || !b.ProvisionedAt.Equal(now) {
		t.Errorf("provisioned again changed it: %q at %v", b.PlatformID, b.ProvisionedAt)
	}
	if !b.Status.Active() || b.Status.Erasable() {
		t.Errorf("provisioned: Active %v, Erasable %v", b.Status.Active(), b.Status.Erasable())
	}
	wantCode(t, "applicant erases provisioned", b.Erase(now, false), CodeConflict)
	mustNil(t, "purge provisioned", b.Erase(now, true))
}

// TestApplicationErase checks that erasure empties every field marked
// Personal and keeps every other one.
func TestApplicationErase(t *testing.T) {
	now := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	a := validApplication()
	for _, spec := range Fields {
		if spec.Text != nil {
			*spec.Text(a) = "值 " + string(spec.Field)
		}
	}
	mustNil(t, "submit", a.Submit(now))
	mustNil(t, "reject", a.Apply(Decision{Verdict: VerdictReject, Reason: "营业执照不清晰"}))
	before := *a
	before.Attachments = append([]Attachment(nil), a.Attachments...)

	mustNil(t, "erase", a.Erase(now, false))
	if !a.ErasedAt.Equal(now) {
		t.Errorf("ErasedAt = %v", a.ErasedAt)
	}
	for _, spec := range Fields {
		got, was := a.Value(spec.Field), before.Value(spec.Field)
		switch {
		case spec.Personal && got != "":
			t.Errorf("%s kept %q", spec.Field, got)
		case spec.Personal && spec.Field != FieldPassword && was == "":
			t.Errorf("%s was empty before: the test shows nothing", spec.Field)
		case !spec.Personal && got != was:
			t.Errorf("%s = %q, was %q", spec.Field, got, was)
		}
	}
	if a.Account.SealedPassword != nil || a.Account.LegalRepID.Ciphertext != nil || a.Attachments != nil {
		t.Errorf("erased secrets: password %q, ID %v, documents %v", a.Account.SealedPassword, a.Account.LegalRepID, a.Attachments)
	}
	if a.Reference != before.Reference || a.Status != StatusRejected || len(a.Accounts) != len(before.Accounts) {
		t.Errorf("erasure changed the record: %+v", a)
	}
	mustNil(t, "erase twice", a.Erase(now.Add(time.Hour), false))
	if !a.ErasedAt.Equal(now) {
		t.Errorf("erased again: ErasedAt = %v", a.ErasedAt)
	}
}

func TestAccountNameDiffers(t *testing.T) {
	for _, c := range []struct {
		enterprise, account string
		differs             bool
	}{
		{"重庆某某机械制造有限公司", "重庆某某机械制造有限公司", false},
		{"重庆某某机械制造有限公司", "", false}, // not given yet
		{"重庆某某（集团）有限公司", "重庆某某(集团)有限公司", false},
		{"重庆某某（集团）有限公司", " 重庆某某（集团） 有限公司　", false},
		{"重庆某某机械制造有限公司", "重庆某某机械制造有限公司渝北分公司", true},
		{"重庆某某机械制造有限公司", "张三", true},
	} {
		a := &Application{Basic: Basic{EnterpriseName: c.enterprise}, Business: Business{AccountName: c.account}}
		if got := a.AccountNameDiffers(); got != c.differs {
			t.Errorf("AccountNameDiffers(%q, %q) = %v, want %v", c.enterprise, c.account, got, c.differs)
		}
	}
}

// TestSameDocumentTwice: the two attachments are two documents; the same
// content (of the PDF, or of the photo it was made from) for both is
// refused, for either kind and at submission.
func TestSameDocumentTwice(t *testing.T) {
	a := validApplication()
	a.Attachments[0].SHA256, a.Attachments[1].SHA256 = "aa", "bb"
	mustNil(t, "two documents", a.Validate())
	mustNil(t, "the same kind again", a.CheckAttachment(Attachment{Kind: AttachmentCatalog, SHA256: "aa"}))
	err := a.CheckAttachment(Attachment{Kind: AttachmentLicence, SHA256: "aa"})
	wantReason(t, "the catalog file as the licence", err, "attachment.same")
	if e := err.(*Error); e.Field != FieldLicenceFile {
		t.Errorf("field %s", e.Field)
	}
	a.Attachments[0].SourceSHA256 = "photo"
	wantReason(t, "the same photo", a.CheckAttachment(Attachment{Kind: AttachmentLicence, SHA256: "cc", SourceSHA256: "photo"}), "attachment.same")
	mustNil(t, "no photo on either", validApplication().CheckAttachment(Attachment{Kind: AttachmentLicence}))
	a.Attachments[1].SHA256 = "aa"
	wantReason(t, "submitting both the same", a.Validate(), "attachment.same")
}

// TestFlags: flags are worked out from the answers, so that an edit never
// leaves one behind.
func TestFlags(t *testing.T) {
	const catalog, other = "91500103000000000M", "91500112MA0000015A"
	tests := []struct {
		name string
		edit func(b *Basic, bu *Business)
		want []Flag
	}{
		{"the catalog's code", func(b *Basic, _ *Business) { b.CatalogCreditCode = catalog }, nil},
		{"another than the catalog's", func(b *Basic, _ *Business) {
			b.CatalogCreditCode, b.CreditCode, b.CreditCodeTyped = catalog, other, true
		}, []Flag{FlagCreditCodeMismatch}},
		{"typed, the catalog has none", func(b *Basic, _ *Business) { b.CreditCodeTyped = true }, []Flag{FlagCreditCodeUnlisted}},
		{"typed, failing its check", func(b *Basic, _ *Business) { b.CreditCodeTyped, b.CreditCodeFlagged = true, true },
			[]Flag{FlagCreditCodeChecksum, FlagCreditCodeUnlisted}},
		{"the catalog's, failing its check", func(b *Basic, _ *Business) { b.CatalogCreditCode, b.CreditCodeFlagged = catalog, true },
			[]Flag{FlagCreditCodeChecksum}},
		{"no code yet", func(b *Basic, _ *Business) { b.CreditCode, b.CreditCodeTyped = "", true }, nil},
		{"the enterprise's account", func(b *Basic, bu *Business) { bu.AccountName = "重庆某某公司" }, nil},
		{"the enterprise's, other brackets", func(b *Basic, bu *Business) {
			b.EnterpriseName, bu.AccountName = "重庆某某（集团）公司", "重庆某某(集团)公司"
		}, nil},
		{"another account name", func(b *Basic, bu *Business) { bu.AccountName = "重庆另一公司" }, []Flag{FlagAccountNameMismatch}},
	}
	for _, tt := range tests {
		a := validApplication()
		tt.edit(&a.Basic, &a.Business)
		if got := a.Flags(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: flags %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestClearAndAnswered: a cleared field has no answer, and clearing one
// leaves the others.
func TestClearAndAnswered(t *testing.T) {
	for _, spec := range Fields {
		a := validApplication()
		a.Basic.LegalRepName, a.Basic.FoundedOn, a.Basic.BusinessTermOpen = "张三", time.Now(), true
		a.Basic.CreditCodeFlagged, a.Basic.CreditCodeTyped = true, true
		a.Business.AccountName = "重庆某某公司"
		if spec.Field == FieldMemberType || spec.Field == FieldNotice {
			continue
		}
		if !a.Answered(spec.Field) && spec.Text != nil && *spec.Text(a) == "" {
			continue // not filled in validApplication
		}
		before := *a
		a.Clear(spec.Field)
		if a.Answered(spec.Field) {
			t.Errorf("%s: answered after Clear", spec.Field)
		}
		for _, other := range Fields {
			if other.Field != spec.Field && a.Value(other.Field) != before.Value(other.Field) {
				t.Errorf("clearing %s changed %s", spec.Field, other.Field)
			}
		}
	}
	a := validApplication()
	a.Basic.CreditCodeFlagged, a.Basic.CreditCodeTyped = true, true
	a.Clear(FieldCreditCode)
	if a.Basic.CreditCodeFlagged || a.Basic.CreditCodeTyped || len(a.Flags()) != 0 {
		t.Errorf("a cleared credit code keeps its flag or source: %+v", a.Basic)
	}
	if !a.Answered(FieldCertificate) {
		t.Error("the certificate step is known with the user type")
	}
}
