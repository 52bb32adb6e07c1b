package conversation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// otherReviewer is an administrator of the review group, who may decide
// too (REVIEW_ADMINS).
const otherReviewer = 78

// groupSays is a plain message in the review group (no reply) by who.
func (h *harness) groupSays(who int64, text string) []conversation.Reply {
	h.t.Helper()
	out, err := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: who, ReviewerName: "赵审核", Text: text})
	if err != nil {
		h.t.Fatalf("desk: %v", err)
	}
	return out
}

// pressOn presses a button of a card as who.
func (h *harness) pressOn(who int64, card conversation.Reply, cardID int, label string) []conversation.Reply {
	h.t.Helper()
	for _, row := range card.Buttons {
		for _, b := range row {
			if b.Text == label {
				out, err := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: who, ReviewerName: "赵审核",
					Data: b.Data, MessageID: cardID, IsAdmin: who == otherReviewer})
				if err != nil {
					h.t.Fatalf("desk: %v", err)
				}
				return out
			}
		}
	}
	h.t.Fatalf("no button %q on the card", label)
	return nil
}

func (h *harness) status(id int64) domain.Status {
	h.t.Helper()
	a, err := h.regs.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return a.Status
}

// TestReasonWithoutReply: after 驳回, the reviewer's next message in the
// group is the reason even when it replies to nothing; anyone else's is
// chatter, left alone, and so is the reviewer's once the reason is taken.
func TestReasonWithoutReply(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.press("提交")
	card := reviewCard(h, h.last)
	const cardID = 300
	prompt := h.pressOn(reviewerID, card, cardID, "驳回")
	if len(prompt) != 1 || !prompt[0].ForceReply || !strings.Contains(prompt[0].Text, "直接在本群发送") {
		t.Fatalf("the prompt does not say a plain message will do: %s", texts(prompt))
	}

	if out := h.groupSays(777, "这家材料我看过，挺齐的"); len(out) != 0 {
		t.Fatalf("a non-reviewer's chatter was answered: %s", texts(out))
	}
	if out := h.groupSays(otherReviewer, "午饭吃什么"); len(out) != 0 {
		t.Fatalf("a reviewer without a rejection waiting was answered: %s", texts(out))
	}
	// A short reason, as a reply or not, leaves the prompt waiting.
	if out, _ := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReplyToText: prompt[0].Text, Text: "x"}); !says(out, "太短") {
		t.Fatalf("a short reply: %s", texts(out))
	}
	if out := h.groupSays(reviewerID, "差"); !says(out, "太短") {
		t.Fatalf("a short reason: %s", texts(out))
	}
	if h.status(1) != domain.StatusSubmitted {
		t.Fatalf("status %s before the reason", h.status(1))
	}

	out := h.groupSays(reviewerID, "营业执照不清晰")
	if h.status(1) != domain.StatusRejected {
		t.Fatalf("status %s after the reason: %s", h.status(1), texts(out))
	}
	var edited, told bool
	for _, r := range out {
		edited = edited || r.EditMessageID == cardID && strings.Contains(r.Text, "已驳回") && strings.Contains(r.Text, "营业执照不清晰")
		told = told || r.ChatID == chatID && strings.Contains(r.Text, "营业执照不清晰")
	}
	if !edited || !told {
		t.Fatalf("card edited %v, applicant told %v: %s", edited, told, texts(out))
	}
	ds, _ := h.regs.Decisions(context.Background(), 1)
	if len(ds) != 1 || ds[0].ReviewerID != reviewerID || ds[0].Reason != "营业执照不清晰" {
		t.Fatalf("decisions %+v", ds)
	}
	if out := h.groupSays(reviewerID, "好的，已驳回"); len(out) != 0 {
		t.Fatalf("a message after the reason was taken was answered: %s", texts(out))
	}
}

// TestReasonWithoutReplyGuided: when a reviewer's message cannot be told
// to be a reason (two rejections waiting, or the prompt expired), the
// group gets one line saying what to do, and nothing is rejected. A
// reviewer who approves instead, or whose rejection another reviewer
// decided first, is not left with a waiting prompt.
func TestReasonWithoutReplyGuided(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	ctx := context.Background()
	var cards []conversation.Reply
	for i := range 4 {
		a := flaggedApplication()
		a.ChatID, a.Account.LoginName = int64(5000+i), "company"+string(rune('a'+i))
		cards = append(cards, seedApplication(h, a))
	}
	refs := []string{"CQ-TEST-000001", "CQ-TEST-000002", "CQ-TEST-000003", "CQ-TEST-000004"}

	// Two rejections waiting: which one is meant is unknown.
	h.pressOn(reviewerID, cards[0], 401, "驳回")
	prompt2 := h.pressOn(reviewerID, cards[1], 402, "驳回")
	out := h.groupSays(reviewerID, "材料不全")
	if len(out) != 1 || !says(out, "2 个驳回在等待原因") || !says(out, refs[0]) || !says(out, refs[1]) {
		t.Fatalf("two rejections waiting: %s", texts(out))
	}
	if h.status(1) != domain.StatusSubmitted || h.status(2) != domain.StatusSubmitted {
		t.Fatal("an ambiguous message rejected something")
	}
	// A reply to one prompt settles it; the next plain message is then the
	// other's reason.
	if _, err := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核", ReplyToText: prompt2[0].Text, Text: "开户名称不符"}); err != nil {
		t.Fatal(err)
	}
	h.groupSays(reviewerID, "执照过期")
	if h.status(1) != domain.StatusRejected || h.status(2) != domain.StatusRejected {
		t.Fatalf("statuses %s, %s; want both rejected", h.status(1), h.status(2))
	}
	if ds, _ := h.regs.Decisions(ctx, 1); len(ds) != 1 || ds[0].Reason != "执照过期" {
		t.Fatalf("decisions of 1: %+v", ds)
	}

	// Expired: said once, not taken.
	h.pressOn(reviewerID, cards[2], 403, "驳回")
	h.clock.T = h.clock.T.Add(review.DefaultReasonTTL + time.Minute)
	out = h.groupSays(reviewerID, "材料不全")
	if len(out) != 1 || !says(out, refs[2]) || !says(out, "超过 10 分钟") {
		t.Fatalf("expired prompt: %s", texts(out))
	}
	if out := h.groupSays(reviewerID, "材料不全"); len(out) != 0 || h.status(3) != domain.StatusSubmitted {
		t.Fatalf("expired prompt said twice or taken: %s, %s", texts(out), h.status(3))
	}

	// 驳回, then 通过 after all: no prompt is left waiting.
	h.pressOn(reviewerID, cards[2], 403, "驳回")
	h.pressOn(reviewerID, cards[2], 403, "通过")
	if out := h.groupSays(reviewerID, "今天就到这里"); len(out) != 0 || h.status(3) != domain.StatusApproved {
		t.Fatalf("after approving: %s, %s", texts(out), h.status(3))
	}

	// Another reviewer decides first: the late reason is told who did.
	h.pressOn(reviewerID, cards[3], 404, "驳回")
	h.pressOn(otherReviewer, cards[3], 404, "通过")
	if out := h.groupSays(reviewerID, "材料不全"); len(out) != 1 || !says(out, "已由") || h.status(4) != domain.StatusApproved {
		t.Fatalf("a reason after another's decision: %s, %s", texts(out), h.status(4))
	}

	// The store down: nothing said for what may be chatter, the failure returned.
	h.prompts.Down = true
	if out, err := h.desk.Handle(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Text: "x"}); err == nil || len(out) != 0 {
		t.Fatalf("store down: %s, %v", texts(out), err)
	}
}
