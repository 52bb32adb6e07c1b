package cli

import (
	"github.com/regbot/regbot/domain"
)

// The trading platform's registration form, in its own terms: the
// sections, their order, each field's label as the form shows it and, where
// known, the platform's field id (facts.md §1; the ids come from a PMOS
// front end of the same generation, not from Chongqing's own site). The
// export (pmos, xlsx) writes an application in this shape, so that a clerk
// types it into the platform field by field, or a script fills it in.

// pmosSection is one section of the platform's form.
type pmosSection struct {
	Name   string // as the platform names it
	Fields []pmosField
}

// pmosField is one field of the platform's form and where regbot holds it.
type pmosField struct {
	Label string       // the platform's label
	ID    string       // the platform's field id, if known
	Field domain.Field // regbot's field
	// Derived names a value the platform asks for that regbot derives
	// rather than asks (三证合一): "organization_code", "tax_number".
	Derived string
}

var pmosForm = []pmosSection{
	{Name: "账号信息", Fields: []pmosField{
		{Label: "登录名", ID: "loginname", Field: domain.FieldLoginName},
		{Label: "用户名", ID: "username", Field: domain.FieldUserName},
		{Label: "法人代表证件号码", ID: "idcard", Field: domain.FieldLegalRepID},
		{Label: "密码", ID: "password", Field: domain.FieldPassword},
	}},
	{Name: "基本信息", Fields: []pmosField{
		{Label: "市场成员类型", ID: "participanttype", Field: domain.FieldMemberType},
		{Label: "企业全称", ID: "participantname", Field: domain.FieldEnterpriseName},
		{Label: "用户类型", ID: "usertype", Field: domain.FieldUserType},
		{Label: "地理区域", ID: "geogrregionid", Field: domain.FieldRegion},
		{Label: "统一社会信用代码", ID: "businesscode", Field: domain.FieldCreditCode},
		{Label: "组织机构代码", ID: "organizecode", Field: domain.FieldCreditCode, Derived: "organization_code"},
		{Label: "税务登记证号", ID: "taxcode", Field: domain.FieldCreditCode, Derived: "tax_number"},
		{Label: "法人代表姓名", ID: "corporation", Field: domain.FieldLegalRepName},
		{Label: "注册资本（万元）", ID: "registeredcapital", Field: domain.FieldRegisteredCapital},
		{Label: "成立日期", ID: "founddate", Field: domain.FieldFoundedOn},
		{Label: "营业期限", ID: "businessterm", Field: domain.FieldBusinessTerm},
		{Label: "行业类别", ID: "uindustrytype", Field: domain.FieldIndustry},
		{Label: "注册地址", ID: "registeredaddress", Field: domain.FieldRegisteredAddress},
	}},
	{Name: "商务信息", Fields: []pmosField{
		{Label: "开户银行", ID: "depositbank", Field: domain.FieldBankName},
		{Label: "账户名称", ID: "depositname", Field: domain.FieldBankAccountName},
		{Label: "开户账号", ID: "depositaccount", Field: domain.FieldBankAccountNumber},
	}},
	{Name: "联系信息", Fields: []pmosField{
		{Label: "联系人姓名", ID: "linkman", Field: domain.FieldContactPerson},
		{Label: "联系人职务", ID: "position", Field: domain.FieldContactPosition},
		{Label: "手机", ID: "telephone", Field: domain.FieldMobile},
		{Label: "电子邮箱", ID: "email", Field: domain.FieldEmail},
		{Label: "办公电话", ID: "officephone", Field: domain.FieldLandline},
		{Label: "传真", ID: "faxphone", Field: domain.FieldFax},
		{Label: "通信地址", ID: "address", Field: domain.FieldMailingAddress},
		{Label: "邮政编码", ID: "postalcode", Field: domain.FieldPostcode},
	}},
}

// pmosUnitSection is the platform's name for the consumption units, and
// pmosUnitColumns the columns of a unit in its terms.
const pmosUnitSection = "用电单元"

var pmosUnitColumns = []struct{ Label, ID string }{
	{"营销户号", "consNo"},
	{"计量点编号", "meteringPointId"},
	{"用电单元名称", "loadName"},
	{"用电地址", "elecAddr"},
	{"用电电压等级", "voltageGrade"},
	{"电价行业类别", "tradeCode"},
	{"用电单元类型", "loadType"},
	{"高耗能行业类别", "highEnergy"},
}

// Document names of the two attachments, as the platform names them; the
// export writes each as <name>.pdf.
var pmosDocuments = map[domain.AttachmentKind]string{
	domain.AttachmentCatalog: "准入目录",
	domain.AttachmentLicence: "营业执照",
}

// PasswordFile is the sealed password's file in an application's folder.
const PasswordFile = "password.age"

// pmosValue is what the platform is given for f of a: names where the
// platform chooses from a list (member type, user type, region), the
// derived codes, "长期" for an open-ended term; plainID, when not "", is
// the ID number in clear (an export with secrets), else it is masked; the
// password is in PasswordFile, never here.
func (c *cli) pmosValue(a *domain.Application, f pmosField, plainID string) string {
	switch {
	case f.Derived == "organization_code":
		return a.Basic.OrganizationCode()
	case f.Derived == "tax_number":
		return a.Basic.TaxNumber()
	}
	switch f.Field {
	case domain.FieldPassword:
		if len(a.Account.SealedPassword) == 0 {
			return "（已删除：账号已开通）"
		}
		return "见 " + PasswordFile + "（用交易中心的 age 身份解密：age -d -i 身份文件 " + PasswordFile + "）"
	case domain.FieldLegalRepID:
		if plainID != "" {
			return plainID
		}
	case domain.FieldMemberType:
		if a.MemberType == domain.MemberElectricityUser {
			return "电力用户"
		}
	case domain.FieldUserType:
		return c.msgs.T("zh", "usertype."+string(a.Basic.UserType))
	case domain.FieldRegion:
		if name := c.regions[a.Basic.RegionCode]; name != "" {
			return "重庆市/" + name
		}
	case domain.FieldBusinessTerm:
		if a.Basic.BusinessTermOpen {
			return "长期"
		}
	}
	return a.Value(f.Field)
}

// pmosUnit is a unit's row in the platform's terms.
func pmosUnit(account string, u domain.Unit) []string {
	he := domain.OptionName(domain.HighEnergyIndustries, u.HighEnergy)
	if u.HighEnergy == domain.HighEnergyNone {
		he = "非高耗能行业"
	}
	return []string{account, u.ID, u.Name, u.Address, domain.OptionName(domain.VoltageLevels, u.VoltageCode),
		domain.OptionName(domain.UnitTypes, u.TariffCategory), domain.OptionName(domain.UnitTypes, u.UnitType), he}
}
