package review

import (
	"context"

	"github.com/regbot/regbot/conversation"
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
	// NoticeDecided: a reviewer decided; the applicant is told. (The
	// group's cards are edited by the NoticeCards recorded with it.)
	NoticeDecided NoticeKind = "decided"
	// NoticeProvisioned: the exchange created the account on its platform;
	// the applicant is told how to log in. (The group's cards: NoticeCards.)
	NoticeProvisioned NoticeKind = "provisioned"
	// NoticeWithdrawn: the applicant took the application back; the
	// group's cards say so and lose their buttons.
	NoticeWithdrawn NoticeKind = "withdrawn"
	// NoticeCards: the application changed (a decision, the account
	// created); every card of it in the review group is edited to show it
	// as it stands when the notice is sent. Edits repeated are harmless.
	NoticeCards NoticeKind = "cards"
	// NoticeReplies: the review group's answer to a reviewer's action (a
	// reason prompt, a /pending or /find list, /show's details, a line of
	// guidance), rendered by Handle and recorded by the transport before
	// it confirms the update (Notice.Replies): it has no application.
	NoticeReplies NoticeKind = "replies"
)

// NoticeKinds are every kind of notice.
var NoticeKinds = []NoticeKind{NoticeSubmitted, NoticeResubmitted, NoticeDecided, NoticeProvisioned,
	NoticeWithdrawn, NoticeCards, NoticeReplies}

// ForGroup reports whether the notice's messages go to the review group
// (and wait for its rate limit) rather than to an applicant. Every kind is
// one or the other, so that an applicant never waits behind the group.
func (k NoticeKind) ForGroup() bool {
	switch k {
	case NoticeDecided, NoticeProvisioned:
		return false
	}
	return true
}

// A Notice is the cause of a notification, recorded by Registrations in
// the same transaction as the change it reports (Submit when it created
// the submission, Decide when it recorded the decision), so that no change
// goes untold even if the process dies right after committing it. It
// holds no rendered text: the transport asks RenderNotice for the
// messages when it sends them. The exception is NoticeReplies, the
// group's answer to a reviewer, which the transport records as rendered.
// Delivery is at least once.
type Notice struct {
	ID            int64
	Kind          NoticeKind
	ApplicationID int64
	// Version is the application's version the notice is about: the one
	// submitted, or the one the decision was taken on.
	Version int
	// Decision is the decision, as stored (NoticeDecided only).
	Decision domain.Decision
	// Replies are a NoticeReplies notice's messages, as Handle rendered them.
	Replies []conversation.Reply
	// Attempts counts the claims of this notice so far, this one included.
	Attempts int
	// Sent is the transport's record of an earlier attempt that got part
	// of the way: an entry for each of the notice's first replies that
	// Telegram accepted, in order (the message's id, 0 for an edit). The
	// transport does not send those again.
	Sent []int
}

// RenderNotice returns the messages of a notice, rendered now: for a
// submission the review group's notice with its documents (what the group
// sees when the transport gets to send it, so a resubmission's diff is
// current), for a decision or the account's creation the applicant's
// message in their language, for the cards of a change or a withdrawal the
// edits of every card; a NoticeReplies notice's replies are those it
// carries. It returns no replies when there is nothing to say any more: no
// review group, the application is gone, or a submission was overtaken
// (decided or submitted again) before its notice went out, whose buttons
// would only answer "already decided". Registrations failures are returned
// as they are; the caller tries again later.
func (desk *Desk) RenderNotice(ctx context.Context, n Notice) ([]conversation.Reply, error) {
	if n.Kind == NoticeReplies {
		return n.Replies, nil
	}
	app, err := desk.regs.Get(ctx, n.ApplicationID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		desk.log.WarnContext(ctx, "notice: application gone", "notice", n.ID, "application", n.ApplicationID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case NoticeSubmitted, NoticeResubmitted:
		if app.Version != n.Version {
			desk.log.InfoContext(ctx, "notice: submission overtaken before its notice went out", "notice", n.ID,
				"application", n.ApplicationID, "version", n.Version, "now", app.Version)
			return nil, nil
		}
		return desk.reviewNotice(ctx, app, n.Kind == NoticeResubmitted), nil
	case NoticeDecided:
		return []conversation.Reply{desk.decisionNotice(ctx, app, n.Decision)}, nil
	case NoticeProvisioned:
		return []conversation.Reply{desk.provisionedNotice(ctx, app)}, nil
	case NoticeCards, NoticeWithdrawn:
		return desk.cardEdits(ctx, app)
	}
	desk.log.ErrorContext(ctx, "notice: unknown kind", "notice", n.ID, "kind", string(n.Kind))
	return nil, nil
}

// decisionNotice tells the applicant of a decision, in their language: an
// approval says the account will be created (and whether a certificate
// will be needed); a rejection comes with the button to edit and resubmit.
func (desk *Desk) decisionNotice(ctx context.Context, app *domain.Application, d domain.Decision) conversation.Reply {
	lang := desk.applicantLang(ctx, app.ChatID)
	if d.Verdict == domain.VerdictApprove {
		cert := "review.cert_optional_short"
		if app.Basic.UserType.CertificateRequired() {
			cert = "review.cert_required_short"
		}
		return conversation.Reply{ChatID: app.ChatID, Text: desk.p.T(lang, "decision.approved", "Ref", app.Reference,
			"Certificate", desk.p.T(lang, cert))}
	}
	return conversation.Reply{ChatID: app.ChatID, Text: desk.p.T(lang, "decision.rejected", "Ref", app.Reference, "Reason", d.Reason),
		Buttons: [][]conversation.Button{{{Text: desk.p.T(lang, "resubmit.button"), Data: "g|resubmit"}}}}
}

// provisionedNotice tells the applicant that the account exists: where to
// log in, with which login name, and the digital-certificate step of their
// user type (required for direct-trading users, optional for retail ones).
func (desk *Desk) provisionedNotice(ctx context.Context, app *domain.Application) conversation.Reply {
	lang := desk.applicantLang(ctx, app.ChatID)
	cert := "review.cert_optional"
	if app.Basic.UserType.CertificateRequired() {
		cert = "review.cert_required"
	}
	return conversation.Reply{ChatID: app.ChatID, Text: desk.p.T(lang, "account.provisioned", "Ref", app.Reference,
		"LoginName", app.Account.LoginName, "Certificate", desk.p.T(lang, cert, "LoginName", app.Account.LoginName))}
}
