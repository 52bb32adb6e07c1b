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
	out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Text: parts[len(parts)-1], Buttons: e.reviewButtons(a)})
	for _, k := range domain.RequiredAttachments {
		if at, ok := a.Attachment(k); ok {
			out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Document: &OutDocument{
				FileID: at.FileID, BlobKey: at.BlobKey, FileName: at.FileName,
				Caption: a.Reference + " " + e.fieldLabel(reviewLang, domain.AttachmentField(k)),
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
	b.WriteString(e.tr(reviewLang, head, "Ref", a.Reference))
	b.WriteString("\n")
	b.WriteString(e.reviewDigest(a))
	if !resubmission {
		return b.String()
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if d := earlier[i]; d.Verdict == domain.VerdictReject {
			b.WriteString("\n\n")
			b.WriteString(e.tr(reviewLang, "review.last_reject", "Reviewer", reviewerName(d), "Time", stamp(d.DecidedAt), "Reason", d.Reason))
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

// reviewButtons carry the application id and the version they were shown
// for, so a decision applies only to what the reviewer saw. The transport
// signs them (see ReviewInput.Tampered).
func (e *Engine) reviewButtons(a *domain.Application) [][]Button {
	ref := fmt.Sprintf("%d|%d", a.ID, a.Version)
	return [][]Button{{
		{Text: e.tr(reviewLang, "review.approve"), Data: "rv|a|" + ref},
		{Text: e.tr(reviewLang, "review.reject"), Data: "rv|r|" + ref},
		{Text: e.tr(reviewLang, "review.details"), Data: "rv|d|" + ref},
	}}
}

// reviewDigest is the short form of an application for the group.
func (e *Engine) reviewDigest(a *domain.Application) string {
	var b strings.Builder
	for _, f := range []domain.Field{domain.FieldEnterpriseName, domain.FieldCreditCode, domain.FieldUserType, domain.FieldRegion} {
		if v := e.display(reviewLang, a, f); v != "" {
			b.WriteString(e.tr(reviewLang, "summary.line", "Label", e.fieldLabel(reviewLang, f), "Value", v))
			b.WriteByte('\n')
		}
	}
	b.WriteString(e.tr(reviewLang, "review.digest_contact", "Person", a.Contact.Person, "Position", a.Contact.Position, "Mobile", a.Contact.Mobile))
	b.WriteByte('\n')
	for _, m := range a.Accounts {
		b.WriteString(e.tr(reviewLang, "review.digest_account", "Account", m.Number))
		b.WriteByte('\n')
		for _, u := range m.Units {
			b.WriteString(e.tr(reviewLang, "review.digest_unit", "Unit", u.ID, "Name", u.Name,
				"UnitType", domain.OptionName(domain.UnitTypes, u.UnitType), "HighEnergy", e.highEnergyName(u.HighEnergy)))
			b.WriteByte('\n')
		}
	}
	if !a.SubmittedAt.IsZero() {
		b.WriteString(e.tr(reviewLang, "review.digest_submitted", "Time", stamp(a.SubmittedAt)))
	}
	return strings.TrimSpace(b.String())
}

func (e *Engine) highEnergyName(code string) string {
	if code == domain.HighEnergyNone {
		return e.tr(reviewLang, "review.high_energy_none")
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
			return []Reply{{Toast: e.tr(reviewLang, "review.wrong_chat")}}, nil
		case in.Tampered:
			e.log.WarnContext(ctx, "review: tampered button refused", "reviewer", in.ReviewerID, "update", in.UpdateID)
			return []Reply{{Toast: e.tr(reviewLang, "review.tampered")}}, nil
		case !e.authorised(in):
			return []Reply{{Toast: e.tr(reviewLang, "review.not_reviewer")}}, nil
		}
		return e.reviewButton(ctx, in)
	case !inGroup:
		return nil, nil
	case in.Command != "":
		if !e.authorised(in) {
			return e.groupText(e.tr(reviewLang, "review.not_reviewer")), nil
		}
		return e.groupCommand(ctx, in)
	case in.ReplyToText != "" && in.Text != "":
		m := reasonMarker.FindStringSubmatch(in.ReplyToText)
		if m == nil {
			return nil, nil // a reply to another of the bot's messages: chatter
		}
		if !e.authorised(in) {
			return e.groupText(e.tr(reviewLang, "review.not_reviewer")), nil
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ver, _ := strconv.Atoi(m[2])
		msg, _ := strconv.Atoi(m[3])
		reason := strings.TrimSpace(in.Text)
		if len([]rune(reason)) < 2 {
			return e.groupText(e.tr(reviewLang, "review.reason_short")), nil
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
		return []Reply{{Toast: e.tr(reviewLang, "stale.button")}}, nil
	}
	id, err1 := strconv.ParseInt(parts[2], 10, 64)
	ver, err2 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil {
		return []Reply{{Toast: e.tr(reviewLang, "stale.button")}}, nil
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
		return []Reply{{ChatID: in.ChatID, Text: e.tr(reviewLang, "review.reason_prompt", "Ref", app.Reference, "Marker", marker), ForceReply: true}}, nil
	case "d":
		app, err := e.d.Registrations.Get(ctx, id)
		if err != nil {
			return e.reviewError(err)
		}
		return e.details(ctx, app, false)
	}
	return []Reply{{Toast: e.tr(reviewLang, "stale.button")}}, nil
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
			return []Reply{{Toast: e.tr(reviewLang, "review.stale", "Ref", ref)}}, nil
		}
		return []Reply{{Toast: e.alreadyText(first)}}, nil
	}
	if err != nil {
		return e.reviewError(err)
	}
	d = first // as stored: the time is the database's
	when := stamp(d.DecidedAt)
	outcome := e.tr(reviewLang, "review.approved_by", "Reviewer", reviewerName(d), "Time", when)
	if v == domain.VerdictReject {
		outcome = e.tr(reviewLang, "review.rejected_by", "Reviewer", reviewerName(d), "Time", when, "Reason", reason)
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

func (e *Engine) alreadyText(d domain.Decision) string {
	return e.tr(reviewLang, "review.already_at", "Reviewer", reviewerName(d), "Time", stamp(d.DecidedAt), "Verdict", e.verdictVerb(d.Verdict))
}

func (e *Engine) verdictVerb(v domain.Verdict) string {
	if v == domain.VerdictApprove {
		return e.tr(reviewLang, "review.verb_approve")
	}
	return e.tr(reviewLang, "review.verb_reject")
}

func (e *Engine) statusLabel(s domain.Status) string {
	switch s {
	case domain.StatusDraft:
		return e.tr(reviewLang, "review.status_draft")
	case domain.StatusSubmitted:
		return e.tr(reviewLang, "review.status_submitted")
	case domain.StatusResubmitted:
		return e.tr(reviewLang, "review.status_resubmitted")
	case domain.StatusApproved:
		return e.tr(reviewLang, "review.status_approved")
	case domain.StatusRejected:
		return e.tr(reviewLang, "review.status_rejected")
	case domain.StatusWithdrawn:
		return e.tr(reviewLang, "review.status_withdrawn")
	}
	return string(s)
}

func (e *Engine) alreadyDecided(ctx context.Context, app *domain.Application) ([]Reply, error) {
	ds, err := e.d.Registrations.Decisions(ctx, app.ID)
	if err != nil || len(ds) == 0 {
		return []Reply{{Toast: e.tr(reviewLang, "review.stale", "Ref", app.Reference)}}, nil
	}
	return []Reply{{Toast: e.alreadyText(ds[len(ds)-1])}}, nil
}

func (e *Engine) reviewError(err error) ([]Reply, error) {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return []Reply{{Toast: e.tr(reviewLang, "review.notfound")}}, nil
	}
	return []Reply{{Toast: e.tr(reviewLang, "retry.later")}}, err
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
		out = e.groupText(e.tr(reviewLang, "review.help"))
	default:
		return nil, nil
	}
	if err != nil {
		// No button to toast: the apology goes to the group.
		return e.groupText(e.tr(reviewLang, "retry.later")), err
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
		return e.groupText(e.tr(reviewLang, "review.pending_none")), nil
	}
	more := len(apps) > pendingLimit
	apps = apps[:min(len(apps), pendingLimit)]
	var b strings.Builder
	b.WriteString(e.tr(reviewLang, "review.pending", "Count", len(apps)))
	for _, a := range apps {
		b.WriteString("\n")
		b.WriteString(e.tr(reviewLang, "review.pending_line", "Ref", a.Reference, "Enterprise", a.Basic.EnterpriseName,
			"Age", e.age(reviewLang, e.now().Sub(a.SubmittedAt))))
	}
	if more {
		b.WriteString("\n" + e.tr(reviewLang, "review.pending_more", "Limit", pendingLimit))
	}
	b.WriteString("\n\n" + e.tr(reviewLang, "review.show_hint"))
	return e.groupText(b.String()), nil
}

// age formats how long something has waited, to the minute.
func (e *Engine) age(lang string, d time.Duration) string {
	d = max(d, 0)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return e.tr(lang, "age.days", "Days", days, "Hours", hours)
	case hours > 0:
		return e.tr(lang, "age.hours", "Hours", hours, "Minutes", mins)
	}
	return e.tr(lang, "age.minutes", "Minutes", mins)
}

// find lists applications matching a keyword, latest first.
func (e *Engine) find(ctx context.Context, keyword string) ([]Reply, error) {
	if keyword == "" {
		return e.groupText(e.tr(reviewLang, "review.find_usage")), nil
	}
	apps, err := e.d.Registrations.Find(ctx, keyword, findLimit+1)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return e.groupText(e.tr(reviewLang, "review.find_none", "Keyword", keyword)), nil
	}
	more := len(apps) > findLimit
	apps = apps[:min(len(apps), findLimit)]
	var b strings.Builder
	b.WriteString(e.tr(reviewLang, "review.find_results", "Keyword", keyword, "Count", len(apps)))
	for _, a := range apps {
		b.WriteString("\n")
		b.WriteString(e.tr(reviewLang, "review.find_line", "Ref", a.Reference, "Enterprise", a.Basic.EnterpriseName,
			"Status", e.statusLabel(a.Status), "Submitted", stamp(a.SubmittedAt)))
	}
	if more {
		b.WriteString("\n" + e.tr(reviewLang, "review.find_more", "Limit", findLimit))
	}
	b.WriteString("\n\n" + e.tr(reviewLang, "review.show_hint"))
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
		return e.groupText(e.tr(reviewLang, "review.show_usage")), nil
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	app, err := e.d.Registrations.Get(ctx, id)
	if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && strings.Contains(ref, "-") && !strings.EqualFold(app.Reference, ref) {
		return e.groupText(e.tr(reviewLang, "review.notfound") + " " + ref), nil
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
	b.WriteString(e.tr(reviewLang, "review.show_head", "Ref", app.Reference, "Status", e.statusLabel(app.Status), "Submitted", stamp(app.SubmittedAt)))
	b.WriteString("\n")
	b.WriteString(e.render(reviewLang, app))
	ds, err := e.d.Registrations.Decisions(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	if len(ds) > 0 {
		b.WriteString("\n\n" + e.tr(reviewLang, "review.history"))
		for _, d := range ds {
			when, who, verdict := stamp(d.DecidedAt), reviewerName(d), e.verdictVerb(d.Verdict)
			if d.Reason == "" {
				b.WriteString("\n" + e.tr(reviewLang, "review.history_line", "Time", when, "Reviewer", who, "Verdict", verdict))
			} else {
				b.WriteString("\n" + e.tr(reviewLang, "review.history_line_reason", "Time", when, "Reviewer", who, "Verdict", verdict, "Reason", d.Reason))
			}
		}
	}
	out := e.groupText(b.String())
	if buttons {
		out[len(out)-1].Buttons = e.reviewButtons(app)
	}
	return out, nil
}

// diffText says what changed between the rejected version of an
// application and its resubmission, field by field in the form's order.
// The ID number is compared by its hash and shown masked; the password is
// not compared (only its salted hash is kept, and the history drops even
// that); a document by its content.
func (e *Engine) diffText(old, cur *domain.Application) string {
	var lines []string
	empty := e.tr(reviewLang, "review.empty")
	show := func(v string) string {
		if v == "" {
			return empty
		}
		return v
	}
	changed := func(f domain.Field, o, n string) {
		lines = append(lines, e.tr(reviewLang, "review.diff_line", "Field", e.fieldLabel(reviewLang, f), "Old", show(o), "New", show(n)))
	}
	for _, spec := range domain.Fields {
		f := spec.Field
		switch {
		case spec.Section == "" || f == domain.FieldPassword || f == domain.FieldUnits:
		case f == domain.FieldLegalRepID:
			if string(old.Account.LegalRepID.Hash) != string(cur.Account.LegalRepID.Hash) {
				o, n := old.Account.LegalRepID.Masked, cur.Account.LegalRepID.Masked
				if o == n {
					n = e.tr(reviewLang, "review.diff_changed", "Value", n)
				}
				changed(f, o, n)
			}
		case spec.Section == domain.SectionAttachments:
			o, n := attachmentOf(old, f), attachmentOf(cur, f)
			if o.SHA256 != n.SHA256 && n.SHA256 != "" {
				changed(f, o.FileName, e.tr(reviewLang, "review.diff_file", "FileName", n.FileName))
			}
		default:
			if o, n := e.diffValue(old, f), e.diffValue(cur, f); o != n {
				changed(f, o, n)
			}
		}
	}
	lines = append(lines, e.unitChanges(old, cur)...)
	if len(lines) == 0 {
		return e.tr(reviewLang, "review.diff_none")
	}
	return e.tr(reviewLang, "review.diff_title") + "\n" + strings.Join(lines, "\n")
}

// diffValue is a field's value as the diff shows it: short, names for codes.
func (e *Engine) diffValue(a *domain.Application, f domain.Field) string {
	switch f {
	case domain.FieldCreditCode:
		if a.Basic.CreditCodeFlagged {
			return a.Basic.CreditCode + " ⚠️"
		}
	case domain.FieldBusinessTerm:
		if a.Basic.BusinessTermOpen {
			return e.tr(reviewLang, "term.open")
		}
	case domain.FieldUserType:
		if a.Basic.UserType != "" {
			return e.userTypeName(reviewLang, a.Basic.UserType)
		}
	case domain.FieldRegion:
		if r, ok := e.region(a.Basic.RegionCode); ok {
			return r.Name
		}
	}
	return a.Value(f)
}

// attachmentOf is the application's document of an attachment field.
func attachmentOf(a *domain.Application, f domain.Field) domain.Attachment {
	for _, at := range a.Attachments {
		if domain.AttachmentField(at.Kind) == f {
			return at
		}
	}
	return domain.Attachment{}
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
	var lines []string
	oa, na := accounts(old), accounts(cur)
	for _, n := range na {
		if !slices.Contains(oa, n) {
			lines = append(lines, e.tr(reviewLang, "review.diff_account_added", "Account", n))
		}
	}
	for _, o := range oa {
		if !slices.Contains(na, o) {
			lines = append(lines, e.tr(reviewLang, "review.diff_account_removed", "Account", o))
		}
	}
	describe := func(u domain.Unit) string {
		return domain.OptionName(domain.UnitTypes, u.UnitType) + " / " + e.highEnergyName(u.HighEnergy)
	}
	om, oorder := index(old)
	nm, norder := index(cur)
	for _, id := range norder {
		n := nm[id]
		o, ok := om[id]
		switch {
		case !ok:
			lines = append(lines, e.tr(reviewLang, "review.diff_unit_added", "Unit", id, "Name", n.u.Name, "Account", n.account, "Category", describe(n.u)))
		case o.u.UnitType != n.u.UnitType || o.u.HighEnergy != n.u.HighEnergy:
			lines = append(lines, e.tr(reviewLang, "review.diff_unit_changed", "Unit", id, "Name", n.u.Name, "Old", describe(o.u), "New", describe(n.u)))
		}
	}
	for _, id := range oorder {
		if _, ok := nm[id]; !ok {
			o := om[id]
			lines = append(lines, e.tr(reviewLang, "review.diff_unit_removed", "Unit", id, "Name", o.u.Name, "Account", o.account))
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
