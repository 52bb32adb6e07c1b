package review_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// The desk's side of the review group's durability: what a reviewer's
// action returns (to be sent, or stored, by the transport) and what the
// notices recorded with a change render. Whole dialogues with the desk
// are in package conversation (reason_test.go, engine_test.go).

const (
	reviewChat = -100500
	reviewer   = 77
	applicant  = 1001
)

type fixture struct {
	regs  *conversationtest.Registrations
	desk  *review.Desk
	app   *domain.Application
	card  int // the message of the submission's notice
	ctx   context.Context
	clock *conversationtest.Clock
}

// newFixture submits an application and records its notice's message as
// its card, as the transport does when it sends the notice.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	regs := conversationtest.NewRegistrations()
	clock := &conversationtest.Clock{T: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	desk := review.New(regs, conversationtest.NewSessions(), regs, &conversationtest.ReasonPrompts{},
		review.Config{ReviewChatID: reviewChat, Reviewers: []int64{reviewer}, Now: clock.Now})
	app := &domain.Application{ChatID: applicant, Status: domain.StatusSubmitted, SubmittedAt: clock.Now()}
	app.Basic.EnterpriseName = "重庆江北精工机械有限公司"
	if _, _, _, err := regs.Submit(ctx, "k", app); err != nil {
		t.Fatal(err)
	}
	f := &fixture{regs: regs, desk: desk, app: app, card: 40, ctx: ctx, clock: clock}
	if err := regs.AddCard(ctx, app.ID, reviewChat, f.card); err != nil {
		t.Fatal(err)
	}
	f.deliver(t) // the submission's notice
	return f
}

// deliver renders the notices recorded since the last call, as the
// transport's dispatcher does.
func (f *fixture) deliver(t *testing.T) []conversation.Reply {
	t.Helper()
	out, err := f.regs.Deliver(f.ctx, f.desk.RenderNotice)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) press(t *testing.T, verdict string, messageID int) []conversation.Reply {
	t.Helper()
	data := "rv|" + verdict + "|" + strconv.FormatInt(f.app.ID, 10) + "|" + strconv.Itoa(f.app.Version)
	out, err := f.desk.Handle(f.ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewer, ReviewerName: "王审核",
		MessageID: messageID, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// edits returns the message ids the replies edit in the review group.
func edits(replies []conversation.Reply, containing string) []int {
	var ids []int
	for _, r := range replies {
		if r.ChatID == reviewChat && r.EditMessageID != 0 && len(r.Buttons) == 0 && strings.Contains(r.Text, containing) {
			ids = append(ids, r.EditMessageID)
		}
	}
	return ids
}

// TestDecisionEditsCardsThroughItsNotice: a decision answers the reviewer
// with a toast only; every card of the application, the one pressed among
// them even if it was never recorded, is edited by the NoticeCards that
// Decide recorded with the decision, which survives a crash of the process
// that decided; rendered again it edits the same messages (no new one).
func TestDecisionEditsCardsThroughItsNotice(t *testing.T) {
	f := newFixture(t)
	const unrecorded = 41 // a /show card whose recording failed
	out := f.press(t, "a", unrecorded)
	if len(out) != 1 || out[0].Toast == "" || out[0].Text != "" {
		t.Fatalf("approval answered %+v; want a toast only (the cards are the notice's)", out)
	}
	var cards review.Notice
	for _, n := range f.regs.Notices() {
		if n.Kind == review.NoticeCards {
			cards = n
		}
	}
	if cards.ApplicationID != f.app.ID {
		t.Fatalf("no cards notice recorded with the decision: %+v", f.regs.Notices())
	}
	delivered := f.deliver(t)
	if got := edits(delivered, "已通过 · 王审核"); !slices.Equal(got, []int{f.card, unrecorded}) {
		t.Errorf("cards edited %v, want %v: %+v", got, []int{f.card, unrecorded}, delivered)
	}
	var told int
	for _, r := range delivered {
		if r.ChatID == applicant {
			told++
		}
	}
	if told != 1 {
		t.Errorf("applicant told %d times, want once", told)
	}
	// Delivered again (the dispatcher died before marking it sent): the
	// same edits, no new message.
	again, err := f.desk.RenderNotice(f.ctx, cards)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.EditMessageID == 0 {
			t.Errorf("the cards notice rendered again sends a new message: %+v", r)
		}
	}
	if got := edits(again, "已通过"); !slices.Equal(got, []int{f.card, unrecorded}) {
		t.Errorf("rendered again, it edits %v", got)
	}
}

// TestNoticesSplitByAudience: a notice's messages go either to the review
// group or to the applicant, never both, so that an applicant's notice
// never waits behind the group's rate limit: the account's creation tells
// the applicant, and its own NoticeCards edits the cards.
func TestNoticesSplitByAudience(t *testing.T) {
	f := newFixture(t)
	f.press(t, "a", f.card)
	f.deliver(t)
	app, _ := f.regs.Get(f.ctx, f.app.ID)
	for _, n := range []review.Notice{
		{Kind: review.NoticeProvisioned, ApplicationID: app.ID, Version: app.Version},
		{Kind: review.NoticeDecided, ApplicationID: app.ID, Version: 1,
			Decision: domain.Decision{ApplicationID: app.ID, Verdict: domain.VerdictApprove, ReviewerID: reviewer}},
		{Kind: review.NoticeCards, ApplicationID: app.ID, Version: app.Version},
		{Kind: review.NoticeReplies, Replies: []conversation.Reply{{ChatID: reviewChat, Text: "待审核"}}},
	} {
		out, err := f.desk.RenderNotice(f.ctx, n)
		if err != nil || len(out) == 0 {
			t.Fatalf("%s rendered %+v, %v", n.Kind, out, err)
		}
		for _, r := range out {
			if toGroup := r.ChatID == reviewChat; toGroup != n.Kind.ForGroup() {
				t.Errorf("%s (ForGroup %v) renders a message to chat %d", n.Kind, n.Kind.ForGroup(), r.ChatID)
			}
		}
	}
	for _, k := range review.NoticeKinds {
		want := k != review.NoticeDecided && k != review.NoticeProvisioned
		if k.ForGroup() != want {
			t.Errorf("%s.ForGroup() = %v", k, k.ForGroup())
		}
	}
}

// TestRepliesNoticeRendersItsReplies: the group's answer to a reviewer is
// stored as rendered and sent as it is, whatever happened since.
func TestRepliesNoticeRendersItsReplies(t *testing.T) {
	f := newFixture(t)
	replies := []conversation.Reply{{ChatID: reviewChat, Text: "请填写驳回原因 #R1.1.40", ForceReply: true, ReplyTo: 40}}
	f.regs.Down = true // it needs no application
	out, err := f.desk.RenderNotice(f.ctx, review.Notice{Kind: review.NoticeReplies, Replies: replies})
	if err != nil || !slices.EqualFunc(out, replies, func(a, b conversation.Reply) bool {
		return a.Text == b.Text && a.ReplyTo == b.ReplyTo && a.ForceReply == b.ForceReply
	}) {
		t.Errorf("rendered %+v, %v; want the stored replies", out, err)
	}
}

// TestReasonPromptRepliesToTheCard: 驳回's prompt says which message it
// replies to (the card pressed), so that it can be stored and sent later
// by a process that never saw the button press.
func TestReasonPromptRepliesToTheCard(t *testing.T) {
	f := newFixture(t)
	out := f.press(t, "r", f.card)
	if len(out) != 1 || !out[0].ForceReply || out[0].ReplyTo != f.card || out[0].ChatID != reviewChat {
		t.Fatalf("驳回 answered %+v; want a forced reply to card %d", out, f.card)
	}
	// The reason typed beside the prompt rejects it, and the group is
	// told nothing directly: the cards notice says it all.
	got, err := f.desk.Handle(f.ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewer, ReviewerName: "王审核",
		MessageID: 90, Text: "营业执照不清晰"})
	if err != nil || len(got) != 0 {
		t.Fatalf("the reason answered %+v, %v; want nothing", got, err)
	}
	if ids := edits(f.deliver(t), "已驳回"); !slices.Equal(ids, []int{f.card}) {
		t.Errorf("cards edited %v after the rejection, want [%d]", ids, f.card)
	}
}
