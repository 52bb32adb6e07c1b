package conversation

import (
	"slices"
	"strings"

	"github.com/regbot/regbot/domain"
)

// What a dependency's Redo did to its To (see dependency).
type redone int

const (
	redoAsk     redone = iota // stale: clear it and ask it again
	redoCleared               // stale: Redo cleared it; ask it again
	redoDerived               // worked out again from the draft
	redoKept                  // not stale after all
)

// Stale is an answer that a change of another answer cleared (see
// dependencies), to be given again before the application can be
// submitted.
type Stale struct {
	Field domain.Field `json:"f"`
	// Was is the answer before it was cleared: the new one starts the
	// answers that depend on it over only if it differs.
	Was string `json:"w,omitempty"`
}

// sources are the fields some answer depends on, in declaration order.
var sources = func() []domain.Field {
	var fs []domain.Field
	for _, d := range dependencies {
		if !slices.Contains(fs, d.From) {
			fs = append(fs, d.From)
		}
	}
	return fs
}()

// answerOf is the answer to f as propagate compares it: the field's
// canonical value (domain.Application.Value); for FieldAccountNumber the
// marketing account that the account question holds, the one being
// changed from the summary or given before /back (Scratch.Account).
func answerOf(s *Session, f domain.Field) string {
	if f == domain.FieldAccountNumber {
		return s.Scratch.Account
	}
	return s.App.Value(f)
}

// answers returns the answers to every source, before an input is handled.
func answers(s *Session) []string {
	out := make([]string, len(sources))
	for i, f := range sources {
		out[i] = answerOf(s, f)
	}
	return out
}

// propagate applies the dependencies after an input changed answers:
// before are the sources' answers from before it. A source whose answer
// changed (from one answer to another; a first answer changes nothing)
// has each answer depending on it brought up to date by its dependency's
// Redo, and a cleared answer given again differently counts as a change
// in turn. The applicant is told, in one message, which answers were
// updated and which are asked again; those wait in Session.Stale, in the
// form's order, and enter asks them before returning to the summary.
func (e *Engine) propagate(t *turn, before []string) {
	s := t.s
	type change struct {
		field domain.Field
		was   string
	}
	var changes []change
	for i, f := range sources {
		if now := answerOf(s, f); now != "" && before[i] != "" && now != before[i] {
			changes = append(changes, change{f, before[i]})
		}
	}
	if len(changes) == 0 && len(s.Stale) == 0 {
		return
	}
	s.Stale = slices.DeleteFunc(s.Stale, func(x Stale) bool {
		if !s.App.Answered(x.Field) {
			return false
		}
		if now := answerOf(s, x.Field); x.Was != "" && now != x.Was && slices.Contains(sources, x.Field) {
			changes = append(changes, change{x.Field, x.Was})
		}
		return true
	})
	var updated, asked []domain.Field
	var notes []string
	for len(changes) > 0 {
		c := changes[0]
		changes = changes[1:]
		for _, d := range dependencies {
			if d.From != c.field || !s.App.Answered(d.To) {
				continue
			}
			old := answerOf(s, d.To)
			r := redoAsk
			if d.Redo != nil {
				r = d.Redo(t, c.was)
			}
			switch r {
			case redoDerived:
				updated = append(updated, d.To)
				if now := answerOf(s, d.To); old != "" && now != old && slices.Contains(sources, d.To) {
					changes = append(changes, change{d.To, old})
				}
			case redoAsk, redoCleared:
				if r == redoAsk {
					s.App.Clear(d.To)
				}
				s.Stale = append(s.Stale, Stale{Field: d.To, Was: old})
				asked = append(asked, d.To)
				if d.Note != "" {
					notes = append(notes, t.e.text(s, d.Note))
				}
			}
		}
	}
	slices.SortStableFunc(s.Stale, func(a, b Stale) int { return position[questions[a.Field]] - position[questions[b.Field]] })
	if len(updated) == 0 && len(asked) == 0 {
		return
	}
	lines := []string{t.e.text(s, "deps.title")}
	if len(updated) > 0 {
		lines = append(lines, t.e.text(s, "deps.updated", "Fields", e.fieldList(s, updated)))
	}
	if len(asked) > 0 {
		lines = append(lines, t.e.text(s, "deps.reask", "Fields", e.fieldList(s, asked)))
	}
	lines = append(lines, t.notes...)
	lines = append(lines, notes...)
	t.notes = nil
	t.out = append(t.out, Reply{Text: strings.Join(lines, "\n")})
}

// fieldList names fields ("field.<name>"), joined as the language joins a list.
func (e *Engine) fieldList(s *Session, fs []domain.Field) string {
	names := make([]string, 0, len(fs))
	for _, f := range fs {
		if n := e.text(s, "field."+string(f)); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, e.text(s, "deps.separator"))
}

// staleQuestion is the first of the answers still to give again, and its
// first question.
func staleQuestion(s *Session) (State, domain.Field, bool) {
	for _, x := range s.Stale {
		if st, ok := questions[x.Field]; ok {
			return st, x.Field, true
		}
	}
	return "", "", false
}

// The Redo functions of dependencies.

// redoCreditCode takes the new enterprise's credit code from the catalog
// where it has a valid one; any other is asked again (and confirmed).
func redoCreditCode(t *turn, _ string) redone {
	if !takeCatalogCode(t.s) {
		return redoAsk
	}
	return redoDerived
}

// redoUserName gives the new name's suggested user name if the user name
// was the old name's suggestion; a user name of the applicant's own is
// asked again.
func redoUserName(t *turn, was string) redone {
	u := &t.s.App.Account.UserName
	next := domain.SuggestUserName(t.s.App.Basic.EnterpriseName)
	if *u != domain.SuggestUserName(was) || next == "" {
		return redoAsk
	}
	if _, err := domain.ParseUserName(next); err != nil {
		return redoAsk
	}
	*u = next
	return redoDerived
}

// redoAccountName gives the account the new enterprise's name if it had
// the old one's; another name (confirmed for the old enterprise) is asked
// again.
func redoAccountName(t *turn, was string) redone {
	a := &t.s.App.Business.AccountName
	if !domain.SameName(*a, was) {
		return redoAsk
	}
	*a = t.s.App.Basic.EnterpriseName
	return redoDerived
}

// redoBusinessTerm asks the business term again if it now ends before the
// enterprise was founded.
func redoBusinessTerm(t *turn, _ string) redone {
	b := &t.s.App.Basic
	if b.BusinessTermOpen || b.FoundedOn.IsZero() || !b.BusinessTermUntil.Before(b.FoundedOn) {
		return redoKept
	}
	return redoAsk
}

// redoCertificate tells the applicant the certificate step of the new user
// type when it differs from the old one's.
func redoCertificate(t *turn, was string) redone {
	ut := t.s.App.Basic.UserType
	if ut.CertificateRequired() == domain.UserType(was).CertificateRequired() {
		return redoKept
	}
	key := "cert.optional"
	if ut.CertificateRequired() {
		key = "cert.required"
	}
	t.notes = append(t.notes, t.e.text(t.s, key))
	return redoDerived
}

// redoMailingAddress moves the mailing address with the registered one if
// it was the same ("same as registered"); an address of its own stays.
func redoMailingAddress(t *turn, was string) redone {
	c := &t.s.App.Contact
	if c.MailingAddress != was {
		return redoKept
	}
	c.MailingAddress = t.s.App.Basic.RegisteredAddress
	return redoDerived
}

// redoUnits drops the units of the marketing account the account question
// held before (was) when another number is given instead: the new one's
// metering points are queried and its units generated next.
func redoUnits(t *turn, was string) redone {
	app := &t.s.App
	n := len(app.Accounts)
	app.Accounts = slices.DeleteFunc(app.Accounts, func(m domain.MarketingAccount) bool { return m.Number == was })
	if len(app.Accounts) == n {
		return redoKept
	}
	return redoCleared
}
