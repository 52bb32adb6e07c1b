package conversation

import (
	"fmt"
	"strings"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/i18n"
)

// Presenter renders applications for people: the fields' names and values,
// the summary, in Simplified Chinese or English, from the message files.
// The applicant's engine and the reviewers' desk (package review) share it.
// It is safe for concurrent use.
type Presenter struct {
	msg     *i18n.Catalog
	regions []domain.Region
	// Rendered once, by langIndex: they are shown on every summary.
	fields       [2]map[domain.Field]string
	sections     [2]map[domain.Section]string
	accountLabel [2]string
}

// NewPresenter returns a Presenter of the texts of msgs (nil: the built-in
// ones) and the region list.
func NewPresenter(msgs *i18n.Catalog, regions []domain.Region) *Presenter {
	if msgs == nil {
		msgs = i18n.Default()
	}
	p := &Presenter{msg: msgs, regions: regions}
	for i, lang := range []string{LangZH, LangEN} {
		p.fields[i] = make(map[domain.Field]string, len(domain.Fields))
		for _, spec := range domain.Fields {
			p.fields[i][spec.Field] = msgs.T(lang, "field."+string(spec.Field))
		}
		p.sections[i] = make(map[domain.Section]string, len(domain.Sections))
		for _, sec := range domain.Sections {
			p.sections[i][sec] = msgs.T(lang, "section."+string(sec))
		}
		p.accountLabel[i] = msgs.T(lang, "label."+string(StMktAccount))
	}
	return p
}

// T renders the text key in lang (see internal/i18n).
func (p *Presenter) T(lang, key string, kv ...any) string { return p.msg.T(lang, key, kv...) }

// FieldLabel names a field of the form: the text "field.<field>".
func (p *Presenter) FieldLabel(lang string, f domain.Field) string {
	return p.fields[langIndex(lang)][f]
}

// SectionName names a section of the form: the text "section.<section>".
func (p *Presenter) SectionName(lang string, s domain.Section) string {
	return p.sections[langIndex(lang)][s]
}

// Region returns the district of code.
func (p *Presenter) Region(code string) (domain.Region, bool) {
	for _, r := range p.regions {
		if r.Code == code {
			return r, true
		}
	}
	return domain.Region{}, false
}

// Summary writes the application grouped by section, in the form's
// order, secrets masked: what the applicant checks before submitting and
// what a reviewer's details show.
func (p *Presenter) Summary(lang string, a *domain.Application) string {
	var b strings.Builder
	for _, sec := range domain.Sections {
		b.WriteByte('\n')
		b.WriteString(p.T(lang, "summary.section", "Name", p.SectionName(lang, sec)))
		b.WriteByte('\n')
		for _, spec := range domain.Fields {
			if spec.Section != sec {
				continue
			}
			if spec.Field == domain.FieldUnits {
				p.units(&b, lang, a)
				continue
			}
			if v := p.Display(lang, a, spec.Field); v != "" {
				b.WriteString(p.T(lang, "summary.line", "Label", p.FieldLabel(lang, spec.Field), "Value", v))
				b.WriteByte('\n')
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// Display is a field's value as the applicant and the reviewers read it:
// names for codes, the ID number masked, the password never; "" when the
// field is empty.
func (p *Presenter) Display(lang string, a *domain.Application, f domain.Field) string {
	switch f {
	case domain.FieldPassword:
		if len(a.Account.SealedPassword) > 0 {
			return "********"
		}
		return ""
	case domain.FieldCreditCode:
		return p.CreditCode(lang, a.Basic)
	case domain.FieldRegisteredCapital:
		if a.Basic.RegisteredCapital != "" {
			return p.T(lang, "summary.capital", "Amount", a.Basic.RegisteredCapital)
		}
		return ""
	case domain.FieldBusinessTerm:
		if a.Basic.BusinessTermOpen {
			return p.T(lang, "term.open")
		}
	case domain.FieldUserType:
		if a.Basic.UserType != "" {
			return p.UserTypeName(lang, a.Basic.UserType)
		}
		return ""
	case domain.FieldRegion:
		if r, ok := p.Region(a.Basic.RegionCode); ok {
			return p.T(lang, "summary.region", "District", r.Name)
		}
		return ""
	}
	return a.Value(f)
}

// units writes every marketing account with its units.
func (p *Presenter) units(b *strings.Builder, lang string, a *domain.Application) {
	n := 0
	for _, m := range a.Accounts {
		fmt.Fprintf(b, "%s %s\n", p.accountLabel[langIndex(lang)], m.Number)
		for _, u := range m.Units {
			n++
			he := p.T(lang, "unithe.none")
			if u.HighEnergy != domain.HighEnergyNone {
				he = domain.OptionName(domain.HighEnergyIndustries, u.HighEnergy)
			}
			b.WriteString(p.T(lang, "summary.unit", "Index", n, "Unit", u.ID, "Name", u.Name,
				"Voltage", domain.OptionName(domain.VoltageLevels, u.VoltageCode),
				"UnitType", domain.OptionName(domain.UnitTypes, u.UnitType), "HighEnergy", he))
			b.WriteByte('\n')
		}
	}
}

// CreditCode is the credit code as the summary and the review group show
// it: with a warning when the applicant confirmed a non-standard one.
func (p *Presenter) CreditCode(lang string, b domain.Basic) string {
	if b.CreditCodeFlagged {
		return p.T(lang, "summary.credit_flagged", "Code", b.CreditCode)
	}
	return b.CreditCode
}

// UserTypeName is the name of a user type: the text "usertype.<type>".
func (p *Presenter) UserTypeName(lang string, ut domain.UserType) string {
	return p.T(lang, "usertype."+string(ut))
}

// Chunks splits text at line ends into pieces under Telegram's 4096-character limit.
func Chunks(text string, limit int) []string {
	var out []string
	for len([]rune(text)) > limit {
		r := []rune(text)
		cut := strings.LastIndex(string(r[:limit]), "\n")
		if cut <= 0 {
			cut = len(string(r[:limit]))
		}
		out = append(out, text[:cut])
		text = strings.TrimLeft(text[cut:], "\n")
	}
	return append(out, text)
}
