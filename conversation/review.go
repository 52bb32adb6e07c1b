package conversation

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regbot/regbot/domain"
)

// The review group works in Simplified Chinese.
const reviewLang = LangZH

const (
	pendingLimit = 50 // /pending lists at most this many
	findLimit    = 20 // /find lists at most this many
	textLimit    = 3800
)

// reviewNotice is what the review group gets for a submission: the digest
// with 通过 / 驳回 / 详情 buttons, then the attachments (which the transport
// sends as replies to the digest). A resubmission also shows the last
// rejection and what changed since.
func (e *Engine) reviewNotice(ctx context.Context, a *domain.Application, resubmission bool) []Reply {
	if e.cfg.ReviewChatID == 0 {
		return nil
	}
	var earlier []domain.Decision
	if resubmission {
		ds, err := e.d.Registrations.Decisions(ctx, a.ID)
		if err != nil {
			e.log.WarnContext(ctx, "review: decisions for the resubmission notice", "application", a.ID, "err", err)
		}
		earlier = ds
	}
	parts := chunks(e.noticeText(ctx, a, resubmission, earlier), textLimit)
	var out []Reply
	for _, p := range parts[:len(parts)-1] {
		out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Text: p})
	}
	out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Text: parts[len(parts)-1], Buttons: reviewButtons(a)})
	for _, k := range domain.RequiredAttachments {
		if at, ok := a.Attachment(k); ok {
			out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Document: &OutDocument{
				FileID: at.FileID, BlobKey: at.BlobKey, FileName: at.FileName,
				Caption: a.Reference + " " + e.stateLabel(&Session{Lang: reviewLang}, attachmentState(k)),
			}})
		}
	}
	return out
}

// noticeText is the group's text for an application: the header, the
// digest and, for a resubmission, the last rejection (from earlier, the
// decisions taken before this round) and the changes since.
func (e *Engine) noticeText(ctx context.Context, a *domain.Application, resubmission bool, earlier []domain.Decision) string {
	head := "review.new"
	if resubmission {
		head = "review.resubmitted"
	}
	var b strings.Builder
	b.WriteString(t(reviewLang, head, a.Reference))
	b.WriteString("\n")
	b.WriteString(e.reviewDigest(a))
	if !resubmission {
		return b.String()
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if d := earlier[i]; d.Verdict == domain.VerdictReject {
			b.WriteString("\n\n")
			b.WriteString(t(reviewLang, "review.last_reject", reviewerName(d), stamp(d.DecidedAt), d.Reason))
			break
		}
	}
	{
		prev, err := e.d.Registrations.Previous(ctx, a.ID)
		switch {
		case err == nil:
			b.WriteString("\n\n")
			b.WriteString(e.diffText(prev, a))
		case domain.ErrorCode(err) != domain.CodeNotFound:
			e.log.WarnContext(ctx, "review: previous version for the diff", "application", a.ID, "err", err)
		}
	}
	return b.String()
}

func attachmentState(k domain.AttachmentKind) State {
	if k == domain.AttachmentLicence {
		return StAttLicence
	}
	return StAttCatalog
}

// reviewButtons carry the application id and the version they were shown
// for, so a decision applies only to what the reviewer saw. The transport
// signs them (see ReviewInput.Tampered).
func reviewButtons(a *domain.Application) [][]Button {
	ref := fmt.Sprintf("%d|%d", a.ID, a.Version)
	return [][]Button{{
		{Text: t(reviewLang, "review.approve"), Data: "rv|a|" + ref},
		{Text: t(reviewLang, "review.reject"), Data: "rv|r|" + ref},
		{Text: t(reviewLang, "review.details"), Data: "rv|d|" + ref},
	}}
}

// reviewDigest is the short form of an application for the group.
func (e *Engine) reviewDigest(a *domain.Application) string {
	var b strings.Builder
	s := &Session{Lang: reviewLang}
	fmt.Fprintf(&b, "%s：%s\n", e.stateLabel(s, StEnterprise), a.Basic.EnterpriseName)
	cc := a.Basic.CreditCode
	if a.Basic.CreditCodeFlagged {
		cc += " ⚠️ 校验位不符，申请人已确认"
	}
	fmt.Fprintf(&b, "%s：%s\n", e.stateLabel(s, StCreditCode), cc)
	if a.Basic.UserType != "" {
		fmt.Fprintf(&b, "%s：%s\n", e.stateLabel(s, StUserType), t(reviewLang, "usertype."+string(a.Basic.UserType)))
	}
	if r, ok := e.region(a.Basic.RegionCode); ok {
		fmt.Fprintf(&b, "%s：重庆市 %s\n", e.stateLabel(s, StRegion), r.Name)
	}
	fmt.Fprintf(&b, "联系人：%s %s %s\n", a.Contact.Person, a.Contact.Position, a.Contact.Mobile)
	for _, m := range a.Accounts {
		fmt.Fprintf(&b, "户号 %s\n", m.Number)
		for _, u := range m.Units {
			fmt.Fprintf(&b, "  · %s %s → %s / %s\n", u.ID, u.Name, domain.OptionName(domain.UnitTypes, u.UnitType), highEnergyName(u.HighEnergy))
		}
	}
	if !a.SubmittedAt.IsZero() {
		fmt.Fprintf(&b, "提交时间：%s", stamp(a.SubmittedAt))
	}
	return strings.TrimSpace(b.String())
}

func highEnergyName(code string) string {
	if code == domain.HighEnergyNone {
		return "非高耗能"
	}
	return domain.OptionName(domain.HighEnergyIndustries, code)
}

// stamp formats a time for the group, in China's time zone (the exchange's).
func stamp(tm time.Time) string { return tm.In(chinaTime).Format("2006-01-02 15:04") }

// reasonMarker ties a rejection reason (a reply in the group) to the
// application, its version and the group message to update. Only replies
// to the bot's own messages reach the engine, so the marker cannot be
// quoted from elsewhere.
var reasonMarker = regexp.MustCompile(`#R(\d+)\.(\d+)\.(\d+)`)

// authorised reports whether the person may decide: a listed reviewer, or
// an administrator of the group when the transport checks for that.
func (e *Engine) authorised(in ReviewInput) bool { return e.reviewers[in.ReviewerID] || in.IsAdmin }

// HandleReview processes one event from the review group: a button press
// (通过 / 驳回 / 详情), a reply carrying a rejection reason, or a command
// (/pending, /find, /show, /help). Only authorised reviewers act; anyone
// else is told so and nothing changes. Buttons work only in the review
// group.
func (e *Engine) HandleReview(ctx context.Context, in ReviewInput) ([]Reply, error) {
	inGroup := e.cfg.ReviewChatID != 0 && in.ChatID == e.cfg.ReviewChatID
	switch {
	case in.Data != "":
		switch {
		case !inGroup:
			return []Reply{{Toast: t(reviewLang, "review.wrong_chat")}}, nil
		case in.Tampered:
			e.log.WarnContext(ctx, "review: tampered button refused", "reviewer", in.ReviewerID, "update", in.UpdateID)
			return []Reply{{Toast: t(reviewLang, "review.tampered")}}, nil
		case !e.authorised(in):
			return []Reply{{Toast: t(reviewLang, "review.not_reviewer")}}, nil
		}
		return e.reviewButton(ctx, in)
	case !inGroup:
		return nil, nil
	case in.Command != "":
		if !e.authorised(in) {
			return e.groupText(t(reviewLang, "review.not_reviewer")), nil
		}
		return e.groupCommand(ctx, in)
	case in.ReplyToText != "" && in.Text != "":
		m := reasonMarker.FindStringSubmatch(in.ReplyToText)
		if m == nil {
			return nil, nil // a reply to another of the bot's messages: chatter
		}
		if !e.authorised(in) {
			return e.groupText(t(reviewLang, "review.not_reviewer")), nil
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ver, _ := strconv.Atoi(m[2])
		msg, _ := strconv.Atoi(m[3])
		reason := strings.TrimSpace(in.Text)
		if len([]rune(reason)) < 2 {
			return e.groupText(t(reviewLang, "review.reason_short")), nil
		}
		out, err := e.decide(ctx, in, id, ver, msg, domain.VerdictReject, reason)
		// A reply has no button to answer: a refusal that would be a toast
		// (already decided, stale) is said in the group. On success the
		// edited notice says it all.
		if len(out) == 1 && out[0].Toast != "" {
			out = e.groupText(out[0].Toast)
		}
		return out, err
	}
	return nil, nil
}

func (e *Engine) groupText(text string) []Reply {
	var out []Reply
	for _, p := range chunks(text, textLimit) {
		out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Text: p})
	}
	return out
}

func (e *Engine) reviewButton(ctx context.Context, in ReviewInput) ([]Reply, error) {
	parts := strings.Split(in.Data, "|")
	if len(parts) != 4 || parts[0] != "rv" {
		return []Reply{{Toast: t(reviewLang, "stale.button")}}, nil
	}
	id, err1 := strconv.ParseInt(parts[2], 10, 64)
	ver, err2 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil {
		return []Reply{{Toast: t(reviewLang, "stale.button")}}, nil
	}
	switch parts[1] {
	case "a":
		return e.decide(ctx, in, id, ver, in.MessageID, domain.VerdictApprove, "")
	case "r":
		app, err := e.d.Registrations.Get(ctx, id)
		if err != nil {
			return e.reviewError(err)
		}
		if !app.Status.Open() || app.Version != ver {
			return e.alreadyDecided(ctx, app)
		}
		marker := fmt.Sprintf("#R%d.%d.%d", id, ver, in.MessageID)
		return []Reply{{ChatID: in.ChatID, Text: t(reviewLang, "review.reason_prompt", app.Reference, marker), ForceReply: true}}, nil
	case "d":
		app, err := e.d.Registrations.Get(ctx, id)
		if err != nil {
			return e.reviewError(err)
		}
		return e.details(ctx, app, false)
	}
	return []Reply{{Toast: t(reviewLang, "stale.button")}}, nil
}

// decide records a verdict exactly once (the repository's conditional
// update on status and version, which also appends the audit row and the
// applicant's notice) and updates the reviewer's card in the group. The
// loser of a race, or a second tap, is told who decided.
func (e *Engine) decide(ctx context.Context, in ReviewInput, id int64, ver, groupMsg int, v domain.Verdict, reason string) ([]Reply, error) {
	d := domain.Decision{ApplicationID: id, Verdict: v, ReviewerID: in.ReviewerID, ReviewerName: in.ReviewerName, Reason: reason, DecidedAt: e.now()}
	app, first, err := e.d.Registrations.Decide(ctx, ver, d)
	if domain.ErrorCode(err) == domain.CodeConflict {
		if first.ReviewerID == 0 && first.ReviewerName == "" {
			ref := strconv.FormatInt(id, 10)
			if app != nil {
				ref = app.Reference
			}
			return []Reply{{Toast: t(reviewLang, "review.stale", ref)}}, nil
		}
		return []Reply{{Toast: alreadyText(first)}}, nil
	}
	if err != nil {
		return e.reviewError(err)
	}
	d = first // as stored: the time is the database's
	when := stamp(d.DecidedAt)
	outcome := t(reviewLang, "review.approved_by", reviewerName(d), when)
	if v == domain.VerdictReject {
		outcome = t(reviewLang, "review.rejected_by", reviewerName(d), when, reason)
	}
	out := []Reply{{Toast: strings.SplitN(outcome, "\n", 2)[0]}}
	if groupMsg != 0 {
		ds, err := e.d.Registrations.Decisions(ctx, id)
		if err != nil {
			e.log.WarnContext(ctx, "review: decisions for the decided notice", "application", id, "err", err)
		}
		if len(ds) > 0 {
			ds = ds[:len(ds)-1] // the one just taken
		}
		text := e.noticeText(ctx, app, len(ds) > 0, ds) + "\n\n" + outcome
		// A notice too long for one message was sent in parts, the buttons
		// on the last: that is the message edited.
		parts := chunks(text, textLimit)
		out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Text: parts[len(parts)-1], EditMessageID: groupMsg})
	}
	// The applicant is told through the notice Decide recorded with the
	// decision (RenderNotice), so that a crash now cannot lose it.
	return out, nil
}

func reviewerName(d domain.Decision) string {
	if d.ReviewerName != "" {
		return d.ReviewerName
	}
	return strconv.FormatInt(d.ReviewerID, 10)
}

func verdictLabel(v domain.Verdict) string {
	if v == domain.VerdictApprove {
		return "通过"
	}
	return "驳回"
}

func alreadyText(d domain.Decision) string {
	return t(reviewLang, "review.already_at", reviewerName(d), stamp(d.DecidedAt), verdictVerb(d.Verdict))
}

func verdictVerb(v domain.Verdict) string {
	if v == domain.VerdictApprove {
		return t(reviewLang, "review.verb_approve")
	}
	return t(reviewLang, "review.verb_reject")
}

func statusLabel(s domain.Status) string {
	switch s {
	case domain.StatusDraft:
		return t(reviewLang, "review.status_draft")
	case domain.StatusSubmitted:
		return t(reviewLang, "review.status_submitted")
	case domain.StatusResubmitted:
		return t(reviewLang, "review.status_resubmitted")
	case domain.StatusApproved:
		return t(reviewLang, "review.status_approved")
	case domain.StatusRejected:
		return t(reviewLang, "review.status_rejected")
	case domain.StatusWithdrawn:
		return t(reviewLang, "review.status_withdrawn")
	}
	return string(s)
}

func (e *Engine) alreadyDecided(ctx context.Context, app *domain.Application) ([]Reply, error) {
	ds, err := e.d.Registrations.Decisions(ctx, app.ID)
	if err != nil || len(ds) == 0 {
		return []Reply{{Toast: t(reviewLang, "review.stale", app.Reference)}}, nil
	}
	return []Reply{{Toast: alreadyText(ds[len(ds)-1])}}, nil
}

func (e *Engine) reviewError(err error) ([]Reply, error) {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return []Reply{{Toast: t(reviewLang, "review.notfound")}}, nil
	}
	return []Reply{{Toast: t(reviewLang, "retry.later")}}, err
}

// groupCommand runs /pending, /find, /show and /help.
func (e *Engine) groupCommand(ctx context.Context, in ReviewInput) ([]Reply, error) {
	var out []Reply
	var err error
	switch in.Command {
	case "pending":
		out, err = e.pending(ctx)
	case "find":
		out, err = e.find(ctx, strings.TrimSpace(in.Args))
	case "show":
		out, err = e.show(ctx, strings.TrimSpace(in.Args))
	case "help", "start":
		out = e.groupText(t(reviewLang, "review.help"))
	default:
		return nil, nil
	}
	if err != nil {
		// No button to toast: the apology goes to the group.
		return e.groupText(t(reviewLang, "retry.later")), err
	}
	return out, nil
}

// pending lists open applications, oldest first, with their age.
func (e *Engine) pending(ctx context.Context) ([]Reply, error) {
	apps, err := e.d.Registrations.Pending(ctx, pendingLimit+1)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return e.groupText(t(reviewLang, "review.pending_none")), nil
	}
	more := len(apps) > pendingLimit
	apps = apps[:min(len(apps), pendingLimit)]
	var b strings.Builder
	b.WriteString(t(reviewLang, "review.pending", len(apps)))
	for _, a := range apps {
		b.WriteString("\n")
		b.WriteString(t(reviewLang, "review.pending_line", a.Reference, a.Basic.EnterpriseName, age(reviewLang, e.now().Sub(a.SubmittedAt))))
	}
	if more {
		b.WriteString("\n" + t(reviewLang, "review.pending_more", pendingLimit))
	}
	b.WriteString("\n\n" + t(reviewLang, "review.show_hint"))
	return e.groupText(b.String()), nil
}

// age formats how long something has waited, to the minute.
func age(lang string, d time.Duration) string {
	d = max(d, 0)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return t(lang, "age.days", days, hours)
	case hours > 0:
		return t(lang, "age.hours", hours, mins)
	}
	return t(lang, "age.minutes", mins)
}

// find lists applications matching a keyword, latest first.
func (e *Engine) find(ctx context.Context, keyword string) ([]Reply, error) {
	if keyword == "" {
		return e.groupText(t(reviewLang, "review.find_usage")), nil
	}
	apps, err := e.d.Registrations.Find(ctx, keyword, findLimit+1)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return e.groupText(t(reviewLang, "review.find_none", keyword)), nil
	}
	more := len(apps) > findLimit
	apps = apps[:min(len(apps), findLimit)]
	var b strings.Builder
	b.WriteString(t(reviewLang, "review.find_results", keyword, len(apps)))
	for _, a := range apps {
		b.WriteString("\n")
		b.WriteString(t(reviewLang, "review.find_line", a.Reference, a.Basic.EnterpriseName,
			statusLabel(a.Status), stamp(a.SubmittedAt)))
	}
	if more {
		b.WriteString("\n" + t(reviewLang, "review.find_more", findLimit))
	}
	b.WriteString("\n\n" + t(reviewLang, "review.show_hint"))
	return e.groupText(b.String()), nil
}

// referenceID extracts the application id from a reference
// (CQ-<date>-<id>) or a bare id.
var referenceID = regexp.MustCompile(`^(?i:CQ-\d{8}-)?0*(\d{1,18})$`)

// show gives an application's details and decisions, with the decision
// buttons while it is open.
func (e *Engine) show(ctx context.Context, ref string) ([]Reply, error) {
	m := referenceID.FindStringSubmatch(ref)
	if m == nil {
		return e.groupText(t(reviewLang, "review.show_usage")), nil
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	app, err := e.d.Registrations.Get(ctx, id)
	if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && strings.Contains(ref, "-") && !strings.EqualFold(app.Reference, ref) {
		return e.groupText(t(reviewLang, "review.notfound") + " " + ref), nil
	}
	if err != nil {
		return nil, err
	}
	return e.details(ctx, app, app.Status.Open())
}

// details is the full application (secrets masked) with its status and
// audit trail; buttons adds the decision buttons to the last part.
func (e *Engine) details(ctx context.Context, app *domain.Application, buttons bool) ([]Reply, error) {
	var b strings.Builder
	b.WriteString(t(reviewLang, "review.show_head", app.Reference, statusLabel(app.Status), stamp(app.SubmittedAt)))
	b.WriteString("\n")
	b.WriteString(e.render(reviewLang, app))
	ds, err := e.d.Registrations.Decisions(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	if len(ds) > 0 {
		b.WriteString("\n\n" + t(reviewLang, "review.history"))
		for _, d := range ds {
			line := t(reviewLang, "review.history_line", stamp(d.DecidedAt), reviewerName(d), verdictLabel(d.Verdict))
			if d.Reason != "" {
				line += "：" + d.Reason
			}
			b.WriteString("\n" + line)
		}
	}
	out := e.groupText(b.String())
	if buttons {
		out[len(out)-1].Buttons = reviewButtons(app)
	}
	return out, nil
}

// diffText says what changed between the rejected version of an
// application and its resubmission, field by field. Secrets are compared
// by their hashes and shown masked; the password is not compared (only
// its salted hash is kept, and the history drops even that).
func (e *Engine) diffText(old, cur *domain.Application) string {
	var lines []string
	s := &Session{Lang: reviewLang}
	empty := t(reviewLang, "review.empty")
	show := func(v string) string {
		if v == "" {
			return empty
		}
		return v
	}
	field := func(st State, o, n string) {
		if o != n {
			lines = append(lines, fmt.Sprintf("· %s：%s → %s", e.stateLabel(s, st), show(o), show(n)))
		}
	}
	regionName := func(code string) string {
		if r, ok := e.region(code); ok {
			return r.Name
		}
		return code
	}
	userType := func(u domain.UserType) string {
		if u == "" {
			return ""
		}
		return t(reviewLang, "usertype."+string(u))
	}
	term := func(b domain.Basic) string {
		if b.BusinessTermOpen {
			return t(reviewLang, "term.open")
		}
		return date(b.BusinessTermUntil)
	}
	creditCode := func(b domain.Basic) string {
		if b.CreditCodeFlagged {
			return b.CreditCode + " ⚠️"
		}
		return b.CreditCode
	}
	ob, nb := old.Basic, cur.Basic
	field(StEnterprise, ob.EnterpriseName, nb.EnterpriseName)
	field(StLogin, old.Account.LoginName, cur.Account.LoginName)
	field(StUserName, old.Account.UserName, cur.Account.UserName)
	if string(old.Account.LegalRepID.Hash) != string(cur.Account.LegalRepID.Hash) {
		o, n := old.Account.LegalRepID.Masked, cur.Account.LegalRepID.Masked
		if o == n {
			n += "（" + t(reviewLang, "review.diff_changed") + "）"
		}
		field(StIDNumber, o, n)
	}
	field(StCreditCode, creditCode(ob), creditCode(nb))
	field(StLegalRep, ob.LegalRepName, nb.LegalRepName)
	field(StCapital, ob.RegisteredCapital, nb.RegisteredCapital)
	field(StFounded, date(ob.FoundedOn), date(nb.FoundedOn))
	field(StTerm, term(ob), term(nb))
	field(StIndustry, ob.Industry, nb.Industry)
	field(StUserType, userType(ob.UserType), userType(nb.UserType))
	field(StRegion, regionName(ob.RegionCode), regionName(nb.RegionCode))
	field(StRegAddress, ob.RegisteredAddress, nb.RegisteredAddress)
	field(StBank, old.Business.BankName, cur.Business.BankName)
	field(StBankName, old.Business.AccountName, cur.Business.AccountName)
	field(StBankAcct, old.Business.AccountNumber, cur.Business.AccountNumber)
	oc, nc := old.Contact, cur.Contact
	field(StContact, oc.Person, nc.Person)
	field(StPosition, oc.Position, nc.Position)
	field(StMobile, oc.Mobile, nc.Mobile)
	field(StEmail, oc.Email, nc.Email)
	field(StLandline, oc.Landline, nc.Landline)
	field(StFax, oc.Fax, nc.Fax)
	field(StMailAddr, oc.MailingAddress, nc.MailingAddress)
	field(StPostcode, oc.Postcode, nc.Postcode)
	for _, k := range domain.RequiredAttachments {
		o, _ := old.Attachment(k)
		n, ok := cur.Attachment(k)
		if o.SHA256 != n.SHA256 && ok {
			field(attachmentState(k), o.FileName, t(reviewLang, "review.diff_file", n.FileName))
		}
	}
	lines = append(lines, e.unitChanges(old, cur)...)
	if len(lines) == 0 {
		return t(reviewLang, "review.diff_none")
	}
	return t(reviewLang, "review.diff_title") + "\n" + strings.Join(lines, "\n")
}

// unitChanges lists the marketing accounts and units added, removed or
// re-categorised, by metering point.
func (e *Engine) unitChanges(old, cur *domain.Application) []string {
	type unitOf struct {
		account string
		u       domain.Unit
	}
	index := func(a *domain.Application) (map[string]unitOf, []string) {
		m := map[string]unitOf{}
		var order []string
		for _, acct := range a.Accounts {
			for _, u := range acct.Units {
				m[u.ID] = unitOf{acct.Number, u}
				order = append(order, u.ID)
			}
		}
		return m, order
	}
	accounts := func(a *domain.Application) []string {
		var out []string
		for _, m := range a.Accounts {
			out = append(out, m.Number)
		}
		return out
	}
	s := &Session{Lang: reviewLang}
	acctLabel := e.stateLabel(s, StMktAccount)
	added, removed := t(reviewLang, "review.diff_added"), t(reviewLang, "review.diff_removed")
	var lines []string
	oa, na := accounts(old), accounts(cur)
	for _, n := range na {
		if !slices.Contains(oa, n) {
			lines = append(lines, fmt.Sprintf("· %s %s：%s", acctLabel, n, added))
		}
	}
	for _, o := range oa {
		if !slices.Contains(na, o) {
			lines = append(lines, fmt.Sprintf("· %s %s：%s", acctLabel, o, removed))
		}
	}
	describe := func(u domain.Unit) string {
		return domain.OptionName(domain.UnitTypes, u.UnitType) + " / " + highEnergyName(u.HighEnergy)
	}
	om, oorder := index(old)
	nm, norder := index(cur)
	for _, id := range norder {
		n := nm[id]
		o, ok := om[id]
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("· 用电单元 %s %s（%s %s）：%s %s", id, n.u.Name, acctLabel, n.account, added, describe(n.u)))
		case o.u.UnitType != n.u.UnitType || o.u.HighEnergy != n.u.HighEnergy:
			lines = append(lines, fmt.Sprintf("· 用电单元 %s %s：%s → %s", id, n.u.Name, describe(o.u), describe(n.u)))
		}
	}
	for _, id := range oorder {
		if _, ok := nm[id]; !ok {
			o := om[id]
			lines = append(lines, fmt.Sprintf("· 用电单元 %s %s（%s %s）：%s", id, o.u.Name, acctLabel, o.account, removed))
		}
	}
	return lines
}

// applicantLang is the language the applicant chose in their chat (Simplified
// Chinese when the session is gone or unreadable).
func (e *Engine) applicantLang(ctx context.Context, chatID int64) string {
	s, err := e.d.Sessions.Peek(ctx, chatID)
	if err != nil || s.Lang == "" {
		return LangZH
	}
	return s.Lang
}
