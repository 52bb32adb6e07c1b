package domain

import (
	"slices"
	"time"
)

// Field names one field of the platform's registration form, and so of an
// Application. This file is each field's one home: errors (Error.Field),
// the dialogue's questions, the summary, the review card, the SQL column
// map and the export refer to a field by its constant, and its label is the
// text "field.<name>" in the message files. Grep a constant to find every
// place that asks, checks, stores, shows or exports its field.
type Field string

// The form's fields, in the platform's order (manual §5; facts.md §1.2).
const (
	FieldMemberType Field = "member_type" // 市场成员类型
	FieldNotice     Field = "notice"      // 注册须知, agreed to

	// 账号信息
	FieldEnterpriseName Field = "enterprise_name" // 企业全称
	FieldLoginName      Field = "login_name"      // 登录名
	FieldUserName       Field = "user_name"       // 用户名
	FieldLegalRepID     Field = "legal_rep_id"    // 法定代表人身份证号码
	FieldPassword       Field = "password"        // 密码

	// 基本信息
	FieldCreditCode        Field = "credit_code"        // 统一社会信用代码
	FieldLegalRepName      Field = "legal_rep_name"     // 法定代表人
	FieldRegisteredCapital Field = "registered_capital" // 注册资本（万元）
	FieldFoundedOn         Field = "founded_on"         // 成立日期
	FieldBusinessTerm      Field = "business_term"      // 营业期限
	FieldIndustry          Field = "industry"           // 所属行业
	FieldUserType          Field = "user_type"          // 用户类型
	FieldRegion            Field = "region"             // 地理区域
	FieldRegisteredAddress Field = "registered_address" // 注册地址

	// 商务信息
	FieldBankName          Field = "bank_name"           // 开户银行
	FieldBankAccountName   Field = "bank_account_name"   // 开户名称
	FieldBankAccountNumber Field = "bank_account_number" // 银行账号

	// 联系信息
	FieldContactPerson   Field = "contact_person"   // 联系人
	FieldContactPosition Field = "contact_position" // 职务
	FieldMobile          Field = "mobile"           // 手机
	FieldEmail           Field = "email"            // 电子邮箱
	FieldLandline        Field = "landline"         // 办公电话
	FieldFax             Field = "fax"              // 传真
	FieldMailingAddress  Field = "mailing_address"  // 通信地址
	FieldPostcode        Field = "postcode"         // 邮政编码

	// 附件
	FieldCatalogFile Field = "attachment_catalog" // 准入目录文件
	FieldLicenceFile Field = "attachment_licence" // 营业执照（三证合一）

	// 用电单元
	FieldUnits Field = "units" // every marketing account with its units
)

// Inputs that are not fields of the form but that errors name.
const (
	FieldKeyword       Field = "keyword"        // a search of the access catalog
	FieldAccountNumber Field = "account_number" // a marketing account (营销户号), to query
	FieldQueryPassword Field = "query_password" // its 95598 query password
	FieldAttachment    Field = "attachment"     // an uploaded file, before it is one of the two documents
	FieldStatus        Field = "status"         // an application's status
	FieldReason        Field = "reason"         // a rejection's reason
	FieldVerdict       Field = "verdict"        // a reviewer's verdict
	FieldApplication   Field = "application"    // an application as a whole (not found)
	FieldSubmissionKey Field = "submission_key" // the idempotency key of a submission
	FieldBlob          Field = "blob"           // a stored document's bytes
	// FieldCertificate is the digital-certificate step the applicant is
	// told of (required for 直接交易用户, optional for 零售用户): not asked,
	// worked out from the user type (UserType.CertificateRequired).
	FieldCertificate Field = "certificate"
)

// Section is a part of the platform's form; its heading is the text
// "section.<name>".
type Section string

const (
	SectionAccount     Section = "account"     // 账号信息
	SectionBasic       Section = "basic"       // 基本信息
	SectionBusiness    Section = "business"    // 商务信息
	SectionContact     Section = "contact"     // 联系信息
	SectionAttachments Section = "attachments" // 附件
	SectionUnits       Section = "units"       // 用电单元
)

// Sections lists the form's sections in order.
var Sections = []Section{SectionAccount, SectionBasic, SectionBusiness, SectionContact, SectionAttachments, SectionUnits}

// FieldSpec says where a field belongs and how an application holds it.
type FieldSpec struct {
	Field   Field
	Section Section // "" for the fields before the form (member type, notice)
	// Text, for a field held as one string, points at it in an application;
	// nil for the others (dates, codes, secrets, files, units), whose
	// canonical text is Application.Value's.
	Text func(*Application) *string
	// Personal marks what erasure (Application.Erase) removes: a natural
	// person's data (PIPL), the enterprise's bank account, the password
	// and the documents. The rest (the enterprise's name, code, address,
	// the reference and the status) stays, so the record of a decision
	// still says whom it was about.
	Personal bool
}

// Fields are the form's fields in the platform's order.
var Fields = []FieldSpec{
	{Field: FieldMemberType},
	{Field: FieldNotice},
	{Field: FieldEnterpriseName, Section: SectionAccount, Text: func(a *Application) *string { return &a.Basic.EnterpriseName }},
	{Field: FieldLoginName, Section: SectionAccount, Text: func(a *Application) *string { return &a.Account.LoginName }},
	{Field: FieldUserName, Section: SectionAccount, Text: func(a *Application) *string { return &a.Account.UserName }},
	{Field: FieldLegalRepID, Section: SectionAccount, Personal: true},
	{Field: FieldPassword, Section: SectionAccount, Personal: true},
	{Field: FieldCreditCode, Section: SectionBasic},
	{Field: FieldLegalRepName, Section: SectionBasic, Text: func(a *Application) *string { return &a.Basic.LegalRepName }, Personal: true},
	{Field: FieldRegisteredCapital, Section: SectionBasic, Text: func(a *Application) *string { return &a.Basic.RegisteredCapital }},
	{Field: FieldFoundedOn, Section: SectionBasic},
	{Field: FieldBusinessTerm, Section: SectionBasic},
	{Field: FieldIndustry, Section: SectionBasic, Text: func(a *Application) *string { return &a.Basic.Industry }},
	{Field: FieldUserType, Section: SectionBasic},
	{Field: FieldRegion, Section: SectionBasic},
	{Field: FieldRegisteredAddress, Section: SectionBasic, Text: func(a *Application) *string { return &a.Basic.RegisteredAddress }},
	{Field: FieldBankName, Section: SectionBusiness, Text: func(a *Application) *string { return &a.Business.BankName }},
	{Field: FieldBankAccountName, Section: SectionBusiness, Text: func(a *Application) *string { return &a.Business.AccountName }, Personal: true},
	{Field: FieldBankAccountNumber, Section: SectionBusiness, Text: func(a *Application) *string { return &a.Business.AccountNumber }, Personal: true},
	{Field: FieldContactPerson, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Person }, Personal: true},
	{Field: FieldContactPosition, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Position }, Personal: true},
	{Field: FieldMobile, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Mobile }, Personal: true},
	{Field: FieldEmail, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Email }, Personal: true},
	{Field: FieldLandline, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Landline }, Personal: true},
	{Field: FieldFax, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Fax }, Personal: true},
	{Field: FieldMailingAddress, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.MailingAddress }, Personal: true},
	{Field: FieldPostcode, Section: SectionContact, Text: func(a *Application) *string { return &a.Contact.Postcode }},
	{Field: FieldCatalogFile, Section: SectionAttachments, Personal: true},
	{Field: FieldLicenceFile, Section: SectionAttachments, Personal: true},
	{Field: FieldUnits, Section: SectionUnits},
}

var fieldIndex = func() map[Field]int {
	m := make(map[Field]int, len(Fields))
	for i, s := range Fields {
		m[s.Field] = i
	}
	return m
}()

// Spec returns the field's entry of Fields; ok is false for an input that
// is not a field of the form (FieldKeyword, …).
func (f Field) Spec() (spec FieldSpec, ok bool) {
	i, ok := fieldIndex[f]
	if !ok {
		return FieldSpec{}, false
	}
	return Fields[i], true
}

// Section returns the section the field belongs to ("" for none).
func (f Field) Section() Section {
	s, _ := f.Spec()
	return s.Section
}

// Text points at the field's string in a, or is nil when the field is not
// held as one string.
func (f Field) Text(a *Application) *string {
	if s, ok := f.Spec(); ok && s.Text != nil {
		return s.Text(a)
	}
	return nil
}

// AttachmentField is the field of an attachment kind.
func AttachmentField(k AttachmentKind) Field { return Field("attachment_" + string(k)) }

// BusinessTermOpenValue is Value(FieldBusinessTerm) of an open-ended term
// (长期).
const BusinessTermOpenValue = "open"

// Value returns the canonical text of field f in a: strings as held, dates
// as YYYY-MM-DD, codes as codes (user type, region, member type), the ID
// number masked, an attachment by its file name; "" for the password (the
// bot never shows it) and the units (see Accounts).
func (a *Application) Value(f Field) string {
	if p := f.Text(a); p != nil {
		return *p
	}
	switch f {
	case FieldMemberType:
		return string(a.MemberType)
	case FieldNotice:
		return formatTime(a.NoticeAccepted)
	case FieldLegalRepID:
		return a.Account.LegalRepID.Masked
	case FieldCreditCode:
		return a.Basic.CreditCode
	case FieldFoundedOn:
		return formatDate(a.Basic.FoundedOn)
	case FieldBusinessTerm:
		if a.Basic.BusinessTermOpen {
			return BusinessTermOpenValue
		}
		return formatDate(a.Basic.BusinessTermUntil)
	case FieldUserType:
		return string(a.Basic.UserType)
	case FieldRegion:
		return a.Basic.RegionCode
	case FieldCatalogFile, FieldLicenceFile:
		for _, at := range a.Attachments {
			if AttachmentField(at.Kind) == f {
				return at.FileName
			}
		}
	}
	return ""
}

// Clear forgets the answer to field f in a, so that it is asked again:
// with the credit code go its flag and where it came from, with the
// business term whether it is open-ended, with the units every marketing
// account. The member type, the notice and the fields that are no answer
// (FieldCertificate, …) have nothing to forget.
func (a *Application) Clear(f Field) {
	if p := f.Text(a); p != nil {
		*p = ""
		return
	}
	switch f {
	case FieldLegalRepID:
		a.Account.LegalRepID = SealedID{}
	case FieldPassword:
		a.Account.SealedPassword = nil
	case FieldCreditCode:
		a.Basic.CreditCode, a.Basic.CreditCodeFlagged, a.Basic.CreditCodeTyped = "", false, false
	case FieldFoundedOn:
		a.Basic.FoundedOn = time.Time{}
	case FieldBusinessTerm:
		a.Basic.BusinessTermUntil, a.Basic.BusinessTermOpen = time.Time{}, false
	case FieldUserType:
		a.Basic.UserType = ""
	case FieldRegion:
		a.Basic.RegionCode = ""
	case FieldCatalogFile, FieldLicenceFile:
		a.Attachments = slices.DeleteFunc(a.Attachments, func(at Attachment) bool { return AttachmentField(at.Kind) == f })
	case FieldUnits:
		a.Accounts = nil
	}
}

// Answered reports whether a holds an answer to field f: a value
// (Value), the sealed password, a marketing account with units; the
// certificate step once the user type is known.
func (a *Application) Answered(f Field) bool {
	switch f {
	case FieldPassword:
		return len(a.Account.SealedPassword) > 0
	case FieldUnits:
		return len(a.Units()) > 0
	case FieldCertificate:
		return a.Basic.UserType != ""
	}
	return a.Value(f) != ""
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
