package conversation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// submitted plays a registration through its submission and returns the
// review group's card (the reply with the decision buttons).
func (h *harness) submitted() conversation.Reply {
	h.t.Helper()
	h.register()
	h.press("提交")
	for _, r := range h.last {
		if r.ChatID == reviewChat && len(r.Buttons) > 0 {
			return r
		}
	}
	h.t.Fatalf("no review card after submitting: %s", texts(h.last))
	return conversation.Reply{}
}

// app returns the stored application of the harness's chat.
func (h *harness) app() *domain.Application {
	h.t.Helper()
	a, err := h.regs.Get(context.Background(), 1)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func TestWithdraw(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.cmd("withdraw")
	h.expectSay("没有可撤回的申请")
	h.expectState(conversation.StStart)

	card := h.submitted()
	h.cmd("withdraw")
	h.expectSay("确定撤回申请")
	h.press("不撤回")
	if st := h.app().Status; st != domain.StatusSubmitted {
		t.Fatalf("declining withdrew it: %s", st)
	}
	h.cmd("withdraw")
	confirm := h.buttons
	h.press("撤回申请")
	h.expectSay("已撤回")
	if st := h.app().Status; st != domain.StatusWithdrawn {
		t.Fatalf("status after withdrawing = %s", st)
	}
	// The review group's card says so and loses its buttons.
	var edited bool
	for _, r := range h.last {
		if r.ChatID == reviewChat && r.EditMessageID != 0 && strings.Contains(r.Text, "撤回") && len(r.Buttons) == 0 {
			edited = true
		}
	}
	if !edited {
		t.Fatalf("the review card was not updated: %+v", h.last)
	}
	// A double tap withdraws nothing more and says why.
	notices := len(h.regs.Notices())
	h.buttons = confirm
	h.press("撤回申请")
	h.expectSay("已不能撤回")
	if n := len(h.regs.Notices()); n != notices {
		t.Errorf("a second tap recorded %d more notices", n-notices)
	}
	// A reviewer pressing the old card's button decides nothing.
	out, err := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "王审核",
		Data: card.Buttons[0][0].Data, MessageID: 55})
	if err != nil || h.app().Status != domain.StatusWithdrawn {
		t.Fatalf("approving a withdrawn application: %s, %v, status %s", texts(out), err, h.app().Status)
	}
	if !says(out, "撤回") {
		t.Errorf("the reviewer is not told it was withdrawn: %s", texts(out))
	}

	h.cmd("status")
	h.expectSay("已撤回")
	h.press("重新注册")
	h.expectState(conversation.StStart)
	h.press("开始注册")
	if s := h.session(); s.ApplicationID != 0 || s.App.ID != 0 {
		t.Errorf("a new registration kept the withdrawn one: %+v", s)
	}
}

func TestWithdrawDecided(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	card := h.submitted()
	if _, err := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "王审核",
		Data: card.Buttons[0][0].Data, MessageID: 55}); err != nil {
		t.Fatal(err)
	}
	h.cmd("withdraw")
	h.expectSay("已不能撤回")
	h.expectSay("已通过")
	h.cmd("delete")
	h.expectSay("不能在此删除")
	if a := h.app(); a.Status != domain.StatusApproved || !a.ErasedAt.IsZero() || a.Contact.Person == "" {
		t.Fatalf("an approved application changed: %s, erased %v", a.Status, a.ErasedAt)
	}
	h.regs.Down = true
	out, err := h.e.Handle(context.Background(), conversation.Input{Kind: conversation.InputCommand, Command: "withdraw",
		UpdateID: 1000, ChatID: chatID, UserID: userID, MessageID: 1000})
	if err != nil || !says(out, "稍后") {
		t.Fatalf("/withdraw with the database down: %s, %v", texts(out), err)
	}
}

func TestMyData(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.cmd("mydata")
	h.expectSay("【注册草稿】无")
	h.expectSay("【已提交的申请】无")

	h.toPassword()
	h.text(platformPW)
	h.text(platformPW)
	h.cmd("mydata")
	h.expectSay("cqmmjxzzyxgs")
	h.expectSay("保存期限")
	if all := texts(h.last); strings.Contains(all, validID) || strings.Contains(all, platformPW) {
		t.Fatalf("/mydata shows the ID number or the password: %s", all)
	}
	h.expectState(conversation.StLegalRep) // and asks the question again
	h.expectSay("法定代表人姓名")

	h = newHarness(t, conversation.Config{})
	h.submitted()
	h.cmd("mydata")
	h.expectSay("【注册草稿】无")
	h.expectSay(h.app().Reference)
	h.expectSay("李四")
}

func TestDeleteSubmittedApplication(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	card := h.submitted()
	ref := h.app().Reference

	// Pending: kept by the exchange, and the chat is told how to withdraw.
	h.cmd("delete")
	h.expectSay("不能在此删除")
	h.expectSay("/withdraw")
	if a := h.app(); a.Contact.Person == "" {
		t.Fatal("/delete erased a pending application")
	}

	prompt, _ := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: card.Buttons[0][1].Data, MessageID: 55})
	if _, err := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核",
		ReplyToText: prompt[0].Text, Text: "营业执照不清晰"}); err != nil {
		t.Fatal(err)
	}
	h.cmd("delete")
	h.expectSay("是否同时删除申请 " + ref)
	h.press("保留")
	if a := h.app(); !a.ErasedAt.IsZero() {
		t.Fatal("declining erased the application")
	}
	h.cmd("delete")
	erase := h.buttons
	h.press("删除个人信息")
	h.expectSay("个人信息已删除")
	a := h.app()
	if a.ErasedAt.IsZero() || a.Contact.Person != "" || a.Contact.Mobile != "" || a.Basic.LegalRepName != "" ||
		a.Attachments != nil || a.Account.LegalRepID.Ciphertext != nil {
		t.Fatalf("personal data left after erasure: %+v", a)
	}
	if a.Reference != ref || a.Status != domain.StatusRejected || a.Basic.EnterpriseName == "" {
		t.Fatalf("erasure lost the record: %+v", a)
	}
	// Again, by command or by the old button: said, nothing more.
	h.cmd("delete")
	h.expectSay("个人信息已删除")
	h.buttons = erase
	h.press("删除个人信息")
	h.expectSay("个人信息已删除")

	h.cmd("mydata")
	h.expectSay("个人信息已删除")
	if strings.Contains(texts(h.last), "李四") {
		t.Fatalf("/mydata shows erased data: %s", texts(h.last))
	}
	// Nothing is left to edit: a new registration is offered, and the
	// old resubmit button leads nowhere.
	h.cmd("status")
	h.expectSay("未通过审核")
	h.data("g|resubmit")
	h.expectState(conversation.StSubmitted)
	h.cmd("status")
	h.press("重新注册")
	h.expectState(conversation.StStart)
}
