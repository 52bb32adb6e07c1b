package domain

// Reasons are the Reasons of the invalid errors that the parsers and checks
// of this package (ParseX, CheckX, NewPDFAttachment, ImagesToPDF, UnconvertibleImage) return for
// what a user typed or sent, each with the names of the values its Error
// carries in Args, sorted: the placeholders its text must have. A user
// interface needs a text for each reason, which shows exactly these values
// (internal/i18n's message files; T(lang, e.Reason, e.ArgList()...)).
// Not listed: ReasonCreditCodeChecksum, which comes with the code and is
// answered with a question rather than a text.
var Reasons = map[string][]string{
	// Every parser: nothing left once spaces and invisible characters go.
	"text.empty": nil,

	"text.encoding": nil,
	"text.newline":  nil,
	"text.control":  nil,
	"text.too_long": {"Count", "Max"},

	"idnumber.char":         {"Char", "Pos"},
	"idnumber.old":          nil,
	"idnumber.length":       {"Count"},
	"idnumber.region":       nil,
	"idnumber.birthdate":    nil,
	"idnumber.birth_future": nil,
	"idnumber.checksum":     nil,

	"creditcode.letter": {"Char", "Pos"},
	"creditcode.char":   {"Char", "Pos"},
	"creditcode.region": {"Char", "Pos"},
	"creditcode.old":    nil,
	"creditcode.length": {"Count"},

	"loginname.space":  nil,
	"loginname.char":   {"Char"},
	"loginname.length": {"Count"},

	"username.emoji":  {"Char"},
	"username.space":  nil,
	"username.char":   {"Char"},
	"username.length": {"Count"},

	"password.fullwidth":      {"Pos"},
	"password.space":          nil,
	"password.invisible":      nil,
	"password.char":           {"Pos"},
	"password.too_short":      nil,
	"password.too_long":       nil,
	"password.no_letter":      nil,
	"password.no_digit":       nil,
	"password.no_special":     nil,
	"password.classes":        nil,
	"password.contains_login": nil,

	"mobile.country": nil,
	"mobile.char":    {"Char", "Pos"},
	"mobile.length":  {"Count"},
	"mobile.prefix":  nil,

	"landline.char":          {"Char"},
	"landline.mobile":        nil,
	"landline.format":        nil,
	"landline.area_code":     nil,
	"landline.number_length": {"Count"},
	"landline.extension":     nil,

	"email.space":    nil,
	"email.at":       nil,
	"email.char":     {"Char"},
	"email.local":    nil,
	"email.domain":   nil,
	"email.too_long": nil,
	"email.format":   nil,

	"postcode.space":        nil,
	"postcode.char":         {"Char"},
	"postcode.length":       {"Count"},
	"postcode.leading_zero": nil,

	"name.emoji":     {"Char"},
	"name.mixed":     nil,
	"name.char":      {"Char"},
	"name.separator": nil,
	"name.length":    {"Count"},

	"orgname.emoji": {"Char"},
	"orgname.han":   nil,

	"capital.unit":      nil,
	"capital.char":      {"Char"},
	"capital.format":    nil,
	"capital.too_large": nil,
	"capital.decimals":  nil,

	"date.format": nil,
	"date.order":  nil,
	"date.year":   nil,
	"date.month":  {"Month"},
	"date.day":    {"Day", "Month", "Year"},

	"account.char":       {"Char", "Pos"},
	"account.length":     {"Count"},
	"bankaccount.char":   {"Char", "Pos"},
	"bankaccount.length": {"Count"},

	"attachment.same":       nil,
	"pdf.too_large":         nil,
	"pdf.not_pdf":           nil,
	"pdf.broken":            nil,
	"pdf.encrypted":         nil,
	"image.unsupported":     nil,
	"image.broken":          nil,
	"image.too_large":       nil,
	"image.format":          {"Format"},
	"image.too_many":        {"Max"},
	"image.pages_too_large": {"Pages"},
}
