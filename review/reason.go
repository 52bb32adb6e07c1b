package review

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// A rejection's reason. 驳回 asks for it with a prompt (a forced reply
// carrying a marker, reasonMarker) and records a ReasonPrompt for the
// reviewer who pressed it. The reason is then either a reply to the prompt
// (by any authorised reviewer: the marker names the application) or the
// next message that reviewer writes in the group within Config.ReasonTTL,
// replying to nothing or to another of the bot's messages: reviewers in a
// busy group do not always find the reply button, and a reason typed
// beside it must not vanish. That message is taken only when it can be
// told apart: with two rejections waiting for the reviewer's reason, or
// after the TTL, the group is told in one line what to do instead.
// Messages of anyone without a waiting rejection are chatter and left
// alone. Replies to other people's messages never reach the desk (the
// transport drops them): they are addressed to people.

// promptKeep is how long a reviewer's prompts are remembered after the
// latest: past the TTL, for as long as an expired prompt is worth saying
// so about.
func (desk *Desk) promptKeep() time.Duration { return max(time.Hour, 2*desk.reasonTTL) }

// askReason asks the reviewer who pressed 驳回 for the reason, and
// remembers that it was asked.
func (desk *Desk) askReason(ctx context.Context, in Input, app *domain.Application) ([]conversation.Reply, error) {
	p := ReasonPrompt{ApplicationID: app.ID, Version: app.Version, MessageID: in.MessageID, Reference: app.Reference, AskedAt: desk.now()}
	if err := desk.prompts.Ask(ctx, in.ChatID, in.ReviewerID, p, desk.promptKeep()); err != nil {
		// A reply to the prompt still works; only a reason typed beside it
		// would not be found.
		desk.log.WarnContext(ctx, "review: reason prompt not recorded", "application", app.ID, "err", err)
	}
	marker := fmt.Sprintf("#R%d.%d.%d", p.ApplicationID, p.Version, p.MessageID)
	return []conversation.Reply{{ChatID: in.ChatID, Text: desk.p.T(reviewLang, "review.reason_prompt", "Ref", app.Reference, "Marker", marker),
		ForceReply: true, ReplyTo: in.MessageID}}, nil
}

// forgetPrompt forgets the reviewer's prompt of the application, if any:
// it was answered, or the reviewer decided otherwise.
func (desk *Desk) forgetPrompt(ctx context.Context, in Input, applicationID int64) {
	if _, err := desk.prompts.Answered(ctx, in.ChatID, in.ReviewerID, applicationID); err != nil {
		desk.log.WarnContext(ctx, "review: reason prompt not forgotten", "application", applicationID, "err", err)
	}
}

// reasonTooShort answers a reason under 2 characters, or returns nil.
func (desk *Desk) reasonTooShort(in Input) []conversation.Reply {
	if len([]rune(strings.TrimSpace(in.Text))) < 2 {
		return desk.groupText(desk.p.T(reviewLang, "review.reason_short"))
	}
	return nil
}

// reasonGiven rejects p's application with the reason in.Text (long
// enough: reasonTooShort). A refusal that would be a toast (already
// decided, stale) is said in the group, since a message has no button to
// answer; on success the edited cards say it all.
func (desk *Desk) reasonGiven(ctx context.Context, in Input, p ReasonPrompt) ([]conversation.Reply, error) {
	reason := strings.TrimSpace(in.Text)
	out, decided, err := desk.decide(ctx, in, p.ApplicationID, p.Version, p.MessageID, domain.VerdictReject, reason)
	if decided {
		return nil, nil
	}
	if t := firstToast(out); t != "" {
		out = desk.groupText(t)
	}
	return out, err
}

// firstToast is the toast among replies, or "".
func firstToast(replies []conversation.Reply) string {
	for _, r := range replies {
		if r.Toast != "" {
			return r.Toast
		}
	}
	return ""
}

// unmarkedReason reads a message of the group that does not reply to a
// prompt: the reason of the reviewer's one waiting rejection, or, if the
// reviewer has several or let it expire, one line of guidance; nothing if
// the writer has no rejection waiting (chatter). The prompt is what
// authorised the reviewer (it is recorded only for one): the transport
// does not look up the group's administrators for every message.
func (desk *Desk) unmarkedReason(ctx context.Context, in Input) ([]conversation.Reply, error) {
	prompts, err := desk.prompts.Asked(ctx, in.ChatID, in.ReviewerID)
	if err != nil {
		// Whether it was a reason is unknown: nothing is said for what may
		// be chatter, and the failure is logged by the transport.
		return nil, err
	}
	var fresh, expired []ReasonPrompt
	for _, p := range prompts {
		if desk.now().Sub(p.AskedAt) < desk.reasonTTL {
			fresh = append(fresh, p)
		} else {
			expired = append(expired, p)
		}
	}
	switch {
	case len(fresh) == 0 && len(expired) == 0:
		return nil, nil
	case len(fresh) == 0:
		// Said once: the expired prompts are forgotten.
		for _, p := range expired {
			desk.forgetPrompt(ctx, in, p.ApplicationID)
		}
		return desk.groupText(desk.p.T(reviewLang, "review.reason_expired", "Refs", references(expired),
			"Minutes", int(desk.reasonTTL/time.Minute))), nil
	case len(fresh) > 1:
		return desk.groupText(desk.p.T(reviewLang, "review.reason_ambiguous", "Count", len(fresh), "Refs", references(fresh))), nil
	}
	p := fresh[0]
	if out := desk.reasonTooShort(in); out != nil {
		return out, nil
	}
	// Taken once: a redelivered message, or the same reason handled on two
	// replicas, finds the prompt gone.
	took, err := desk.prompts.Answered(ctx, in.ChatID, in.ReviewerID, p.ApplicationID)
	if err != nil {
		return desk.groupText(desk.p.T(reviewLang, "retry.later")), err
	}
	if !took {
		return nil, nil
	}
	for _, e := range expired {
		desk.forgetPrompt(ctx, in, e.ApplicationID)
	}
	out, err := desk.reasonGiven(ctx, in, p)
	if err != nil {
		// Not decided: the prompt stands, so that the reviewer can say it again.
		if aerr := desk.prompts.Ask(ctx, in.ChatID, in.ReviewerID, p, desk.promptKeep()); aerr != nil {
			desk.log.WarnContext(ctx, "review: reason prompt not restored", "application", p.ApplicationID, "err", aerr)
		}
	}
	return out, err
}

// references lists the prompts' applications by reference.
func references(ps []ReasonPrompt) string {
	refs := make([]string, len(ps))
	for i, p := range ps {
		refs[i] = p.Reference
	}
	return strings.Join(refs, "、")
}
