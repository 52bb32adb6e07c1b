package conversation_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// badChecksum is validUSCC with another check character: it fails only
// its checksum.
const badChecksum = "91500112MA0000015B"

// seedApplication stores a submitted application of the harness's chat
// directly, as Submit would have, and delivers its notice; it returns the
// group's card (the notice's message with the buttons).
func seedApplication(h *harness, a *domain.Application) conversation.Reply {
	h.t.Helper()
	if _, _, _, err := h.regs.Submit(context.Background(), fmt.Sprintf("seed-%d", h.regs.Count()), a); err != nil {
		h.t.Fatal(err)
	}
	return reviewCard(h, h.deliver())
}

// reviewCard returns the card among replies: the group's message with the
// decision buttons.
func reviewCard(h *harness, out []conversation.Reply) conversation.Reply {
	h.t.Helper()
	for _, r := range out {
		if r.ChatID == reviewChat && len(r.Buttons) > 0 {
			return r
		}
	}
	h.t.Fatalf("no review card in %s", texts(out))
	return conversation.Reply{}
}

func flaggedApplication() *domain.Application {
	return &domain.Application{
		ChatID: chatID, Status: domain.StatusSubmitted, MemberType: domain.MemberElectricityUser,
		Account: domain.Account{LoginName: "cqmmjxzzyxgs"},
		Basic: domain.Basic{EnterpriseName: testCatalog, CreditCode: badChecksum, CreditCodeFlagged: true,
			UserType: domain.UserDirect, RegionCode: "500112"},
		Business: domain.Business{BankName: "中国工商银行重庆渝北支行", AccountName: "重庆某某机械制造有限公司渝北分公司", AccountNumber: "3100021109024412345"},
		Contact:  domain.Contact{Person: "李四", Position: "能源主管", Mobile: "13800138000", Email: "lisi@example.com"},
		Accounts: []domain.MarketingAccount{{Number: account1, Units: []domain.Unit{{
			MeteringPoint: domain.MeteringPoint{ID: "9000000101", Name: "1号厂房总表", VoltageCode: "AC00101"},
			UnitType:      "large_industrial", HighEnergy: domain.HighEnergyNone}}}},
	}
}

// flagBlock returns the card's block of flags: its heading and the lines
// after it up to the first blank line ("" if there is none).
func flagBlock(text string) string {
	i := strings.Index(text, "⚠️ 请重点核对：")
	if i < 0 {
		return ""
	}
	block, _, _ := strings.Cut(text[i:], "\n\n")
	return block
}

// TestReviewCardFlags: every flag of an application is on its card, in
// one ⚠️ block: the credit code failing its checksum that the applicant
// confirmed, the bank account in another name, and, once it was rejected
// and resubmitted, the fields edited since. /show has the block too, and
// so does the card once decided.
func TestReviewCardFlags(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	ctx := context.Background()

	// An application with nothing to flag has no block.
	clean := flaggedApplication()
	clean.ChatID, clean.Account.LoginName = chatID+1, "cleanco1"
	clean.Basic.CreditCode, clean.Basic.CreditCodeFlagged = validUSCC, false
	clean.Business.AccountName = " 重庆某某机械制造有限公司" // the same name, as typed
	if card := seedApplication(h, clean); strings.Contains(card.Text, "⚠️") {
		t.Fatalf("a card without flags shows a warning:\n%s", card.Text)
	}

	card := seedApplication(h, flaggedApplication())
	block := flagBlock(card.Text)
	for _, want := range []string{
		"统一社会信用代码 " + badChecksum + " 的校验位不符合国家标准，申请人已确认",
		"开户名称“重庆某某机械制造有限公司渝北分公司”与企业名称“重庆某某机械制造有限公司”不一致",
	} {
		if !strings.Contains(block, want) {
			t.Errorf("the card's flags lack %q:\n%s", want, card.Text)
		}
	}
	if strings.Count(card.Text, "⚠️") != 2 || !strings.Contains(card.Text, badChecksum+" ⚠️") {
		t.Errorf("want the code marked ⚠️ and one block of flags:\n%s", card.Text)
	}
	if strings.Contains(block, "驳回后修改") {
		t.Errorf("a first submission flags edits:\n%s", card.Text)
	}
	app, err := h.regs.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}

	// Rejected, then resubmitted with another e-mail and another unit type.
	prompt, _ := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: card.Buttons[0][1].Data, MessageID: 500})
	if _, err := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核",
		ReplyToText: prompt[0].Text, Text: "开户名称与企业名称不一致"}); err != nil {
		t.Fatal(err)
	}
	app, _ = h.regs.Get(ctx, app.ID)
	if app.Status != domain.StatusRejected {
		t.Fatalf("status %s after the rejection", app.Status)
	}
	app.Status = domain.StatusResubmitted
	app.Contact.Email = "li.si@example.cn"
	app.Accounts[0].Units[0].UnitType = "general_commercial_industrial"
	if _, _, _, err := h.regs.Submit(ctx, "resubmission", app); err != nil {
		t.Fatal(err)
	}
	card = reviewCard(h, h.deliver())
	block = flagBlock(card.Text)
	for _, want := range []string{"校验位不符合国家标准", "与企业名称“重庆某某机械制造有限公司”不一致", "驳回后修改了 2 项：电子邮箱、用电单元"} {
		if !strings.Contains(block, want) {
			t.Errorf("the resubmission's flags lack %q:\n%s", want, card.Text)
		}
	}
	if !strings.Contains(card.Text, "与驳回时相比的修改：") {
		t.Errorf("the resubmission lost its changes:\n%s", card.Text)
	}

	out, _ := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Command: "show", Args: strconv.FormatInt(app.ID, 10)})
	if !strings.Contains(flagBlock(texts(out)), "驳回后修改了 2 项") || !strings.Contains(flagBlock(texts(out)), "开户名称") {
		t.Errorf("/show lacks the flags: %s", texts(out))
	}

	// Approved: the edited card keeps its flags.
	out, _ = h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核", Data: card.Buttons[0][0].Data, MessageID: 501})
	edited := false
	for _, r := range out {
		if r.EditMessageID != 0 && strings.Contains(r.Text, "已通过") {
			edited = true
			if b := flagBlock(r.Text); !strings.Contains(b, "驳回后修改了 2 项") || !strings.Contains(b, "校验位") {
				t.Errorf("the decided card lost its flags:\n%s", r.Text)
			}
		}
	}
	if !edited {
		t.Fatalf("no card edited after the approval: %s", texts(out))
	}
}

// TestCatalogFlaggedCodeIsDoubtedToTheApplicant: a catalog entry whose
// code fails its check character warns the applicant at the credit-code
// question, and the code taken from it is flagged for the reviewers.
func TestCatalogFlaggedCodeIsDoubtedToTheApplicant(t *testing.T) {
	h := newHarnessWithSecrets(t, conversation.Config{}, conversationtest.Secrets{}, func(d *conversation.Deps) {
		d.Catalog = &conversationtest.Catalog{Entries: []domain.CatalogEntry{
			{ID: 1, Name: testCatalog, CreditCode: badChecksum, CreditCodeFlagged: true},
		}}
	})
	h.toPassword()
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StCreditCode)
	h.expectSay("准入目录中该企业的代码 " + badChecksum + " 未通过国家标准校验位检查")
	h.press("使用目录中的代码")
	h.expectState(conversation.StCreditOK)
	h.press("我确认无误")
	h.expectState(conversation.StLegalRep)
	if s := h.session(); s.App.Basic.CreditCode != badChecksum || !s.App.Basic.CreditCodeFlagged {
		t.Fatalf("basic info after the catalog's flagged code: %+v", s.App.Basic)
	}
}
