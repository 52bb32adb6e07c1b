package conversation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regbot/regbot/domain"
)

// Prompt and answer functions of the flow table, in the table's order.

func textPrompt(key string) func(*turn) Reply {
	return func(t *turn) Reply { return Reply{Text: t.e.text(t.s, key)} }
}

// btn builds a button of the current state.
func btn(t *turn, text, val string) Button {
	return Button{Text: text, Data: string(t.s.State) + "|" + val}
}

func skippable(key string) func(*turn) Reply {
	return func(t *turn) Reply {
		return Reply{Text: t.e.text(t.s, key), Buttons: [][]Button{{btn(t, t.e.text(t.s, "skip"), "skip")}}}
	}
}

// answer is the text of a typed answer or the value of a "v:" suggestion button.
func answer(t *turn) string {
	if t.in.Kind == InputButton {
		return strings.TrimPrefix(t.val, "v:")
	}
	return t.in.Text
}

// freeText reads free text of at most max characters into a field.
func freeText(max int) func(domain.Field, string) (string, error) {
	return func(f domain.Field, s string) (string, error) { return domain.ParseText(f, s, max) }
}

// orgName reads the name of an organisation of at most max characters.
func orgName(max int) func(domain.Field, string) (string, error) {
	return func(f domain.Field, s string) (string, error) { return domain.ParseOrgName(f, s, max) }
}

// fixed adapts a parser of one field's values (its errors name that field).
func fixed(parse func(string) (string, error)) func(domain.Field, string) (string, error) {
	return func(_ domain.Field, s string) (string, error) { return parse(s) }
}

// textField reads a typed (or offered) answer with parse into the step's
// field, which is held as one string.
func textField(parse func(domain.Field, string) (string, error)) func(*turn) (Event, error) {
	return func(t *turn) (Event, error) {
		f := steps[t.s.State].Field
		v, err := parse(f, answer(t))
		if err != nil {
			return evNone, err
		}
		*f.Text(&t.s.App) = v
		return evNext, nil
	}
}

// optionalField is textField with a "skip" button that clears the value.
func optionalField(parse func(domain.Field, string) (string, error)) func(*turn) (Event, error) {
	f := textField(parse)
	return func(t *turn) (Event, error) {
		if t.in.Kind == InputButton && t.val == "skip" {
			*steps[t.s.State].Field.Text(&t.s.App) = ""
			return evNext, nil
		}
		return f(t)
	}
}

// appendPageNav adds ‹ / › buttons for a paged list ("pg:N" values).
func appendPageNav(t *turn, rows [][]Button, page, pages int) [][]Button {
	var nav []Button
	if page > 0 {
		nav = append(nav, btn(t, t.e.text(t.s, "page.prev"), "pg:"+strconv.Itoa(page-1)))
	}
	if page+1 < pages {
		nav = append(nav, btn(t, t.e.text(t.s, "page.next"), "pg:"+strconv.Itoa(page+1)))
	}
	if nav != nil {
		rows = append(rows, nav)
	}
	return rows
}

// --- start, notice, member type

func promptStart(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "start.prompt"), Buttons: [][]Button{{btn(t, t.e.text(t.s, "start.begin"), "go")}}}
}

func handleStart(t *turn) (Event, error) { return evNext, nil }

func promptNotice(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "notice.prompt"), Buttons: [][]Button{{btn(t, t.e.text(t.s, "notice.accept"), "agree")}}}
}

func handleNotice(t *turn) (Event, error) {
	if t.val != "agree" {
		return evStay, nil
	}
	t.s.App.NoticeAccepted = t.e.now()
	t.s.App.ConsentVersion = consentVersion(t.e.text(t.s, "notice.prompt"))
	return evNext, nil
}

func promptMember(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "member.prompt"), Buttons: [][]Button{
		{btn(t, t.e.text(t.s, "member.electricity"), string(domain.MemberElectricityUser))},
		{btn(t, t.e.text(t.s, "member.retail"), string(domain.MemberRetailCompany)),
			btn(t, t.e.text(t.s, "member.generator"), string(domain.MemberGenerator))},
	}}
}

func handleMember(t *turn) (Event, error) {
	switch domain.MemberType(t.val) {
	case domain.MemberElectricityUser:
		t.s.App.MemberType = domain.MemberElectricityUser
		return evNext, nil
	case domain.MemberRetailCompany, domain.MemberGenerator:
		t.say("member.other")
	}
	return evStay, nil
}

// --- enterprise from the catalog

const catalogPage = 6

func promptEnterprise(t *turn) Reply {
	if t.e.cfg.CatalogOptional {
		return Reply{Text: t.e.text(t.s, "ent.prompt_free")}
	}
	sc := &t.s.Scratch
	if len(sc.Candidates) == 0 {
		return Reply{Text: t.e.text(t.s, "ent.prompt")}
	}
	var rows [][]Button
	for _, c := range sc.Candidates {
		rows = append(rows, []Button{btn(t, c.Name, "p:"+strconv.FormatInt(c.ID, 10))})
	}
	pages := (sc.Total + catalogPage - 1) / catalogPage
	rows = appendPageNav(t, rows, sc.Page, pages)
	return Reply{Text: t.e.text(t.s, "ent.results", "Total", sc.Total, "Page", sc.Page+1, "Pages", pages), Buttons: rows}
}

func handleEnterprise(t *turn) (Event, error) {
	sc := &t.s.Scratch
	if t.e.cfg.CatalogOptional {
		if t.in.Kind != InputText {
			return evStay, nil
		}
		name, err := domain.ParseOrgName(domain.FieldEnterpriseName, t.in.Text, 100)
		if err != nil {
			return evNone, err
		}
		// The catalog may still know the enterprise: its code is then
		// taken, and checked against a typed one, as when it is chosen.
		found, _, err := t.e.d.Catalog.Search(t.ctx, name, 0, catalogPage)
		if err != nil {
			return evNone, err
		}
		code, flagged := "", false
		for _, c := range found {
			if domain.SameName(c.Name, name) {
				name, code, flagged = c.Name, c.CreditCode, c.CreditCodeFlagged && c.CreditCode != ""
				break
			}
		}
		t.s.App.Basic.EnterpriseName, t.s.App.Basic.CatalogCreditCode, t.s.CatalogFlag = name, code, flagged
		return evNext, nil
	}
	switch {
	case t.in.Kind == InputText:
		kw, err := domain.ParseText(domain.FieldKeyword, t.in.Text, 50)
		if err != nil {
			return evNone, err
		}
		if len([]rune(kw)) < 2 {
			t.say("ent.short")
			return evStay, nil
		}
		return evStay, searchCatalog(t, kw, 0)
	case strings.HasPrefix(t.val, "pg:"):
		page, _ := strconv.Atoi(strings.TrimPrefix(t.val, "pg:"))
		return evStay, searchCatalog(t, sc.Keyword, page)
	case strings.HasPrefix(t.val, "p:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(t.val, "p:"), 10, 64)
		for _, c := range sc.Candidates {
			if c.ID == id {
				t.s.App.Basic.EnterpriseName = c.Name
				t.s.App.Basic.CatalogCreditCode, t.s.CatalogFlag = c.CreditCode, c.CreditCodeFlagged && c.CreditCode != ""
				t.s.Scratch = Scratch{}
				t.say("ent.chosen", "Name", c.Name)
				return evNext, nil
			}
		}
	}
	return evStay, nil
}

func searchCatalog(t *turn, kw string, page int) error {
	if page < 0 {
		page = 0
	}
	found, total, err := t.e.d.Catalog.Search(t.ctx, kw, page*catalogPage, catalogPage)
	if err != nil {
		return err
	}
	sc := &t.s.Scratch
	if total == 0 {
		*sc = Scratch{}
		t.say("ent.none", "Keyword", kw)
		return nil
	}
	sc.Keyword, sc.Page, sc.Total, sc.Candidates = kw, page, total, found
	return nil
}

// --- account

func promptLogin(t *turn) Reply {
	s, why := t.e.suggestLogin(t)
	if s == "" {
		return Reply{Text: t.e.text(t.s, "login.prompt_plain")}
	}
	r := Reply{Buttons: [][]Button{{btn(t, s, "v:"+s)}}}
	initials := domain.SuggestLoginName(t.s.App.Basic.EnterpriseName)
	switch why {
	case loginPadded:
		r.Text = t.e.text(t.s, "login.prompt_padded", "Initials", initials)
	case loginTaken:
		r.Text = t.e.text(t.s, "login.prompt_taken", "Initials", initials)
	default:
		r.Text = t.e.text(t.s, "login.prompt")
	}
	return r
}

// Why a suggested login name is not the plain initials.
const (
	loginPlain  = iota // the initials as they are
	loginPadded        // too short: digits fill them up to 6 characters
	loginTaken         // taken: digits appended
)

// suggestLogin proposes the enterprise's pinyin initials: as they are,
// padded with digits to the 6 characters a login name needs, or with
// digits appended while taken; "" when there is nothing to suggest.
func (e *Engine) suggestLogin(t *turn) (string, int) {
	base := domain.SuggestLoginName(t.s.App.Basic.EnterpriseName)
	if base == "" {
		return "", loginPlain
	}
	why := loginPlain
	if len(base) < 6 {
		why = loginPadded
	}
	for n := 0; n < 20; n++ {
		name := base
		switch {
		case why == loginPadded:
			name = domain.PadLoginName(base, n+1)
		case n > 0:
			name = domain.NextLoginName(base, n)
		}
		if _, err := domain.ParseLoginName(name); err != nil {
			continue
		}
		taken, err := e.d.Registrations.LoginNameTaken(t.ctx, name)
		if err != nil {
			return "", loginPlain
		}
		if !taken {
			if n > 0 && why == loginPlain {
				why = loginTaken
			}
			return name, why
		}
	}
	return "", loginPlain
}

func handleLogin(t *turn) (Event, error) {
	name, err := domain.ParseLoginName(answer(t))
	if err != nil {
		return evNone, err
	}
	taken, err := t.e.d.Registrations.LoginNameTaken(t.ctx, name)
	if err != nil {
		return evNone, err
	}
	if taken {
		t.say("login.taken", "LoginName", name)
		return evStay, nil
	}
	t.s.App.Account.LoginName = name
	return evNext, nil
}

func promptUserName(t *turn) Reply {
	sug := domain.SuggestUserName(t.s.App.Basic.EnterpriseName)
	if sug == "" {
		return Reply{Text: t.e.text(t.s, "username.prompt_plain")}
	}
	// Offered as a button only within Telegram's 64 bytes of callback
	// data (a longer one would make Telegram refuse the whole question),
	// and never cut short; a longer one is shown as the example instead.
	if b := btn(t, sug, "v:"+sug); len(b.Data) <= 64 {
		return Reply{Text: t.e.text(t.s, "username.prompt"), Buttons: [][]Button{{b}}}
	}
	return Reply{Text: t.e.text(t.s, "username.prompt_example", "Example", sug)}
}

func handleUserName(t *turn) (Event, error) {
	v, err := domain.ParseUserName(answer(t))
	if err != nil {
		return evNone, err
	}
	t.s.App.Account.UserName = v
	return evNext, nil
}

func handleIDNumber(t *turn) (Event, error) {
	id, err := domain.ParseIDNumber(t.in.Text, t.e.now())
	if err != nil {
		return evNone, err
	}
	sealed, err := t.e.d.Secrets.SealID(id)
	if err != nil {
		return evNone, err
	}
	t.s.App.Account.LegalRepID = sealed
	t.say("idno.saved", "Masked", sealed.Masked)
	return evNext, nil
}

// handlePassword seals the platform password to the exchange's public key
// at once: the draft never holds it in clear, and nothing the bot holds can
// open it. A keyed digest of it is kept only to compare the confirmation
// with.
func handlePassword(t *turn) (Event, error) {
	if err := domain.CheckPassword(t.in.Text, t.s.App.Account.LoginName); err != nil {
		return evNone, err
	}
	sealed, err := t.e.d.Secrets.SealPassword(t.in.Text)
	if err != nil {
		return evNone, err
	}
	d, err := t.e.d.Secrets.DigestPassword(t.in.Text)
	if err != nil {
		return evNone, err
	}
	t.s.Scratch.Pending, t.s.Scratch.Sealed = d, sealed // a digest and a sealed box, never the password
	return evNext, nil
}

// handlePassword2 compares the confirmation with the digest; a match keeps
// the sealed password, and the digest goes either way.
func handlePassword2(t *turn) (Event, error) {
	sc := &t.s.Scratch
	match := sc.Pending != "" && len(sc.Sealed) > 0 && t.e.d.Secrets.DigestMatches(sc.Pending, t.in.Text)
	sealed := sc.Sealed
	forgetPassword(t)
	if !match {
		t.say("pwd.mismatch")
		return evRetry, nil
	}
	t.s.App.Account.SealedPassword = sealed
	t.say("pwd.saved")
	return evNext, nil
}

// forgetPassword drops what the draft holds of a password awaiting its
// confirmation: after the confirmation, and when /back leaves either
// password question.
func forgetPassword(t *turn) {
	t.s.Scratch.Pending, t.s.Scratch.Sealed = "", nil
}

// --- basic info

// deriveCreditCode is the credit code question's Derive: the chosen
// enterprise's code is taken from the catalog where it has a valid one,
// and shown, not asked; unless the applicant answered another before
// (then walking on through the form asks again, offering both).
func deriveCreditCode(t *turn) bool {
	b := &t.s.App.Basic
	if b.CreditCode != "" && b.CreditCode != b.CatalogCreditCode {
		return false
	}
	if !takeCatalogCode(t.s) {
		return false
	}
	t.say("uscc.from_catalog", "Code", b.CreditCode)
	return true
}

// takeCatalogCode sets the credit code to the catalog's for the chosen
// enterprise, if the catalog has one that is valid (a code failing its
// check character, or that the catalog holds as doubtful, is confirmed by
// the applicant first), and reports whether it did.
func takeCatalogCode(s *Session) bool {
	b := &s.App.Basic
	if b.CatalogCreditCode == "" || s.CatalogFlag {
		return false
	}
	code, err := domain.ParseCreditCode(b.CatalogCreditCode)
	if err != nil {
		return false
	}
	b.CreditCode, b.CreditCodeFlagged, b.CreditCodeTyped = code, false, false
	return true
}

func promptCreditCode(t *turn) Reply {
	r := Reply{Text: t.e.text(t.s, "uscc.prompt")}
	b := t.s.App.Basic
	if c := b.CatalogCreditCode; c != "" {
		r.Buttons = [][]Button{{btn(t, t.e.text(t.s, "uscc.prefill", "Code", c), "v:"+c)}}
		if t.s.CatalogFlag {
			r.Text += "\n" + t.e.text(t.s, "uscc.catalog_flagged", "Code", c)
		}
	}
	if c := b.CreditCode; c != "" && c != b.CatalogCreditCode {
		r.Buttons = append([][]Button{{btn(t, t.e.text(t.s, "previous", "Answer", c), "v:"+c)}}, r.Buttons...)
	}
	return r
}

// handleCreditCode reads a credit code. Only the catalog's own code for
// the enterprise is taken as it is; any other is never accepted silently:
// one the catalog has no code to check against, one other than the
// catalog's, or one failing its check character (some early genuine codes
// do) is confirmed first (StCreditOK), and then flagged for the reviewers
// (domain.Application.Flags).
func handleCreditCode(t *turn) (Event, error) {
	code, err := domain.ParseCreditCode(answer(t))
	checksum := domain.ErrorReason(err) == domain.ReasonCreditCodeChecksum
	if err != nil && !checksum {
		return evNone, err
	}
	b := &t.s.App.Basic
	if !checksum && code == b.CatalogCreditCode && !t.s.CatalogFlag {
		b.CreditCode, b.CreditCodeFlagged, b.CreditCodeTyped = code, false, false
		return evNext, nil
	}
	t.s.Scratch.Pending = code
	return evConfirm, nil
}

// promptCreditOK says why the code needs confirming, one line per reason,
// and offers the catalog's code instead where it has one.
func promptCreditOK(t *turn) Reply {
	code, catalog := t.s.Scratch.Pending, t.s.App.Basic.CatalogCreditCode
	var lines []string
	_, err := domain.ParseCreditCode(code)
	switch {
	case domain.ErrorReason(err) == domain.ReasonCreditCodeChecksum:
		lines = append(lines, t.e.text(t.s, "uscc.check_checksum", "Code", code))
	case t.s.CatalogFlag && code == catalog:
		lines = append(lines, t.e.text(t.s, "uscc.catalog_flagged", "Code", code))
	}
	switch {
	case catalog == "":
		lines = append(lines, t.e.text(t.s, "uscc.check_unlisted"))
	case code != catalog:
		lines = append(lines, t.e.text(t.s, "uscc.check_mismatch", "Catalog", catalog))
	}
	lines = append(lines, t.e.text(t.s, "uscc.confirm", "Code", code))
	rows := [][]Button{{btn(t, t.e.text(t.s, "uscc.sure"), "yes"), btn(t, t.e.text(t.s, "uscc.retype"), "no")}}
	if catalog != "" && code != catalog {
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "uscc.prefill", "Code", catalog), "cat")})
	}
	return Reply{Text: strings.Join(lines, "\n"), Buttons: rows}
}

func handleCreditOK(t *turn) (Event, error) {
	b := &t.s.App.Basic
	code := t.s.Scratch.Pending
	t.s.Scratch.Pending = ""
	switch {
	case t.val == "cat" && b.CatalogCreditCode != "":
		code = b.CatalogCreditCode
		if _, err := domain.ParseCreditCode(code); err != nil || t.s.CatalogFlag {
			t.s.Scratch.Pending = code // the catalog holds it as doubtful: confirm it
			return evStay, nil
		}
	case t.val != "yes" || code == "":
		return evRetry, nil
	}
	_, err := domain.ParseCreditCode(code)
	b.CreditCode = code
	// Doubtful: failing its check character, or held so by the catalog.
	b.CreditCodeFlagged = domain.ErrorReason(err) == domain.ReasonCreditCodeChecksum || t.s.CatalogFlag && code == b.CatalogCreditCode
	b.CreditCodeTyped = code != b.CatalogCreditCode
	return evNext, nil
}

func handleFounded(t *turn) (Event, error) {
	d, err := domain.ParseDate(domain.FieldFoundedOn, t.in.Text)
	if err != nil {
		return evNone, err
	}
	if d.After(t.e.now()) {
		t.say("founded.future")
		return evStay, nil
	}
	t.s.App.Basic.FoundedOn = d
	return evNext, nil
}

func promptTerm(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "term.prompt"), Buttons: [][]Button{{btn(t, t.e.text(t.s, "term.open"), "open")}}}
}

func handleTerm(t *turn) (Event, error) {
	b := &t.s.App.Basic
	if t.in.Kind == InputButton {
		if t.val != "open" {
			return evStay, nil
		}
		b.BusinessTermOpen, b.BusinessTermUntil = true, time.Time{}
		return evNext, nil
	}
	d, err := domain.ParseDate(domain.FieldBusinessTerm, t.in.Text)
	if err != nil {
		return evNone, err
	}
	if !b.FoundedOn.IsZero() && d.Before(b.FoundedOn) {
		t.say("term.before")
		return evStay, nil
	}
	b.BusinessTermOpen, b.BusinessTermUntil = false, d
	return evNext, nil
}

func promptUserType(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "usertype.prompt"), Buttons: [][]Button{
		{btn(t, t.e.text(t.s, "usertype.direct"), string(domain.UserDirect))},
		{btn(t, t.e.text(t.s, "usertype.retail"), string(domain.UserRetail))},
	}}
}

func handleUserType(t *turn) (Event, error) {
	ut, err := domain.ParseUserType(t.val)
	if err != nil {
		return evStay, nil
	}
	t.s.Scratch.Pending = string(ut)
	return evConfirm, nil
}

func userTypeLabel(t *turn, ut domain.UserType) string {
	if ut == domain.UserDirect {
		return t.e.text(t.s, "usertype.direct")
	}
	return t.e.text(t.s, "usertype.retail")
}

func promptUserTypeOK(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "usertype.confirm", "UserType", userTypeLabel(t, domain.UserType(t.s.Scratch.Pending))), Buttons: [][]Button{{
		btn(t, t.e.text(t.s, "usertype.yes"), "yes"), btn(t, t.e.text(t.s, "usertype.no"), "no"),
	}}}
}

func handleUserTypeOK(t *turn) (Event, error) {
	ut, err := domain.ParseUserType(t.s.Scratch.Pending)
	t.s.Scratch.Pending = ""
	if t.val != "yes" || err != nil {
		return evRetry, nil
	}
	t.s.App.Basic.UserType = ut
	return evNext, nil
}

// --- region

const regionPage = 12

func promptRegion(t *turn) Reply {
	regions := t.e.cfg.Regions
	pages := max(1, (len(regions)+regionPage-1)/regionPage)
	page := min(max(t.s.Scratch.Page, 0), pages-1)
	var rows [][]Button
	var row []Button
	for _, r := range regions[min(page*regionPage, len(regions)):min((page+1)*regionPage, len(regions))] {
		row = append(row, btn(t, r.Name, "r:"+r.Code))
		if len(row) == 3 {
			rows, row = append(rows, row), nil
		}
	}
	if row != nil {
		rows = append(rows, row)
	}
	rows = appendPageNav(t, rows, page, pages)
	return Reply{Text: t.e.text(t.s, "region.prompt", "Page", page+1, "Pages", pages), Buttons: rows}
}

func handleRegion(t *turn) (Event, error) {
	if t.in.Kind == InputButton {
		if p, ok := strings.CutPrefix(t.val, "pg:"); ok {
			t.s.Scratch.Page, _ = strconv.Atoi(p)
			return evStay, nil
		}
		code := strings.TrimPrefix(t.val, "r:")
		if r, ok := t.e.p.Region(code); ok {
			t.s.App.Basic.RegionCode = r.Code
			t.s.Scratch = Scratch{}
			return evNext, nil
		}
		return evStay, nil
	}
	name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t.in.Text), "重庆市"))
	var match []domain.Region
	for _, r := range t.e.cfg.Regions {
		if name != "" && (r.Name == name || strings.HasPrefix(r.Name, name) || r.Code == name) {
			match = append(match, r)
		}
	}
	if len(match) != 1 {
		t.say("region.unknown", "Name", name)
		return evStay, nil
	}
	t.s.App.Basic.RegionCode = match[0].Code
	t.s.Scratch = Scratch{}
	return evNext, nil
}

// --- business and contact

// promptBankName offers the enterprise's name as the account's (the
// button's data says "the enterprise's", so a long name fits Telegram's 64
// bytes), and an earlier answer of another name.
func promptBankName(t *turn) Reply {
	r := Reply{Text: t.e.text(t.s, "bankname.prompt")}
	ent := t.s.App.Basic.EnterpriseName
	if old := t.s.App.Business.AccountName; old != "" && !domain.SameName(old, ent) {
		if b := btn(t, t.e.text(t.s, "previous", "Answer", old), "v:"+old); len(b.Data) <= 64 {
			r.Buttons = append(r.Buttons, []Button{b})
		}
	}
	if ent != "" {
		r.Buttons = append([][]Button{{btn(t, ent, "ent")}}, r.Buttons...)
	}
	return r
}

// handleBankName reads the account's name: the enterprise's (a tap, or
// typed as SameName finds it) is taken; another is confirmed first, and
// then flagged for the reviewers (domain.FlagAccountNameMismatch).
func handleBankName(t *turn) (Event, error) {
	ent := t.s.App.Basic.EnterpriseName
	if t.in.Kind == InputButton && t.val == "ent" {
		if ent == "" {
			return evStay, nil
		}
		t.s.App.Business.AccountName = ent
		return evNext, nil
	}
	v, err := domain.ParseOrgName(domain.FieldBankAccountName, answer(t), 60)
	if err != nil {
		return evNone, err
	}
	if ent != "" && !domain.SameName(v, ent) {
		t.s.Scratch.Pending = v
		return evConfirm, nil
	}
	if ent != "" {
		v = ent
	}
	t.s.App.Business.AccountName = v
	return evNext, nil
}

func promptBankNameOK(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "bankname.confirm", "Name", t.s.Scratch.Pending, "Enterprise", t.s.App.Basic.EnterpriseName),
		Buttons: [][]Button{
			{btn(t, t.e.text(t.s, "bankname.sure"), "yes"), btn(t, t.e.text(t.s, "bankname.retype"), "no")},
			{btn(t, t.e.text(t.s, "bankname.use_enterprise"), "ent")},
		}}
}

func handleBankNameOK(t *turn) (Event, error) {
	name := t.s.Scratch.Pending
	t.s.Scratch.Pending = ""
	switch {
	case t.val == "yes" && name != "":
		t.s.App.Business.AccountName = name
	case t.val == "ent" && t.s.App.Basic.EnterpriseName != "":
		t.s.App.Business.AccountName = t.s.App.Basic.EnterpriseName
	default:
		return evRetry, nil
	}
	return evNext, nil
}

func promptMobile(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "mobile.prompt"), RequestContact: true}
}

func handleMobile(t *turn) (Event, error) {
	raw := t.in.Text
	if t.in.Kind == InputContact {
		if t.in.Contact == nil || t.in.Contact.UserID != t.in.UserID {
			t.say("mobile.not_own")
			return evStay, nil
		}
		raw = t.in.Contact.Phone
	}
	v, err := domain.ParseMobile(raw)
	if err != nil {
		return evNone, err
	}
	t.s.App.Contact.Mobile = v
	return evNext, nil
}

func handleMailAddr(t *turn) (Event, error) {
	if t.in.Kind == InputButton && !strings.HasPrefix(t.val, "v:") {
		if t.val != "same" || t.s.App.Basic.RegisteredAddress == "" {
			return evStay, nil
		}
		t.s.App.Contact.MailingAddress = t.s.App.Basic.RegisteredAddress
		return evNext, nil
	}
	v, err := domain.ParseText(domain.FieldMailingAddress, answer(t), 100)
	if err != nil {
		return evNone, err
	}
	t.s.App.Contact.MailingAddress = v
	return evNext, nil
}

func promptMailAddr(t *turn) Reply {
	r := Reply{Text: t.e.text(t.s, "mailaddr.prompt")}
	if a := t.s.App.Basic.RegisteredAddress; a != "" {
		r.Buttons = [][]Button{{btn(t, t.e.text(t.s, "mailaddr.same"), "same")}}
	}
	return r
}

// --- consumption units

func handleMktAccount(t *turn) (Event, error) {
	acct, err := domain.ParseAccountNumber(t.in.Text)
	if err != nil {
		return evNone, err
	}
	for _, m := range t.s.App.Accounts {
		// The account the question held (after /back) may be given again.
		if m.Number == acct && t.s.ReturnTo == "" && acct != t.s.Scratch.Account {
			t.say("mkt.dup", "Account", acct)
			return evStay, nil
		}
	}
	t.s.Scratch = Scratch{Account: acct}
	return evNext, nil
}

func promptMktPwd(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "mktpwd.prompt", "Account", t.s.Scratch.Account)}
}

func handleMktPwd(t *turn) (Event, error) {
	sc := &t.s.Scratch
	if sc.Account == "" {
		return evRetry, nil
	}
	locked, err := t.accountLocked()
	if err != nil {
		return evNone, err
	}
	if locked {
		t.say("mkt.locked")
		return evRetry, nil
	}
	pw := strings.TrimSpace(t.in.Text)
	points, err := t.e.d.MeteringPoints.Query(t.ctx, sc.Account, pw)
	switch domain.ErrorCode(err) {
	case "":
	case domain.CodeWrongPassword:
		sc.Attempts++
		if locked, err := t.e.d.QueryGuard.Failed(t.ctx, sc.Account); err != nil {
			return evNone, err
		} else if locked {
			t.say("mkt.locked")
			return evRetry, nil
		}
		t.say("mkt.wrong", "Attempt", sc.Attempts)
		return evStay, nil
	case domain.CodeNotFound:
		t.say("mkt.unknown", "Account", sc.Account)
		return evRetry, nil
	case domain.CodeLocked:
		t.say("mkt.locked")
		return evStay, nil
	default:
		t.e.log.WarnContext(t.ctx, "marketing system query failed", "chat", t.in.ChatID, "err", err)
		t.say("mkt.down")
		return evNone, nil
	}
	if len(points) == 0 {
		t.say("mkt.empty", "Account", sc.Account)
		return evRetry, nil
	}
	ids := make([]string, len(points))
	for i, p := range points {
		ids[i] = p.ID
	}
	taken, err := t.e.d.Registrations.TakenPoints(t.ctx, ids, t.s.App.ID)
	if err != nil {
		return evNone, err
	}
	sc.Points, sc.Ticked, sc.Taken, sc.Page, sc.Attempts = points, nil, nil, 0, 0
	for i, p := range points {
		if taken[p.ID] {
			sc.Taken = append(sc.Taken, i)
		}
	}
	return evNext, nil
}

// accountLocked reports whether the account asked for its query password
// is locked: as the session store read it along with the session if it
// did (no round trip of its own), else from the QueryGuard.
func (t *turn) accountLocked() (bool, error) {
	if l := t.s.AccountLocked; l != nil && t.s.GuardedAccount() != "" {
		return *l, nil
	}
	return t.e.d.QueryGuard.Locked(t.ctx, t.s.Scratch.Account)
}

const pointsPage = 8

func promptPoints(t *turn) Reply {
	sc := &t.s.Scratch
	pages := max(1, (len(sc.Points)+pointsPage-1)/pointsPage)
	page := min(max(sc.Page, 0), pages-1)
	var rows [][]Button
	for i := page * pointsPage; i < min((page+1)*pointsPage, len(sc.Points)); i++ {
		p := sc.Points[i]
		box := "☐"
		switch {
		case slices.Contains(sc.Taken, i):
			box = "⛔"
		case sc.ticked(i):
			box = "☑"
		}
		label := fmt.Sprintf("%s %s %s · %s · %s", box, p.ID, p.Name, domain.OptionName(domain.VoltageLevels, p.VoltageCode), p.Address)
		rows = append(rows, []Button{btn(t, label, "t:"+strconv.Itoa(i))})
	}
	if len(sc.Taken) < len(sc.Points) {
		// Over every page: the points of the other pages too, never a ⛔ one.
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "points.select_all"), "all"), btn(t, t.e.text(t.s, "points.select_none"), "clear")})
	}
	rows = appendPageNav(t, rows, page, pages)
	text := t.e.text(t.s, "points.prompt", "Account", sc.Account, "Points", len(sc.Points))
	if len(sc.Taken) > 0 {
		text += "\n" + t.e.text(t.s, "points.taken_note")
	}
	if len(sc.Ticked) > 0 { // generating needs at least one ticked point
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "points.generate", "Ticked", len(sc.Ticked)), "gen")})
	}
	return Reply{Text: text, Buttons: rows}
}

func (sc *Scratch) ticked(i int) bool {
	for _, x := range sc.Ticked {
		if x == i {
			return true
		}
	}
	return false
}

func handlePoints(t *turn) (Event, error) {
	sc := &t.s.Scratch
	switch {
	case strings.HasPrefix(t.val, "t:"):
		i, err := strconv.Atoi(strings.TrimPrefix(t.val, "t:"))
		if err != nil || i < 0 || i >= len(sc.Points) {
			return evStay, nil
		}
		if slices.Contains(sc.Taken, i) {
			t.out = append(t.out, Reply{Toast: t.e.text(t.s, "points.taken")})
			return evNone, nil
		}
		if sc.ticked(i) {
			out := sc.Ticked[:0]
			for _, x := range sc.Ticked {
				if x != i {
					out = append(out, x)
				}
			}
			sc.Ticked = out
		} else {
			sc.Ticked = append(sc.Ticked, i)
		}
		return evStay, nil
	case strings.HasPrefix(t.val, "pg:"):
		sc.Page, _ = strconv.Atoi(strings.TrimPrefix(t.val, "pg:"))
		return evStay, nil
	case t.val == "all":
		sc.Ticked = nil
		for i := range sc.Points {
			if !slices.Contains(sc.Taken, i) {
				sc.Ticked = append(sc.Ticked, i)
			}
		}
		return evStay, nil
	case t.val == "clear":
		sc.Ticked = nil
		return evStay, nil
	case t.val == "gen":
		if len(sc.Ticked) == 0 {
			t.out = append(t.out, Reply{Toast: t.e.text(t.s, "points.none")})
			return evNone, nil
		}
		acct := domain.MarketingAccount{Number: sc.Account}
		for i, p := range sc.Points {
			if sc.ticked(i) {
				acct.Units = append(acct.Units, domain.Unit{MeteringPoint: p})
			}
		}
		app := &t.s.App
		replaced := false
		for i := range app.Accounts {
			if app.Accounts[i].Number == acct.Number { // regenerated after /back or an edit
				app.Accounts[i], replaced = acct, true
			}
		}
		if !replaced {
			app.Accounts = append(app.Accounts, acct)
		}
		// The account stays the account question's answer while its units
		// are completed: /back to it and another number drops these units
		// (redoUnits).
		*sc = Scratch{Unit: firstIncompleteUnit(app), Account: acct.Number}
		return evNext, nil
	}
	return evStay, nil
}

func firstIncompleteUnit(a *domain.Application) int {
	for i, u := range a.Units() {
		if !u.Complete() {
			return i
		}
	}
	return 0
}

// unitAt returns a pointer to the i-th unit over all accounts.
func unitAt(a *domain.Application, i int) *domain.Unit {
	for m := range a.Accounts {
		if i < len(a.Accounts[m].Units) {
			return &a.Accounts[m].Units[i]
		}
		i -= len(a.Accounts[m].Units)
	}
	return nil
}

func promptUnitType(t *turn) Reply {
	n := len(t.s.App.Units())
	u := unitAt(&t.s.App, t.s.Scratch.Unit)
	if u == nil {
		return Reply{Text: t.e.text(t.s, "mkt.prompt")}
	}
	var rows [][]Button
	if p := previousUnit(t); p != nil {
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "unittype.same", "Category", unitCategory(t, p)), "same")})
	}
	for _, o := range domain.UnitTypes {
		rows = append(rows, []Button{btn(t, o.Name, o.Code)})
	}
	return Reply{Text: t.e.text(t.s, "unittype.prompt", "Unit", t.s.Scratch.Unit+1, "Units", n, "Name", u.Name,
		"Address", u.Address, "Voltage", domain.OptionName(domain.VoltageLevels, u.VoltageCode)), Buttons: rows}
}

// previousUnit is the unit before the one being asked about, when both of
// its choices are made: the one "same as the previous unit" copies.
func previousUnit(t *turn) *domain.Unit {
	if t.s.Scratch.Unit == 0 {
		return nil
	}
	p := unitAt(&t.s.App, t.s.Scratch.Unit-1)
	if p == nil || !p.Complete() {
		return nil
	}
	return p
}

// unitCategory names a unit's two choices: its type and high-energy industry.
func unitCategory(t *turn, u *domain.Unit) string {
	he := t.e.text(t.s, "unithe.none")
	if u.HighEnergy != domain.HighEnergyNone {
		he = domain.OptionName(domain.HighEnergyIndustries, u.HighEnergy)
	}
	return domain.OptionName(domain.UnitTypes, u.UnitType) + " / " + he
}

func handleUnitType(t *turn) (Event, error) {
	u := unitAt(&t.s.App, t.s.Scratch.Unit)
	if u != nil && t.val == "same" {
		return copyPreviousUnit(t, u)
	}
	if u == nil || !domain.HasOption(domain.UnitTypes, t.val) {
		return evStay, nil
	}
	u.UnitType = t.val
	return evNext, nil
}

// copyPreviousUnit gives u the previous unit's type and high-energy
// industry, both at once, and goes on as handleUnitHE does once both are
// chosen: to the next unit's type (evMore), or past the units (evSkip).
func copyPreviousUnit(t *turn, u *domain.Unit) (Event, error) {
	p := previousUnit(t)
	if p == nil {
		return evStay, nil
	}
	u.UnitType, u.HighEnergy = p.UnitType, p.HighEnergy
	t.say("unittype.copied", "Unit", t.s.Scratch.Unit+1, "Category", unitCategory(t, u))
	if t.s.Scratch.Unit+1 < len(t.s.App.Units()) {
		t.s.Scratch.Unit++
		return evMore, nil
	}
	t.s.Scratch = Scratch{}
	return evSkip, nil
}

// backUnitType: /back from a unit's type returns to the previous unit's
// last question, its high-energy industry or, when it was copied, its type.
// From the first unit's type it returns to the query password, not to the
// metering points: they were dropped when the units were generated, and
// querying them again needs that password, never kept.
func backUnitType(t *turn) {
	h := t.s.History
	if len(h) == 0 {
		return
	}
	switch prev := h[len(h)-1]; {
	case t.s.Scratch.Unit > 0 && (prev == StUnitHE || prev == StUnitType):
		t.s.Scratch.Unit--
	case prev == StPoints && len(h) > 1 && len(t.s.Scratch.Points) == 0 && t.s.Scratch.Account != "":
		t.s.History = h[:len(h)-1]
	}
}

func promptUnitHE(t *turn) Reply {
	n := len(t.s.App.Units())
	u := unitAt(&t.s.App, t.s.Scratch.Unit)
	if u == nil {
		return Reply{Text: t.e.text(t.s, "mkt.prompt")}
	}
	var rows [][]Button
	for _, o := range domain.HighEnergyIndustries {
		rows = append(rows, []Button{btn(t, o.Code+" "+o.Name, o.Code)})
	}
	rows = append(rows, []Button{btn(t, t.e.text(t.s, "unithe.none"), domain.HighEnergyNone)})
	return Reply{Text: t.e.text(t.s, "unithe.prompt", "Unit", t.s.Scratch.Unit+1, "Units", n, "Name", u.Name), Buttons: rows}
}

func handleUnitHE(t *turn) (Event, error) {
	u := unitAt(&t.s.App, t.s.Scratch.Unit)
	if u == nil || (t.val != domain.HighEnergyNone && !domain.HasOption(domain.HighEnergyIndustries, t.val)) {
		return evStay, nil
	}
	u.HighEnergy = t.val
	if t.s.Scratch.Unit+1 < len(t.s.App.Units()) {
		t.s.Scratch.Unit++
		return evMore, nil
	}
	t.s.Scratch = Scratch{}
	return evNext, nil
}

func promptMore(t *turn) Reply {
	return Reply{Text: t.e.text(t.s, "more.prompt", "Units", len(t.s.App.Units())), Buttons: [][]Button{
		{btn(t, t.e.text(t.s, "more.add"), "add")},
		{btn(t, t.e.text(t.s, "more.done"), "done")},
	}}
}

func handleMore(t *turn) (Event, error) {
	switch t.val {
	case "add":
		return evMore, nil
	case "done":
		return evNext, nil
	}
	return evStay, nil
}
