package review

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// The review group works in Simplified Chinese.
const reviewLang = conversation.LangZH

const (
	pendingLimit = 50 // /pending lists at most this many
	findLimit    = 20 // /find lists at most this many
	textLimit    = 3800
)

// reviewNotice is what the review group gets for a submission: the digest
// with 通过 / 驳回 / 详情 buttons, then the attachments (which the transport
// sends as replies to the digest). A resubmission also shows the last
// rejection and what changed since.
func (desk *Desk) reviewNotice(ctx context.Context, a *domain.Application, resubmission bool) []conversation.Reply {
	if desk.chat == 0 {
		return nil
	}
	var earlier []domain.Decision
	if resubmission {
		ds, err := desk.regs.Decisions(ctx, a.ID)
		if err != nil {
			desk.log.WarnContext(ctx, "review: decisions for the resubmission notice", "application", a.ID, "err", err)
		}
		earlier = ds
	}
	parts := conversation.Chunks(desk.noticeText(ctx, a, resubmission, earlier), textLimit)
	var out []conversation.Reply
	for _, p := range parts[:len(parts)-1] {
		out = append(out, conversation.Reply{ChatID: desk.chat, Text: p})
	}
	out = append(out, conversation.Reply{ChatID: desk.chat, Text: parts[len(parts)-1], Buttons: desk.reviewButtons(a), CardOf: a.ID})
	for _, k := range domain.RequiredAttachments {
		if at, ok := a.Attachment(k); ok {
			out = append(out, conversation.Reply{ChatID: desk.chat, Document: &conversation.OutDocument{
				FileID: at.FileID, BlobKey: at.BlobKey, FileName: at.FileName,
				Caption: a.Reference + " " + desk.p.FieldLabel(reviewLang, domain.AttachmentField(k)),
			}})
		}
	}
	return out
}

// noticeText is the group's text for an application: the header, the
// digest and, for a resubmission, the last rejection (from earlier, the
// decisions taken before this round) and the changes since.
func (desk *Desk) noticeText(ctx context.Context, a *domain.Application, resubmission bool, earlier []domain.Decision) string {
	head := "review.new"
	if resubmission {
		head = "review.resubmitted"
	}
	var b strings.Builder
	b.WriteString(desk.p.T(reviewLang, head, "Ref", a.Reference))
	b.WriteString("\n")
	b.WriteString(desk.reviewDigest(a))
	var changes []string
	var edited []domain.Field
	if resubmission {
		changes, edited = desk.changesSinceRejection(ctx, a)
	}
	if flags := desk.flagsText(a, edited); flags != "" {
		b.WriteString("\n\n")
		b.WriteString(flags)
	}
	if !resubmission {
		return b.String()
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if d := earlier[i]; d.Verdict == domain.VerdictReject {
			b.WriteString("\n\n")
			b.WriteString(desk.p.T(reviewLang, "review.last_reject", "Reviewer", reviewerName(d), "Time", stamp(d.DecidedAt), "Reason", d.Reason))
			break
		}
	}
	if changes != nil {
		b.WriteString("\n\n")
		b.WriteString(desk.diffText(changes))
	}
	return b.String()
}

// changesSinceRejection compares a resubmitted application with the
// version it replaced: the lines of the diff (nil when there is no earlier
// version, or it could not be read) and the fields edited.
func (desk *Desk) changesSinceRejection(ctx context.Context, a *domain.Application) ([]string, []domain.Field) {
	prev, err := desk.regs.Previous(ctx, a.ID)
	switch {
	case err == nil:
		lines, edited := desk.diff(prev, a)
		if lines == nil {
			lines = []string{}
		}
		return lines, edited
	case domain.ErrorCode(err) != domain.CodeNotFound:
		desk.log.WarnContext(ctx, "review: previous version for the diff", "application", a.ID, "err", err)
	}
	return nil, nil
}

// flagsText is the block of everything on an application a reviewer must
// check before deciding, one line each: its flags (domain.Application.Flags:
// a credit code failing its check character, which the applicant confirmed
// or the access catalog holds; a credit code other than the catalog's, or
// typed with nothing to check it against; a bank account in another name
// than the enterprise's), and the fields edited since the last rejection.
// "" when there is nothing to flag.
func (desk *Desk) flagsText(a *domain.Application, edited []domain.Field) string {
	var lines []string
	for _, f := range a.Flags() {
		switch f {
		case domain.FlagCreditCodeChecksum:
			lines = append(lines, desk.p.T(reviewLang, "review.flag_credit_code", "Code", a.Basic.CreditCode))
		case domain.FlagCreditCodeMismatch:
			lines = append(lines, desk.p.T(reviewLang, "review.flag_credit_mismatch", "Code", a.Basic.CreditCode,
				"Catalog", a.Basic.CatalogCreditCode))
		case domain.FlagCreditCodeUnlisted:
			lines = append(lines, desk.p.T(reviewLang, "review.flag_credit_unlisted", "Code", a.Basic.CreditCode))
		case domain.FlagAccountNameMismatch:
			lines = append(lines, desk.p.T(reviewLang, "review.flag_account_name", "AccountName", a.Business.AccountName,
				"Enterprise", a.Basic.EnterpriseName))
		}
	}
	if len(edited) > 0 {
		names := make([]string, len(edited))
		for i, f := range edited {
			names[i] = desk.p.FieldLabel(reviewLang, f)
		}
		lines = append(lines, desk.p.T(reviewLang, "review.flag_edited", "Count", len(edited), "Fields", strings.Join(names, "、")))
	}
	if len(lines) == 0 {
		return ""
	}
	return desk.p.T(reviewLang, "review.flags_title") + "\n" + strings.Join(lines, "\n")
}

// reviewButtons carry the application id and the version they were shown
// for, so a decision applies only to what the reviewer saw. The transport
// signs them (see Input.Tampered).
func (desk *Desk) reviewButtons(a *domain.Application) [][]conversation.Button {
	ref := fmt.Sprintf("%d|%d", a.ID, a.Version)
	return [][]conversation.Button{{
		{Text: desk.p.T(reviewLang, "review.approve"), Data: "rv|a|" + ref},
		{Text: desk.p.T(reviewLang, "review.reject"), Data: "rv|r|" + ref},
		{Text: desk.p.T(reviewLang, "review.details"), Data: "rv|d|" + ref},
	}}
}

// reviewDigest is the short form of an application for the group.
func (desk *Desk) reviewDigest(a *domain.Application) string {
	var b strings.Builder
	for _, f := range []domain.Field{domain.FieldEnterpriseName, domain.FieldCreditCode, domain.FieldUserType, domain.FieldRegion} {
		v := desk.p.Display(reviewLang, a, f)
		if f == domain.FieldCreditCode {
			v = desk.diffValue(a, f) // marked ⚠️ only: the flags say why
		}
		if v != "" {
			b.WriteString(desk.p.T(reviewLang, "summary.line", "Label", desk.p.FieldLabel(reviewLang, f), "Value", v))
			b.WriteByte('\n')
		}
	}
	b.WriteString(desk.p.T(reviewLang, "review.digest_contact", "Person", a.Contact.Person, "Position", a.Contact.Position, "Mobile", a.Contact.Mobile))
	b.WriteByte('\n')
	for _, m := range a.Accounts {
		b.WriteString(desk.p.T(reviewLang, "review.digest_account", "Account", m.Number))
		b.WriteByte('\n')
		for _, u := range m.Units {
			b.WriteString(desk.p.T(reviewLang, "review.digest_unit", "Unit", u.ID, "Name", u.Name,
				"UnitType", domain.OptionName(domain.UnitTypes, u.UnitType), "HighEnergy", desk.highEnergyName(u.HighEnergy)))
			b.WriteByte('\n')
		}
	}
	if !a.SubmittedAt.IsZero() {
		b.WriteString(desk.p.T(reviewLang, "review.digest_submitted", "Time", stamp(a.SubmittedAt)))
	}
	return strings.TrimSpace(b.String())
}

func (desk *Desk) highEnergyName(code string) string {
	if code == domain.HighEnergyNone {
		return desk.p.T(reviewLang, "review.high_energy_none")
	}
	return domain.OptionName(domain.HighEnergyIndustries, code)
}

// chinaTime is the zone times are shown in (the exchange is in Chongqing,
// UTC+8, whatever the server's zone).
var chinaTime = time.FixedZone("CST", 8*3600)

// stamp formats a time for the group, in China's time zone (the exchange's).
func stamp(tm time.Time) string { return tm.In(chinaTime).Format("2006-01-02 15:04") }

// reasonMarker ties a rejection reason (a reply in the group) to the
// application, its version and the group message to update. Only replies
// to the bot's own messages reach the engine, so the marker cannot be
// quoted from elsewhere.
var reasonMarker = regexp.MustCompile(`#R(\d+)\.(\d+)\.(\d+)`)

// authorised reports whether the person may decide: a listed reviewer, or
// an administrator of the group when the transport checks for that.
func (desk *Desk) authorised(in Input) bool { return desk.reviewers[in.ReviewerID] || in.IsAdmin }

// Handle processes one event from the review group: a button press
// (通过 / 驳回 / 详情), a rejection reason (a reply to the prompt, or any
// message of the reviewer who pressed 驳回: reason.go), or a command
// (/pending, /find, /show, /help). Only authorised reviewers act; anyone
// else is told so and nothing changes, and other messages are chatter,
// left alone. Buttons work only in the review group.
func (desk *Desk) Handle(ctx context.Context, in Input) ([]conversation.Reply, error) {
	inGroup := desk.chat != 0 && in.ChatID == desk.chat
	switch {
	case in.Data != "":
		switch {
		case !inGroup:
			return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.wrong_chat")}}, nil
		case in.Tampered:
			desk.log.WarnContext(ctx, "review: tampered button refused", "reviewer", in.ReviewerID, "update", in.UpdateID)
			return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.tampered")}}, nil
		case !desk.authorised(in):
			return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.not_reviewer")}}, nil
		}
		return desk.reviewButton(ctx, in)
	case !inGroup:
		return nil, nil
	case in.Command != "":
		if !desk.authorised(in) {
			return desk.groupText(desk.p.T(reviewLang, "review.not_reviewer")), nil
		}
		return desk.groupCommand(ctx, in)
	case in.Text != "":
		if m := reasonMarker.FindStringSubmatch(in.ReplyToText); m != nil {
			if !desk.authorised(in) {
				return desk.groupText(desk.p.T(reviewLang, "review.not_reviewer")), nil
			}
			id, _ := strconv.ParseInt(m[1], 10, 64)
			ver, _ := strconv.Atoi(m[2])
			msg, _ := strconv.Atoi(m[3])
			if out := desk.reasonTooShort(in); out != nil {
				return out, nil
			}
			out, err := desk.reasonGiven(ctx, in, ReasonPrompt{ApplicationID: id, Version: ver, MessageID: msg})
			if err == nil {
				// The replying reviewer's own prompt of it, if any, is answered.
				desk.forgetPrompt(ctx, in, id)
			}
			return out, err
		}
		return desk.unmarkedReason(ctx, in)
	}
	return nil, nil
}

func (desk *Desk) groupText(text string) []conversation.Reply {
	var out []conversation.Reply
	for _, p := range conversation.Chunks(text, textLimit) {
		out = append(out, conversation.Reply{ChatID: desk.chat, Text: p})
	}
	return out
}

func (desk *Desk) reviewButton(ctx context.Context, in Input) ([]conversation.Reply, error) {
	parts := strings.Split(in.Data, "|")
	if len(parts) != 4 || parts[0] != "rv" {
		return []conversation.Reply{{Toast: desk.p.T(reviewLang, "stale.button")}}, nil
	}
	id, err1 := strconv.ParseInt(parts[2], 10, 64)
	ver, err2 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil {
		return []conversation.Reply{{Toast: desk.p.T(reviewLang, "stale.button")}}, nil
	}
	switch parts[1] {
	case "a":
		out, _, err := desk.decide(ctx, in, id, ver, in.MessageID, domain.VerdictApprove, "")
		return out, err
	case "r":
		app, err := desk.regs.Get(ctx, id)
		if err != nil {
			return desk.reviewError(err)
		}
		if !app.Status.Open() || app.Version != ver {
			return desk.alreadyDecided(ctx, app)
		}
		return desk.askReason(ctx, in, app)
	case "d":
		app, err := desk.regs.Get(ctx, id)
		if err != nil {
			return desk.reviewError(err)
		}
		return desk.details(ctx, app, false)
	}
	return []conversation.Reply{{Toast: desk.p.T(reviewLang, "stale.button")}}, nil
}

// decide records a verdict exactly once (the repository's conditional
// update on status and version, which also records the applicant's notice
// and the notice that edits the group's cards) and answers the reviewer
// with a toast; decided reports whether this call decided. The message
// pressed (groupMsg, if not 0) is recorded as a card first, so that it
// shows the decision even if it was never recorded. The loser of a race,
// or a second tap, is told who decided.
func (desk *Desk) decide(ctx context.Context, in Input, id int64, ver, groupMsg int, v domain.Verdict, reason string) (out []conversation.Reply, decided bool, err error) {
	if groupMsg != 0 && desk.chat != 0 {
		if err := desk.cards.AddCard(ctx, id, desk.chat, groupMsg); err != nil {
			// Only that message may keep its buttons; a press answers
			// "already decided".
			desk.log.WarnContext(ctx, "review: the pressed card not recorded", "application", id, "err", err)
		}
	}
	d := domain.Decision{ApplicationID: id, Verdict: v, ReviewerID: in.ReviewerID, ReviewerName: in.ReviewerName, Reason: reason, DecidedAt: desk.now()}
	app, first, err := desk.regs.Decide(ctx, ver, d)
	if domain.ErrorCode(err) == domain.CodeConflict {
		if first.ReviewerID == 0 && first.ReviewerName == "" {
			if app == nil {
				app, _ = desk.regs.Get(ctx, id)
			}
			if app != nil && app.Status == domain.StatusWithdrawn {
				return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.withdrawn")}}, false, nil
			}
			ref := strconv.FormatInt(id, 10)
			if app != nil {
				ref = app.Reference
			}
			return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.stale", "Ref", ref)}}, false, nil
		}
		return []conversation.Reply{{Toast: desk.alreadyText(first)}}, false, nil
	}
	if err != nil {
		out, err := desk.reviewError(err)
		return out, false, err
	}
	if v == domain.VerdictApprove {
		// The reviewer may have pressed 驳回 on it before: that prompt is over.
		desk.forgetPrompt(ctx, in, id)
	}
	// The cards and the applicant are told through the notices Decide
	// recorded with the decision (RenderNotice), so that a crash now
	// cannot lose them.
	return []conversation.Reply{{Toast: strings.SplitN(desk.outcome(first), "\n", 2)[0]}}, true, nil
}

func reviewerName(d domain.Decision) string {
	if d.ReviewerName != "" {
		return d.ReviewerName
	}
	return strconv.FormatInt(d.ReviewerID, 10)
}

func (desk *Desk) alreadyText(d domain.Decision) string {
	return desk.p.T(reviewLang, "review.already_at", "Reviewer", reviewerName(d), "Time", stamp(d.DecidedAt), "Verdict", desk.verdictVerb(d.Verdict))
}

func (desk *Desk) verdictVerb(v domain.Verdict) string {
	if v == domain.VerdictApprove {
		return desk.p.T(reviewLang, "review.verb_approve")
	}
	return desk.p.T(reviewLang, "review.verb_reject")
}

func (desk *Desk) statusLabel(s domain.Status) string {
	return desk.p.T(reviewLang, "review.status_"+string(s))
}

func (desk *Desk) alreadyDecided(ctx context.Context, app *domain.Application) ([]conversation.Reply, error) {
	if app.Status == domain.StatusWithdrawn {
		return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.withdrawn")}}, nil
	}
	ds, err := desk.regs.Decisions(ctx, app.ID)
	if err != nil || len(ds) == 0 {
		return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.stale", "Ref", app.Reference)}}, nil
	}
	return []conversation.Reply{{Toast: desk.alreadyText(ds[len(ds)-1])}}, nil
}

func (desk *Desk) reviewError(err error) ([]conversation.Reply, error) {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return []conversation.Reply{{Toast: desk.p.T(reviewLang, "review.notfound")}}, nil
	}
	return []conversation.Reply{{Toast: desk.p.T(reviewLang, "retry.later")}}, err
}

// groupCommand runs /pending, /find, /show and /help.
func (desk *Desk) groupCommand(ctx context.Context, in Input) ([]conversation.Reply, error) {
	var out []conversation.Reply
	var err error
	switch in.Command {
	case "pending":
		out, err = desk.pending(ctx)
	case "find":
		out, err = desk.find(ctx, strings.TrimSpace(in.Args))
	case "show":
		out, err = desk.show(ctx, strings.TrimSpace(in.Args))
	case "help", "start":
		out = desk.groupText(desk.p.T(reviewLang, "review.help"))
	default:
		return nil, nil
	}
	if err != nil {
		// No button to toast: the apology goes to the group.
		return desk.groupText(desk.p.T(reviewLang, "retry.later")), err
	}
	return out, nil
}

// pending lists open applications, oldest first, with their age.
func (desk *Desk) pending(ctx context.Context) ([]conversation.Reply, error) {
	apps, err := desk.regs.Pending(ctx, pendingLimit+1)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return desk.groupText(desk.p.T(reviewLang, "review.pending_none")), nil
	}
	more := len(apps) > pendingLimit
	apps = apps[:min(len(apps), pendingLimit)]
	var b strings.Builder
	b.WriteString(desk.p.T(reviewLang, "review.pending", "Count", len(apps)))
	for _, a := range apps {
		b.WriteString("\n")
		b.WriteString(desk.p.T(reviewLang, "review.pending_line", "Ref", a.Reference, "Enterprise", a.Basic.EnterpriseName,
			"Age", desk.age(reviewLang, desk.now().Sub(a.SubmittedAt))))
	}
	if more {
		b.WriteString("\n" + desk.p.T(reviewLang, "review.pending_more", "Limit", pendingLimit))
	}
	b.WriteString("\n\n" + desk.p.T(reviewLang, "review.show_hint"))
	return desk.groupText(b.String()), nil
}

// age formats how long something has waited, to the minute.
func (desk *Desk) age(lang string, d time.Duration) string {
	d = max(d, 0)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return desk.p.T(lang, "age.days", "Days", days, "Hours", hours)
	case hours > 0:
		return desk.p.T(lang, "age.hours", "Hours", hours, "Minutes", mins)
	}
	return desk.p.T(lang, "age.minutes", "Minutes", mins)
}

// find lists applications matching a keyword, latest first.
func (desk *Desk) find(ctx context.Context, keyword string) ([]conversation.Reply, error) {
	if keyword == "" {
		return desk.groupText(desk.p.T(reviewLang, "review.find_usage")), nil
	}
	apps, err := desk.regs.Find(ctx, keyword, findLimit+1)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return desk.groupText(desk.p.T(reviewLang, "review.find_none", "Keyword", keyword)), nil
	}
	more := len(apps) > findLimit
	apps = apps[:min(len(apps), findLimit)]
	var b strings.Builder
	b.WriteString(desk.p.T(reviewLang, "review.find_results", "Keyword", keyword, "Count", len(apps)))
	for _, a := range apps {
		b.WriteString("\n")
		b.WriteString(desk.p.T(reviewLang, "review.find_line", "Ref", a.Reference, "Enterprise", a.Basic.EnterpriseName,
			"Status", desk.statusLabel(a.Status), "Submitted", stamp(a.SubmittedAt)))
	}
	if more {
		b.WriteString("\n" + desk.p.T(reviewLang, "review.find_more", "Limit", findLimit))
	}
	b.WriteString("\n\n" + desk.p.T(reviewLang, "review.show_hint"))
	return desk.groupText(b.String()), nil
}

// referenceID extracts the application id from a reference
// (CQ-<date>-<id>) or a bare id.
var referenceID = regexp.MustCompile(`^(?i:CQ-\d{8}-)?0*(\d{1,18})$`)

// show gives an application's details and decisions, with the decision
// buttons while it is open.
func (desk *Desk) show(ctx context.Context, ref string) ([]conversation.Reply, error) {
	m := referenceID.FindStringSubmatch(ref)
	if m == nil {
		return desk.groupText(desk.p.T(reviewLang, "review.show_usage")), nil
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	app, err := desk.regs.Get(ctx, id)
	if domain.ErrorCode(err) == domain.CodeNotFound || err == nil && strings.Contains(ref, "-") && !strings.EqualFold(app.Reference, ref) {
		return desk.groupText(desk.p.T(reviewLang, "review.notfound") + " " + ref), nil
	}
	if err != nil {
		return nil, err
	}
	return desk.details(ctx, app, app.Status.Open())
}

// details is the full application (secrets masked) with its status and
// audit trail; buttons adds the decision buttons to the last part.
func (desk *Desk) details(ctx context.Context, app *domain.Application, buttons bool) ([]conversation.Reply, error) {
	var b strings.Builder
	b.WriteString(desk.p.T(reviewLang, "review.show_head", "Ref", app.Reference, "Status", desk.statusLabel(app.Status), "Submitted", stamp(app.SubmittedAt)))
	b.WriteString("\n")
	b.WriteString(desk.p.Summary(reviewLang, app))
	ds, err := desk.regs.Decisions(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	var edited []domain.Field
	if len(ds) > 0 { // decided before: perhaps resubmitted since
		_, edited = desk.changesSinceRejection(ctx, app)
	}
	if flags := desk.flagsText(app, edited); flags != "" {
		b.WriteString("\n\n" + flags)
	}
	if len(ds) > 0 {
		b.WriteString("\n\n" + desk.p.T(reviewLang, "review.history"))
		for _, d := range ds {
			when, who, verdict := stamp(d.DecidedAt), reviewerName(d), desk.verdictVerb(d.Verdict)
			if d.Reason == "" {
				b.WriteString("\n" + desk.p.T(reviewLang, "review.history_line", "Time", when, "Reviewer", who, "Verdict", verdict))
			} else {
				b.WriteString("\n" + desk.p.T(reviewLang, "review.history_line_reason", "Time", when, "Reviewer", who, "Verdict", verdict, "Reason", d.Reason))
			}
		}
	}
	out := desk.groupText(b.String())
	if buttons {
		// A card too: a decision taken from it, or elsewhere, edits it.
		out[len(out)-1].Buttons, out[len(out)-1].CardOf = desk.reviewButtons(app), app.ID
	}
	return out, nil
}

// outcome is the line a card ends with once d closed its round.
func (desk *Desk) outcome(d domain.Decision) string {
	if d.Verdict == domain.VerdictReject {
		return desk.p.T(reviewLang, "review.rejected_by", "Reviewer", reviewerName(d), "Time", stamp(d.DecidedAt), "Reason", d.Reason)
	}
	return desk.p.T(reviewLang, "review.approved_by", "Reviewer", reviewerName(d), "Time", stamp(d.DecidedAt))
}

// cardText is a card of app as it stands now: the notice of its latest
// submission (with the last rejection and the changes, for a
// resubmission), then, once decided, the outcome, and what happened after
// (the account created, a withdrawal). Such a card has no buttons left.
func (desk *Desk) cardText(ctx context.Context, app *domain.Application) (string, error) {
	ds, err := desk.regs.Decisions(ctx, app.ID)
	if err != nil {
		return "", err
	}
	var tail []string
	switch app.Status {
	case domain.StatusApproved, domain.StatusRejected, domain.StatusProvisioned:
		if n := len(ds); n > 0 {
			tail = append(tail, desk.outcome(ds[n-1]))
			ds = ds[:n-1] // the earlier rounds
		}
	}
	switch app.Status {
	case domain.StatusProvisioned:
		tail = append(tail, desk.p.T(reviewLang, "review.provisioned", "Time", stamp(app.ProvisionedAt)))
	case domain.StatusWithdrawn:
		tail = append(tail, desk.p.T(reviewLang, "review.withdrawn"))
	}
	text := desk.noticeText(ctx, app, len(ds) > 0, ds)
	if len(tail) > 0 {
		text += "\n\n" + strings.Join(tail, "\n")
	}
	return text, nil
}

// cardEdits edits every card of app to cardText. A notice too long for
// one message was sent in parts, the buttons on the last: that is the
// message edited.
func (desk *Desk) cardEdits(ctx context.Context, app *domain.Application) ([]conversation.Reply, error) {
	if desk.chat == 0 {
		return nil, nil
	}
	text, err := desk.cardText(ctx, app)
	if err != nil {
		return nil, err
	}
	cards, err := desk.cards.Cards(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	parts := conversation.Chunks(text, textLimit)
	var out []conversation.Reply
	for _, c := range cards {
		out = append(out, conversation.Reply{ChatID: c.ChatID, Text: parts[len(parts)-1], EditMessageID: c.MessageID})
	}
	return out, nil
}

// diffText is the text of the changes since the rejection (diff's lines).
func (desk *Desk) diffText(lines []string) string {
	if len(lines) == 0 {
		return desk.p.T(reviewLang, "review.diff_none")
	}
	return desk.p.T(reviewLang, "review.diff_title") + "\n" + strings.Join(lines, "\n")
}

// diff says what changed between the rejected version of an application
// and its resubmission, field by field in the form's order: a line per
// change, and the fields changed (the units once, for any change of
// accounts or units). The ID number is compared by its hash and shown
// masked; the password is not compared (only its sealed form is kept, and
// the history drops even that); a document by its content.
func (desk *Desk) diff(old, cur *domain.Application) (lines []string, edited []domain.Field) {
	empty := desk.p.T(reviewLang, "review.empty")
	show := func(v string) string {
		if v == "" {
			return empty
		}
		return v
	}
	changed := func(f domain.Field, o, n string) {
		lines = append(lines, desk.p.T(reviewLang, "review.diff_line", "Field", desk.p.FieldLabel(reviewLang, f), "Old", show(o), "New", show(n)))
		if !slices.Contains(edited, f) {
			edited = append(edited, f)
		}
	}
	for _, spec := range domain.Fields {
		f := spec.Field
		switch {
		case spec.Section == "" || f == domain.FieldPassword || f == domain.FieldUnits:
		case f == domain.FieldLegalRepID:
			if string(old.Account.LegalRepID.Hash) != string(cur.Account.LegalRepID.Hash) {
				o, n := old.Account.LegalRepID.Masked, cur.Account.LegalRepID.Masked
				if o == n {
					n = desk.p.T(reviewLang, "review.diff_changed", "Value", n)
				}
				changed(f, o, n)
			}
		case spec.Section == domain.SectionAttachments:
			o, n := attachmentOf(old, f), attachmentOf(cur, f)
			if o.SHA256 != n.SHA256 && n.SHA256 != "" {
				changed(f, o.FileName, desk.p.T(reviewLang, "review.diff_file", "FileName", n.FileName))
			}
		default:
			if o, n := desk.diffValue(old, f), desk.diffValue(cur, f); o != n {
				changed(f, o, n)
			}
		}
	}
	if units := desk.unitChanges(old, cur); len(units) > 0 {
		lines = append(lines, units...)
		edited = append(edited, domain.FieldUnits)
	}
	return lines, edited
}

// diffValue is a field's value as the diff shows it: short, names for codes.
func (desk *Desk) diffValue(a *domain.Application, f domain.Field) string {
	switch f {
	case domain.FieldCreditCode:
		if a.Basic.CreditCodeFlagged {
			return a.Basic.CreditCode + " ⚠️"
		}
	case domain.FieldBusinessTerm:
		if a.Basic.BusinessTermOpen {
			return desk.p.T(reviewLang, "term.open")
		}
	case domain.FieldUserType:
		if a.Basic.UserType != "" {
			return desk.p.UserTypeName(reviewLang, a.Basic.UserType)
		}
	case domain.FieldRegion:
		if r, ok := desk.p.Region(a.Basic.RegionCode); ok {
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
func (desk *Desk) unitChanges(old, cur *domain.Application) []string {
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
			lines = append(lines, desk.p.T(reviewLang, "review.diff_account_added", "Account", n))
		}
	}
	for _, o := range oa {
		if !slices.Contains(na, o) {
			lines = append(lines, desk.p.T(reviewLang, "review.diff_account_removed", "Account", o))
		}
	}
	describe := func(u domain.Unit) string {
		return domain.OptionName(domain.UnitTypes, u.UnitType) + " / " + desk.highEnergyName(u.HighEnergy)
	}
	om, oorder := index(old)
	nm, norder := index(cur)
	for _, id := range norder {
		n := nm[id]
		o, ok := om[id]
		switch {
		case !ok:
			lines = append(lines, desk.p.T(reviewLang, "review.diff_unit_added", "Unit", id, "Name", n.u.Name, "Account", n.account, "Category", describe(n.u)))
		case o.u.UnitType != n.u.UnitType || o.u.HighEnergy != n.u.HighEnergy:
			lines = append(lines, desk.p.T(reviewLang, "review.diff_unit_changed", "Unit", id, "Name", n.u.Name, "Old", describe(o.u), "New", describe(n.u)))
		}
	}
	for _, id := range oorder {
		if _, ok := nm[id]; !ok {
			o := om[id]
			lines = append(lines, desk.p.T(reviewLang, "review.diff_unit_removed", "Unit", id, "Name", o.u.Name, "Account", o.account))
		}
	}
	return lines
}

// applicantLang is the language the applicant chose in their chat (Simplified
// Chinese when the session is gone or unreadable).
func (desk *Desk) applicantLang(ctx context.Context, chatID int64) string {
	s, err := desk.sessions.Peek(ctx, chatID)
	if err != nil || s.Lang == "" {
		return conversation.LangZH
	}
	return s.Lang
}
