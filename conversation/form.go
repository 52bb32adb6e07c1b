package conversation

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/regbot/regbot/domain"
)

// The Mini App form (SPEC §2.12): the typed questions of the dialogue, from
// the login name (the first question after the enterprise is chosen from
// the catalog) to the postcode, on one page. The form is a second way
// through the same questions, not a second set of rules: each value is
// answered by the flow table's own handler of the field's question, exactly
// as a typed answer or a button press would be (formAnswer), so the
// parsers, the cross-field rules (a business term before the founding
// date), the confirmations (the user type, a credit code failing its check
// character) and the refusals' texts are the chat's. A save writes the
// draft through the session store's compare-and-set like any update, and
// the chat then continues at the next question.
//
// The account's typed fields are in the form too, although SPEC §2.12
// names only the basic, business and contact sections: a registration
// through the form then takes at most 20 chat round trips, which the three
// sections alone cannot reach (they hold 20 of the chat path's 44), and the
// ID number and the password never appear in the chat history at all.

// Widgets of the form's fields (FormField.Kind): what the page shows.
const (
	KindText     = "text"     // one line of text
	KindAddress  = "address"  // an address: one line, street-address autofill
	KindSecret   = "secret"   // the ID number: never sent to the page, typed anew
	KindPassword = "password" // the password: typed twice, never sent to the page
	KindDate     = "date"     // YYYY-MM-DD
	KindTerm     = "term"     // a date, or "open" (长期)
	KindChoice   = "choice"   // one of Options (radio buttons)
	KindSelect   = "select"   // one of Options (a drop-down: the districts)
	KindReadOnly = "readonly" // shown, not asked
)

// formSpec is one field of the form: how the page shows it and how its
// value becomes the input its question's handler reads.
type formSpec struct {
	field    domain.Field
	kind     string
	optional bool   // may be left empty (the question's "skip")
	auto     string // the input's autocomplete attribute, for the phone's autofill
	mode     string // the input's inputmode (which keyboard a phone shows)
	max      int    // the longest value the rules accept, in characters
	// button, when set, returns the button value that answers the question
	// with v (a choice, "skip", "open"); ok false sends v as typed text.
	button func(v string) (val string, ok bool)
}

// formSpecs are the form's fields, in the flow's order.
var formSpecs = []formSpec{
	{field: domain.FieldLoginName, kind: KindText, auto: "username", max: 20},
	{field: domain.FieldUserName, kind: KindText, auto: "off", max: 33},
	{field: domain.FieldLegalRepID, kind: KindSecret, auto: "off", max: 18},
	{field: domain.FieldPassword, kind: KindPassword, auto: "new-password", max: 20},
	{field: domain.FieldCreditCode, kind: KindText, auto: "off", max: 18},
	{field: domain.FieldLegalRepName, kind: KindText, auto: "off", max: 30},
	{field: domain.FieldRegisteredCapital, kind: KindText, mode: "decimal", auto: "off", max: 20},
	{field: domain.FieldFoundedOn, kind: KindDate},
	{field: domain.FieldBusinessTerm, kind: KindTerm, button: func(v string) (string, bool) {
		return "open", v == domain.BusinessTermOpenValue
	}},
	{field: domain.FieldIndustry, kind: KindText, auto: "off", max: 50},
	{field: domain.FieldUserType, kind: KindChoice, button: func(v string) (string, bool) { return v, true }},
	{field: domain.FieldRegion, kind: KindSelect, button: func(v string) (string, bool) { return "r:" + v, true }},
	{field: domain.FieldRegisteredAddress, kind: KindAddress, auto: "street-address", max: 100},
	{field: domain.FieldBankName, kind: KindText, auto: "off", max: 60},
	{field: domain.FieldBankAccountName, kind: KindText, auto: "organization", max: 60},
	{field: domain.FieldBankAccountNumber, kind: KindText, mode: "numeric", auto: "off", max: 40},
	{field: domain.FieldContactPerson, kind: KindText, auto: "name", max: 30},
	{field: domain.FieldContactPosition, kind: KindText, auto: "organization-title", max: 30},
	{field: domain.FieldMobile, kind: KindText, mode: "tel", auto: "tel-national", max: 20},
	{field: domain.FieldEmail, kind: KindText, mode: "email", auto: "email", max: 100},
	{field: domain.FieldLandline, kind: KindText, mode: "tel", auto: "tel", max: 20, optional: true, button: skipIfEmpty},
	{field: domain.FieldFax, kind: KindText, mode: "tel", auto: "off", max: 20, optional: true, button: skipIfEmpty},
	{field: domain.FieldMailingAddress, kind: KindAddress, auto: "street-address", max: 100},
	{field: domain.FieldPostcode, kind: KindText, mode: "numeric", auto: "postal-code", max: 6},
}

func skipIfEmpty(v string) (string, bool) { return "skip", v == "" }

// formFields indexes formSpecs by field; formEnd is the question after the
// form's last one: where the chat goes on after a save.
var (
	formFields = map[domain.Field]*formSpec{}
	formEnd    State
)

func init() {
	last := 0
	for i := range formSpecs {
		formFields[formSpecs[i].field] = &formSpecs[i]
	}
	for i, st := range flow {
		if formFields[st.Field] != nil {
			last = i
		}
	}
	formEnd = flow[last+1].State
}

// Form is the Mini App form of a chat's draft, in the draft's language.
type Form struct {
	Lang string `json:"lang"`
	// Closed, when set, says why the form cannot be filled now (no draft,
	// the enterprise not chosen yet, the application submitted): the page
	// shows it instead of the fields.
	Closed   string        `json:"closed,omitempty"`
	Title    string        `json:"title,omitempty"`
	Intro    string        `json:"intro,omitempty"`
	Sections []FormSection `json:"sections,omitempty"`
	// Texts are the page's own words (buttons, notices), by name.
	Texts map[string]string `json:"texts,omitempty"`
}

// FormSection is a section of the platform's form.
type FormSection struct {
	Name   string      `json:"name"`
	Fields []FormField `json:"fields"`
}

// FormField is one field as the page shows it.
type FormField struct {
	Field domain.Field `json:"field"`
	Label string       `json:"label"`
	Kind  string       `json:"kind"`
	// Value is the draft's answer (Application.Value), "" for the secrets;
	// the page sends it back as the field's base (FormInput.Base).
	Value string `json:"value"`
	// Suggest is the value the chat would offer for an empty field (the
	// login name's pinyin initials, the enterprise's name as the account's).
	Suggest string `json:"suggest,omitempty"`
	// Masked shows a secret the draft holds (the ID number masked).
	Masked   string       `json:"masked,omitempty"`
	ReadOnly bool         `json:"readonly,omitempty"`
	Required bool         `json:"required,omitempty"`
	Hint     string       `json:"hint,omitempty"`
	Example  string       `json:"example,omitempty"`
	Options  []FormOption `json:"options,omitempty"`
	// Derived are values worked out from this field's, shown read-only
	// (the credit code's organisation code and tax number).
	Derived      []FormOption `json:"derived,omitempty"`
	Autocomplete string       `json:"autocomplete,omitempty"`
	InputMode    string       `json:"inputmode,omitempty"`
	Max          int          `json:"max,omitempty"`
}

// FormOption is a choice (Value, Label) or a derived value (Label: Value).
type FormOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Group string `json:"group,omitempty"` // a drop-down's group (重庆市 for its districts)
}

// FormInput is what the page sends to check or save.
type FormInput struct {
	// Values are the fields as the page holds them ("" for a secret not
	// typed: the draft's is kept).
	Values map[domain.Field]string `json:"values"`
	// Base are the values the page was given (Form), so that a save tells
	// the applicant's changes from answers given in the chat meanwhile.
	Base map[domain.Field]string `json:"base"`
	// Again is the password typed a second time.
	Again map[domain.Field]string `json:"again,omitempty"`
	// Confirm are the fields whose confirmation the applicant ticked.
	Confirm []domain.Field `json:"confirm,omitempty"`
}

// FormResult is the outcome of a check or a save.
type FormResult struct {
	Closed string `json:"closed,omitempty"` // as in Form
	Saved  bool   `json:"saved"`
	// Errors say why a value is refused: the chat's texts for the rule.
	Errors map[domain.Field]string `json:"errors,omitempty"`
	// Confirm are values that need the applicant's confirmation first: the
	// chat's confirmation question.
	Confirm map[domain.Field]string `json:"confirm,omitempty"`
	// Missing are required fields without an answer (a save refuses them).
	Missing []domain.Field `json:"missing,omitempty"`
	// Values are the fields as read (normalised, as the draft holds them).
	Values map[domain.Field]string `json:"values,omitempty"`
	// Derived are the values worked out from a field's (see FormField).
	Derived map[domain.Field][]FormOption `json:"derived,omitempty"`
	// Notes tell of answers given in the chat since the page was loaded.
	Notes []string `json:"notes,omitempty"`
	// Message is what the page shows once saved.
	Message string `json:"message,omitempty"`
}

// ok reports whether nothing stands in the way of saving.
func (r *FormResult) ok() bool {
	return len(r.Errors) == 0 && len(r.Confirm) == 0 && len(r.Missing) == 0
}

// errFormRefused aborts a save's session update: nothing is written.
var errFormRefused = errors.New("conversation: form refused")

// formClosed returns the text key saying why s's form cannot be filled
// now, or "" when it can: from the login name's question on (the
// enterprise chosen, which the login name, the user name and the credit
// code come from) until the application is submitted.
func formClosed(s *Session) string {
	switch {
	case s.State == "" || s.State == StStart || steps[s.State] == nil:
		return "form.no_draft"
	case s.State == StSubmitted:
		return "form.submitted"
	case position[s.State] < position[questions[domain.FieldLoginName]]:
		return "form.too_early"
	}
	return ""
}

// Form returns the form of the chat's draft, prefilled from it.
func (e *Engine) Form(ctx context.Context, chatID int64) (Form, error) {
	s, err := e.d.Sessions.Peek(ctx, chatID)
	if err != nil {
		return Form{}, err
	}
	if s.Lang == "" {
		s.Lang = LangZH
	}
	f := Form{Lang: s.Lang}
	if key := formClosed(&s); key != "" {
		f.Closed = e.text(&s, key)
		return f, nil
	}
	app := &s.App
	f.Title = e.text(&s, "form.title")
	f.Intro = e.text(&s, "form.intro", "Enterprise", app.Basic.EnterpriseName)
	f.Texts = e.formTexts(&s)
	t := &turn{ctx: ctx, e: e, s: &s}
	for _, sec := range domain.Sections {
		fs := FormSection{Name: e.p.SectionName(s.Lang, sec)}
		if sec == domain.SectionAccount {
			fs.Fields = append(fs.Fields, FormField{Field: domain.FieldEnterpriseName, Kind: KindReadOnly, ReadOnly: true,
				Label: e.p.FieldLabel(s.Lang, domain.FieldEnterpriseName), Value: app.Basic.EnterpriseName})
		}
		for _, sp := range formSpecs {
			if sp.field.Section() == sec {
				fs.Fields = append(fs.Fields, e.formField(t, sp))
			}
		}
		if len(fs.Fields) > 0 {
			f.Sections = append(f.Sections, fs)
		}
	}
	return f, nil
}

// formTexts are the page's words in the draft's language.
func (e *Engine) formTexts(s *Session) map[string]string {
	return map[string]string{
		"save":      e.text(s, "form.save"),
		"saving":    e.text(s, "form.saving"),
		"saved":     e.text(s, "form.saved_page"),
		"close":     e.text(s, "form.close"),
		"required":  e.text(s, "form.required"),
		"optional":  e.text(s, "form.optional"),
		"again":     e.text(s, "form.again"),
		"confirm":   e.text(s, "form.confirm"),
		"choose":    e.text(s, "form.choose"),
		"open":      e.text(s, "term.open"),
		"fix":       e.text(s, "form.fix"),
		"failed":    e.text(s, "retry.later"),
		"secretSet": e.text(s, "form.secret_set"),
	}
}

// formField describes one field of s's draft.
func (e *Engine) formField(t *turn, sp formSpec) FormField {
	s, app := t.s, &t.s.App
	f := FormField{Field: sp.field, Kind: sp.kind, Label: e.p.FieldLabel(s.Lang, sp.field), Required: !sp.optional,
		Autocomplete: sp.auto, InputMode: sp.mode, Max: sp.max}
	if k := "form.example." + string(sp.field); e.msg.Has(k) {
		f.Example = e.msg.T(s.Lang, k)
	}
	switch sp.field {
	case domain.FieldLegalRepID:
		f.Masked = app.Account.LegalRepID.Masked
	case domain.FieldPassword:
		if len(app.Account.SealedPassword) > 0 {
			f.Masked = "********"
		}
	case domain.FieldLoginName:
		f.Value = app.Value(sp.field)
		if f.Value == "" {
			f.Suggest, _ = e.suggestLogin(t)
		}
	case domain.FieldUserName:
		f.Value = app.Value(sp.field)
		if f.Value == "" {
			f.Suggest = domain.SuggestUserName(app.Basic.EnterpriseName)
		}
	case domain.FieldBankAccountName:
		f.Value = app.Value(sp.field)
		if f.Value == "" {
			f.Suggest = app.Basic.EnterpriseName
		}
	case domain.FieldCreditCode:
		f.Value = app.Value(sp.field)
		if code, ok := catalogCode(s); ok && (f.Value == "" || f.Value == code) {
			f.Value, f.ReadOnly, f.Kind = code, true, KindReadOnly
			f.Hint = e.text(s, "form.from_catalog")
		}
		f.Derived = e.derived(s, f.Value)
	case domain.FieldUserType:
		f.Value = app.Value(sp.field)
		f.Hint = e.text(s, "usertype.prompt")
		for _, ut := range []domain.UserType{domain.UserDirect, domain.UserRetail} {
			f.Options = append(f.Options, FormOption{Value: string(ut), Label: e.p.UserTypeName(s.Lang, ut)})
		}
	case domain.FieldRegion:
		f.Value = app.Value(sp.field)
		city := e.text(s, "form.region_city")
		for _, r := range e.cfg.Regions {
			f.Options = append(f.Options, FormOption{Value: r.Code, Label: r.Name, Group: city})
		}
	default:
		f.Value = app.Value(sp.field)
	}
	return f
}

// catalogCode returns the credit code the access catalog holds for the
// chosen enterprise, if it is a valid one: the form shows it, not asks it
// (SPEC §2.5; a code failing its check character is the chat's to confirm).
func catalogCode(s *Session) (string, bool) {
	c := s.App.Basic.CatalogCreditCode
	if c == "" {
		c = s.CatalogCode // a draft saved before it moved into the application
	}
	code, err := domain.ParseCreditCode(c)
	return code, c != "" && err == nil
}

// derived are the values the credit code gives (三证合一).
func (e *Engine) derived(s *Session, code string) []FormOption {
	if code == "" {
		return nil
	}
	b := domain.Basic{CreditCode: code}
	return []FormOption{
		{Label: e.text(s, "form.org_code"), Value: b.OrganizationCode()},
		{Label: e.text(s, "form.tax_number"), Value: b.TaxNumber()},
	}
}

// CheckForm reads the page's values as a save would and reports what a
// save would refuse, changing nothing: the page asks it as the applicant
// leaves a field.
func (e *Engine) CheckForm(ctx context.Context, chatID int64, in FormInput) (FormResult, error) {
	s, err := e.d.Sessions.Peek(ctx, chatID)
	if err != nil {
		return FormResult{}, err
	}
	if s.Lang == "" {
		s.Lang = LangZH
	}
	if key := formClosed(&s); key != "" {
		return FormResult{Closed: e.text(&s, key)}, nil
	}
	t := &turn{ctx: ctx, e: e, s: &s, in: Input{ChatID: chatID, UserID: chatID}}
	res, _, err := e.applyForm(t, in)
	return res, err
}

// SaveForm writes the page's values into the chat's draft, through the
// session store's compare-and-set: an answer given in the chat at the same
// time is never lost (whichever write comes second sees the other's, and
// the later one wins per field; the result's Notes and the chat's summary
// tell of it). The draft takes the values only if every one is accepted
// and confirmed and no required field is left empty; otherwise nothing is
// written and the result says why, field by field. On success the replies
// are for the chat, in order: what the form set, and the question the
// chat goes on with (the first after the form's; the summary's return
// after an edit; the question being asked when its own answer was not
// changed by the form, which is then asked first).
func (e *Engine) SaveForm(ctx context.Context, chatID int64, in FormInput) (FormResult, []Reply, error) {
	var res FormResult
	var out []Reply
	err := e.d.Sessions.Update(ctx, chatID, 0, func(s *Session) error {
		res, out = FormResult{}, nil
		if s.Lang == "" {
			s.Lang = LangZH
		}
		if key := formClosed(s); key != "" {
			res.Closed = e.text(s, key)
			return errFormRefused
		}
		t := &turn{ctx: ctx, e: e, s: s, in: Input{ChatID: chatID, UserID: chatID}}
		before := s.App
		r, keep, err := e.applyForm(t, in)
		if err != nil {
			return err
		}
		res = r
		if !res.ok() {
			return errFormRefused
		}
		s.UpdatedAt = e.now()
		changed := formChanges(&before, &s.App)
		res.Saved = true
		res.Message = e.text(s, "form.saved_page")
		t.out = nil
		e.formSummary(t, changed, res.Notes)
		e.formContinue(t, keep, changed)
		out = t.out
		return nil
	})
	if errors.Is(err, errFormRefused) {
		return res, nil, nil
	}
	if err != nil {
		return FormResult{}, nil, err
	}
	return res, out, nil
}

// kept is what the chat was doing when the form was applied: the question
// asked and its working data, restored when the chat stays at it.
type kept struct {
	state   State
	scratch Scratch
}

// applyForm answers each field of the form on t.s, in the flow's order,
// with its question's handler: the values the applicant changed on the
// page. An answer the draft already holds was checked, and confirmed, when
// it was given; one that a change before it makes stale is brought up to
// date or cleared by the flow's dependencies (propagate), as in the chat,
// and a cleared one is answered again with the page's value. A value the applicant did not change keeps the draft's
// answer, also one given in the chat since the page was loaded (a note
// says so); a value changed on both sides is the page's, the later one (a
// note says whose answer it replaced). It leaves t.s in a state that must
// not be saved unless the result is ok, with the chat's question and
// working data in kept.
func (e *Engine) applyForm(t *turn, in FormInput) (FormResult, kept, error) {
	s := t.s
	k := kept{state: s.State, scratch: s.Scratch}
	res := FormResult{Values: map[domain.Field]string{}}
	var keptFields, replaced []domain.Field
	orig := make(map[domain.Field]string, len(formSpecs)) // the draft's answers before this save
	for _, sp := range formSpecs {
		orig[sp.field] = s.App.Value(sp.field)
	}
	for i := range formSpecs {
		sp := &formSpecs[i]
		f := sp.field
		cur := s.App.Value(f) // after the fields before it: a change there may have cleared it
		secret := sp.kind == KindSecret || sp.kind == KindPassword
		v, sent := in.Values[f]
		base, hasBase := in.Base[f]
		v, base = strings.TrimSpace(v), strings.TrimSpace(base)
		answer, confirmed := v, slices.Contains(in.Confirm, f)
		switch {
		case f == domain.FieldCreditCode && catalogCodeShown(s):
			// Shown, not asked: the catalog's code, unless the draft has it.
			code, _ := catalogCode(s)
			if cur == code {
				res.Values[f] = cur
				continue
			}
			answer, confirmed = code, false
		case secret:
			if v == "" {
				continue // not typed: the draft's is kept (or missing)
			}
		case !sent || v == base:
			if hasBase && orig[f] != base {
				keptFields = append(keptFields, f) // answered in the chat meanwhile
			}
			switch {
			case cur != "":
				res.Values[f] = cur
				continue
			case v != "" && v == orig[f]:
				// Cleared by a change this save made (a new founding date
				// clears a business term before it): the page's value is
				// answered again, accepted or refused with its reason.
				answer, confirmed = v, true
			default:
				res.Values[f] = cur
				continue
			}
		case v == cur:
			res.Values[f] = cur // what the draft holds already
			continue
		default:
			if hasBase && orig[f] != base && orig[f] != v {
				replaced = append(replaced, f)
			}
		}
		problem, question, err := e.formAnswer(t, *sp, answer, strings.TrimSpace(in.Again[f]), confirmed)
		if err != nil {
			return FormResult{}, k, err
		}
		switch {
		case secret: // never echoed
		case problem != "" || question != "":
			res.Values[f] = v
		default:
			res.Values[f] = s.App.Value(f)
		}
		switch {
		case problem != "":
			res.Errors = setField(res.Errors, f, problem)
		case question != "":
			res.Confirm = setField(res.Confirm, f, question)
		}
		if f == domain.FieldCreditCode {
			res.Derived = map[domain.Field][]FormOption{f: e.derived(s, res.Values[f])}
		}
	}
	s.State, s.Scratch = k.state, k.scratch
	for _, sp := range formSpecs {
		if !sp.optional && !answered(&s.App, sp.field) && res.Errors[sp.field] == "" && res.Confirm[sp.field] == "" {
			res.Missing = append(res.Missing, sp.field)
		}
	}
	if len(keptFields) > 0 {
		res.Notes = append(res.Notes, e.text(s, "form.kept", "Fields", e.fieldNames(s, keptFields)))
	}
	if len(replaced) > 0 {
		res.Notes = append(res.Notes, e.text(s, "form.replaced", "Fields", e.fieldNames(s, replaced)))
	}
	return res, k, nil
}

// catalogCodeShown reports whether the form shows the credit code as the
// catalog's, read-only: the catalog has a valid one, and the draft has
// that one or none (another one, confirmed in the chat, is the
// applicant's to keep or change).
func catalogCodeShown(s *Session) bool {
	code, ok := catalogCode(s)
	return ok && (s.App.Basic.CreditCode == "" || s.App.Basic.CreditCode == code)
}

func setField(m map[domain.Field]string, f domain.Field, v string) map[domain.Field]string {
	if m == nil {
		m = map[domain.Field]string{}
	}
	m[f] = v
	return m
}

// answered reports whether the draft holds an answer to f.
func answered(a *domain.Application, f domain.Field) bool {
	switch f {
	case domain.FieldLegalRepID:
		return !a.Account.LegalRepID.IsZero()
	case domain.FieldPassword:
		return len(a.Account.SealedPassword) > 0
	}
	return a.Value(f) != ""
}

// formAnswer answers the question of sp's field with v on t.s, with the
// question's own handler: v as typed text, or as the button press that
// chooses it (sp.button). A confirmation that follows (evConfirm) is
// answered "yes" if confirmed, else its question is returned; a second
// question of the same field (the password typed again) is answered with
// again. problem is the chat's text for a refused value; err a failure of
// the stores.
func (e *Engine) formAnswer(t *turn, sp formSpec, v, again string, confirmed bool) (problem, question string, err error) {
	st := steps[questions[sp.field]]
	t.s.State, t.s.Scratch = st.State, Scratch{}
	t.in = formInput(t.in, sp, st, v)
	before := answers(t.s)
	t.val = ""
	if t.in.Kind == InputButton {
		t.val = t.in.Data
	}
	for {
		t.out = nil
		if !st.takes(t.in.Kind) {
			return e.text(t.s, "invalid.generic"), "", nil
		}
		ev, err := st.Handle(t)
		if err != nil {
			return e.formProblem(t, err)
		}
		switch ev {
		case evNext:
			nx := steps[st.Next[evNext]]
			if nx == nil || nx.Field != sp.field {
				// Answered: what depends on it follows, as in the chat
				// (a changed login name clears the password, unless the
				// form sets one too, further on).
				e.propagate(t, before)
				t.out = nil
				return "", "", nil
			}
			// The field's next question asks it again (the password).
			if again == "" {
				return e.text(t.s, "form.again_missing"), "", nil
			}
			st, t.s.State = nx, nx.State
			t.in.Kind, t.in.Text, t.in.Data, t.val = InputText, again, "", ""
		case evConfirm:
			cst := steps[st.Next[evConfirm]]
			t.s.State = cst.State
			if !confirmed {
				return "", cst.Prompt(t).Text, nil
			}
			st = cst
			t.in.Kind, t.in.Text, t.in.Data, t.val = InputButton, "", "yes", "yes"
		default: // evStay, evNone, evRetry: refused, with what the handler said
			var said []string
			for _, r := range t.out {
				if r.Text != "" {
					said = append(said, r.Text)
				}
			}
			if len(said) == 0 {
				said = append(said, e.text(t.s, "invalid.generic"))
			}
			return strings.Join(said, "\n"), "", nil
		}
	}
}

// formInput is the input that answers st with the form's value v.
func formInput(in Input, sp formSpec, st *step, v string) Input {
	in.MessageID, in.Document, in.Contact = 0, nil, nil
	if sp.button != nil {
		if val, ok := sp.button(v); ok {
			in.Kind, in.Text, in.Data = InputButton, "", val
			return in
		}
	}
	in.Kind, in.Text, in.Data = InputText, v, ""
	return in
}

// formProblem is answerError for the form: the text of a refused value;
// other errors (a store down) are returned.
func (e *Engine) formProblem(t *turn, err error) (string, string, error) {
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid {
		return "", "", err
	}
	if e.msg.Has(de.Reason) {
		return e.text(t.s, de.Reason, de.ArgList()...), "", nil
	}
	return e.text(t.s, "invalid.generic"), "", nil
}

// formChanges lists the form's fields whose answer differs between a and b.
func formChanges(a, b *domain.Application) []domain.Field {
	var out []domain.Field
	for _, sp := range formSpecs {
		f := sp.field
		var same bool
		switch f {
		case domain.FieldLegalRepID:
			same = bytes.Equal(a.Account.LegalRepID.Ciphertext, b.Account.LegalRepID.Ciphertext)
		case domain.FieldPassword:
			same = bytes.Equal(a.Account.SealedPassword, b.Account.SealedPassword)
		case domain.FieldCreditCode:
			same = a.Basic.CreditCode == b.Basic.CreditCode && a.Basic.CreditCodeFlagged == b.Basic.CreditCodeFlagged
		default:
			same = a.Value(f) == b.Value(f)
		}
		if !same {
			out = append(out, f)
		}
	}
	return out
}

// fieldNames names fields, in the form's order.
func (e *Engine) fieldNames(s *Session, fs []domain.Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = e.p.FieldLabel(s.Lang, f)
	}
	return strings.Join(names, e.text(s, "form.separator"))
}

// formSummary tells the chat what the form set, and of the notes.
func (e *Engine) formSummary(t *turn, changed []domain.Field, notes []string) {
	s := t.s
	if len(changed) == 0 {
		t.say("form.unchanged")
		return
	}
	lines := []string{e.text(s, "form.saved", "Count", len(changed))}
	for _, f := range changed {
		lines = append(lines, e.text(s, "summary.line", "Label", e.p.FieldLabel(s.Lang, f), "Value", e.p.Display(s.Lang, &s.App, f)))
	}
	lines = append(lines, notes...)
	t.out = append(t.out, Reply{Text: strings.Join(lines, "\n")})
}

// formContinue moves the chat on after a save and asks its question. A
// chat that was past the form's questions stays where it was. One at a
// form question stays there if the form did not change that question's
// answer (the applicant may be typing it in the chat right now: that
// answer then lands where it was meant to) and returns past the form
// afterwards; otherwise it goes on past the form, or back to the summary
// after an edit. /back from there returns to the question it was at.
func (e *Engine) formContinue(t *turn, k kept, changed []domain.Field) {
	s := t.s
	s.State, s.Scratch = k.state, k.scratch
	st := steps[k.state]
	if position[k.state] >= position[formEnd] || formFields[st.Field] == nil {
		e.prompt(t)
		return
	}
	if !slices.Contains(changed, st.Field) {
		if s.ReturnTo == "" {
			s.ReturnTo = formEnd
		}
		e.prompt(t)
		return
	}
	next := formEnd
	if s.ReturnTo != "" {
		next, s.ReturnTo = s.ReturnTo, ""
	}
	s.Scratch = Scratch{}
	e.moveTo(t, next)
}

// offersForm reports whether the question being asked offers the Mini
// App form: the first question after the enterprise is chosen (the login
// name) and the first question of 基本信息 (whichever is asked first: the
// credit code, unless the catalog answers it).
func offersForm(s *Session) bool {
	st := steps[s.State]
	if st == nil || formFields[st.Field] == nil || s.State != questions[st.Field] {
		return false
	}
	if st.Field == domain.FieldLoginName {
		return true
	}
	if st.Field.Section() != domain.SectionBasic {
		return false
	}
	// Entered going forward from the account's questions, not jumped to
	// from the summary to change one answer.
	n := len(s.History)
	if n == 0 || steps[s.History[n-1]] == nil {
		return false
	}
	prev := s.History[n-1]
	return steps[prev].Field.Section() != domain.SectionBasic && position[prev] < position[s.State]
}
