package conversation

import (
	"context"

	"github.com/regbot/regbot/domain"
)

// NoticeKind is what happened that someone must be told about.
type NoticeKind string

const (
	// NoticeSubmitted: a new application; the review group gets its notice.
	NoticeSubmitted NoticeKind = "submitted"
	// NoticeResubmitted: a rejected application came back; the review
	// group gets the notice with the last rejection and the changes.
	NoticeResubmitted NoticeKind = "resubmitted"
	// NoticeDecided: a reviewer decided; the applicant is told.
	NoticeDecided NoticeKind = "decided"
)

// A Notice is the cause of a notification, recorded by Registrations in
// the same transaction as the change it reports (Submit when it created
// the submission, Decide when it recorded the decision), so that no change
// goes untold even if the process dies right after committing it. It
// holds no rendered text: the transport asks RenderNotice for the
// messages when it sends them. Delivery is at least once.
type Notice struct {
	ID            int64
	Kind          NoticeKind
	ApplicationID int64
	// Version is the application's version the notice is about: the one
	// submitted, or the one the decision was taken on.
	Version int
	// Decision is the decision, as stored (NoticeDecided only).
	Decision domain.Decision
	// Attempts counts the claims of this notice so far, this one included.
	Attempts int
}

// RenderNotice returns the messages of a notice, rendered now: for a
// submission the review group's notice with its documents (what the group
// sees when the transport gets to send it, so a resubmission's diff is
// current), for a decision the applicant's message in their language. It
// returns no replies when there is nothing to say any more: no review
// group, the application is gone, or a submission was overtaken (decided
// or submitted again) before its notice went out, whose buttons would only
// answer "already decided". Registrations failures are returned as they
// are; the caller tries again later.
func (e *Engine) RenderNotice(ctx context.Context, n Notice) ([]Reply, error) {
	app, err := e.d.Registrations.Get(ctx, n.ApplicationID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		e.log.WarnContext(ctx, "notice: application gone", "notice", n.ID, "application", n.ApplicationID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case NoticeSubmitted, NoticeResubmitted:
		if app.Version != n.Version {
			e.log.InfoContext(ctx, "notice: submission overtaken before its notice went out", "notice", n.ID,
				"application", n.ApplicationID, "version", n.Version, "now", app.Version)
			return nil, nil
		}
		return e.reviewNotice(ctx, app, n.Kind == NoticeResubmitted), nil
	case NoticeDecided:
		return []Reply{e.decisionNotice(ctx, app, n.Decision)}, nil
	}
	e.log.ErrorContext(ctx, "notice: unknown kind", "notice", n.ID, "kind", string(n.Kind))
	return nil, nil
}

// decisionNotice tells the applicant of a decision, in their language; a
// rejection comes with the button to edit and resubmit.
func (e *Engine) decisionNotice(ctx context.Context, app *domain.Application, d domain.Decision) Reply {
	lang := e.applicantLang(ctx, app.ChatID)
	if d.Verdict == domain.VerdictApprove {
		cert := "review.cert_optional"
		if app.Basic.UserType.CertificateRequired() {
			cert = "review.cert_required"
		}
		return Reply{ChatID: app.ChatID, Text: e.tr(lang, "decision.approved", "Ref", app.Reference,
			"Certificate", e.tr(lang, cert, "LoginName", app.Account.LoginName))}
	}
	return Reply{ChatID: app.ChatID, Text: e.tr(lang, "decision.rejected", "Ref", app.Reference, "Reason", d.Reason),
		Buttons: [][]Button{{{Text: e.tr(lang, "resubmit.button"), Data: "g|resubmit"}}}}
}
