package conversation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/regbot/regbot/domain"
)

// The review group works in Simplified Chinese.
const reviewLang = LangZH

// reviewNotice is what the review group gets for a submission: the summary
// with 通过 / 驳回 / 详情 buttons, then the attachments.
func (e *Engine) reviewNotice(a *domain.Application, resubmission bool) []Reply {
	if e.cfg.ReviewChatID == 0 {
		return nil
	}
	head := "review.new"
	if resubmission {
		head = "review.resubmitted"
	}
	text := t(reviewLang, head, a.Reference) + "\n" + e.reviewDigest(a)
	out := []Reply{{ChatID: e.cfg.ReviewChatID, Text: text, Buttons: reviewButtons(a)}}
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

func attachmentState(k domain.AttachmentKind) State {
	if k == domain.AttachmentLicence {
		return StAttLicence
	}
	return StAttCatalog
}

// reviewButtons carry the application id and the version they were shown
// for, so a decision applies only to what the reviewer saw.
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
			he := "非高耗能"
			if u.HighEnergy != domain.HighEnergyNone {
				he = domain.OptionName(domain.HighEnergyIndustries, u.HighEnergy)
			}
			fmt.Fprintf(&b, "  · %s %s → %s / %s\n", u.ID, u.Name, domain.OptionName(domain.UnitTypes, u.UnitType), he)
		}
	}
	if !a.SubmittedAt.IsZero() {
		fmt.Fprintf(&b, "提交时间：%s", a.SubmittedAt.Local().Format("2006-01-02 15:04"))
	}
	return strings.TrimSpace(b.String())
}

// reasonMarker ties a rejection reason (a reply in the group) to the
// application, its version and the group message to update.
var reasonMarker = regexp.MustCompile(`#R(\d+)\.(\d+)\.(\d+)`)

// HandleReview processes one event from the review group: a button press
// (通过 / 驳回 / 详情), a reply carrying a rejection reason, or a command.
func (e *Engine) HandleReview(ctx context.Context, in ReviewInput) ([]Reply, error) {
	inGroup := e.cfg.ReviewChatID != 0 && in.ChatID == e.cfg.ReviewChatID
	switch {
	case in.Data != "":
		if !inGroup {
			return []Reply{{Toast: t(reviewLang, "review.wrong_chat")}}, nil
		}
		if !e.reviewers[in.ReviewerID] {
			return []Reply{{Toast: t(reviewLang, "review.not_reviewer")}}, nil
		}
		return e.reviewButton(ctx, in)
	case !inGroup:
		return nil, nil
	case in.Command == "pending":
		return e.pending(ctx)
	case in.ReplyToText != "" && in.Text != "":
		m := reasonMarker.FindStringSubmatch(in.ReplyToText)
		if m == nil || !e.reviewers[in.ReviewerID] {
			return nil, nil
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ver, _ := strconv.Atoi(m[2])
		msg, _ := strconv.Atoi(m[3])
		reason := strings.TrimSpace(in.Text)
		if len([]rune(reason)) < 2 {
			return []Reply{{ChatID: in.ChatID, Text: t(reviewLang, "review.reason_short")}}, nil
		}
		return e.decide(ctx, in, id, ver, msg, domain.VerdictReject, reason)
	}
	return nil, nil
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
		return []Reply{{ChatID: in.ChatID, Text: app.Reference + "\n" + e.render(reviewLang, app)}}, nil
	}
	return []Reply{{Toast: t(reviewLang, "stale.button")}}, nil
}

// decide records a verdict exactly once (the repository's conditional
// update) and tells the group and the applicant.
func (e *Engine) decide(ctx context.Context, in ReviewInput, id int64, ver, groupMsg int, v domain.Verdict, reason string) ([]Reply, error) {
	d := domain.Decision{ApplicationID: id, Verdict: v, ReviewerID: in.ReviewerID, ReviewerName: in.ReviewerName, Reason: reason, DecidedAt: e.now()}
	app, first, err := e.d.Registrations.Decide(ctx, ver, d)
	if domain.ErrorCode(err) == domain.CodeConflict {
		return []Reply{{Toast: t(reviewLang, "review.already", first.ReviewerName, verdictLabel(first.Verdict))}}, nil
	}
	if err != nil {
		return e.reviewError(err)
	}
	who := d.ReviewerName
	if who == "" {
		who = strconv.FormatInt(d.ReviewerID, 10)
	}
	when := d.DecidedAt.Local().Format("2006-01-02 15:04")
	outcome := t(reviewLang, "review.approved_by", who, when)
	if v == domain.VerdictReject {
		outcome = t(reviewLang, "review.rejected_by", who, when, reason)
	}
	text := t(reviewLang, "review.new", app.Reference) + "\n" + e.reviewDigest(app) + "\n\n" + outcome
	out := []Reply{{Toast: outcome}}
	if groupMsg != 0 {
		out = append(out, Reply{ChatID: e.cfg.ReviewChatID, Text: text, EditMessageID: groupMsg})
	}
	lang := LangZH
	if v == domain.VerdictApprove {
		cert := "cert.optional"
		if app.Basic.UserType.CertificateRequired() {
			cert = "cert.required"
		}
		out = append(out, Reply{ChatID: app.ChatID, Text: t(lang, "decision.approved", app.Reference, t(lang, cert))})
	} else {
		out = append(out, Reply{ChatID: app.ChatID, Text: t(lang, "decision.rejected", app.Reference, reason),
			Buttons: [][]Button{{{Text: t(lang, "resubmit.button"), Data: "g|resubmit"}}}})
	}
	return out, nil
}

func verdictLabel(v domain.Verdict) string {
	if v == domain.VerdictApprove {
		return "通过"
	}
	return "驳回"
}

func (e *Engine) alreadyDecided(ctx context.Context, app *domain.Application) ([]Reply, error) {
	ds, err := e.d.Registrations.Decisions(ctx, app.ID)
	if err != nil || len(ds) == 0 {
		return []Reply{{Toast: t(reviewLang, "stale.button")}}, nil
	}
	last := ds[len(ds)-1]
	return []Reply{{Toast: t(reviewLang, "review.already", last.ReviewerName, verdictLabel(last.Verdict))}}, nil
}

func (e *Engine) reviewError(err error) ([]Reply, error) {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return []Reply{{Toast: t(reviewLang, "review.notfound")}}, nil
	}
	return []Reply{{Toast: t(reviewLang, "retry.later")}}, err
}

// pending lists open applications with their age.
func (e *Engine) pending(ctx context.Context) ([]Reply, error) {
	apps, err := e.d.Registrations.Pending(ctx, 50)
	if err != nil {
		return e.reviewError(err)
	}
	if len(apps) == 0 {
		return []Reply{{ChatID: e.cfg.ReviewChatID, Text: t(reviewLang, "review.pending_none")}}, nil
	}
	var b strings.Builder
	b.WriteString(t(reviewLang, "review.pending", len(apps)))
	for _, a := range apps {
		age := e.now().Sub(a.SubmittedAt).Round(time.Minute)
		fmt.Fprintf(&b, "\n%s %s（%s）", a.Reference, a.Basic.EnterpriseName, age)
	}
	return []Reply{{ChatID: e.cfg.ReviewChatID, Text: b.String()}}, nil
}

var _ = errors.New
