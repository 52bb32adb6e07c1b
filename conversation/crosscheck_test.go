package conversation_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// toCreditCode walks a new applicant who picks the catalog enterprise
// found by keyword (its button labelled name) past the password.
func (h *harness) toCreditCode(keyword, name string) {
	h.t.Helper()
	h.toEnterprise(keyword, name)
	h.pressData("login|v:")
	h.press("交易员")
	h.text(validID)
	h.text(platformPW)
	h.text(platformPW)
}

// TestCreditCodeFromTheCatalog: the chosen enterprise's code is shown, not
// asked (register never answers the credit code question), and not flagged.
func TestCreditCodeFromTheCatalog(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	if slices.Contains(h.trail, conversation.StCreditCode) {
		t.Error("the credit code was asked although the catalog has it")
	}
	if !says(h.all, "统一社会信用代码："+validUSCC+"（取自准入目录") {
		t.Error("the catalog's code was not shown")
	}
	app := h.session().App
	if app.Basic.CreditCode != validUSCC || app.Basic.CreditCodeTyped || len(app.Flags()) != 0 {
		t.Fatalf("credit code %q typed %v flags %v", app.Basic.CreditCode, app.Basic.CreditCodeTyped, app.Flags())
	}
}

// TestTypedCreditCodeIsNeverAcceptedSilently: a code the catalog cannot
// vouch for (it has none, or another) or failing its check character is
// confirmed first and flagged; the catalog's own code is taken as it is.
func TestTypedCreditCodeIsNeverAcceptedSilently(t *testing.T) {
	flags := func(h *harness) []domain.Flag { a := h.session().App; return a.Flags() }

	// The catalog has no code: confirmed, then flagged as unchecked.
	h := newHarness(t, conversation.Config{})
	h.toCreditCode("长安某某", "重庆长安某某零部件有限公司")
	h.expectState(conversation.StCreditCode)
	h.text(validUSCC)
	h.expectState(conversation.StCreditOK)
	h.expectSay("准入目录中没有这家企业的信用代码")
	h.press("重新输入")
	h.expectState(conversation.StCreditCode)
	h.text("91500103000000000N") // failing its check character as well
	h.expectSay("校验位不符合国家标准")
	h.expectSay("准入目录中没有这家企业的信用代码")
	h.press("我确认无误")
	h.expectState(conversation.StLegalRep)
	if got := flags(h); !slices.Equal(got, []domain.Flag{domain.FlagCreditCodeChecksum, domain.FlagCreditCodeUnlisted}) {
		t.Fatalf("flags %v", got)
	}

	// The catalog has another code: confirmed, then flagged as a mismatch;
	// or the catalog's taken instead.
	h = newHarness(t, conversation.Config{})
	h.register()
	h.edit(domain.FieldCreditCode)
	h.text("91500103000000000M")
	h.expectState(conversation.StCreditOK)
	h.expectSay("与准入目录中这家企业的代码 " + validUSCC + " 不一致")
	h.press("使用目录中的代码")
	h.expectState(conversation.StSummary)
	if a := h.session().App; a.Basic.CreditCode != validUSCC || len(a.Flags()) != 0 {
		t.Fatalf("after taking the catalog's: %q, flags %v", a.Basic.CreditCode, a.Flags())
	}
	h.edit(domain.FieldCreditCode)
	h.text("９１５００１０３０００００００００Ｍ") // as a Chinese IME types it
	h.press("我确认无误")
	if got := flags(h); !slices.Equal(got, []domain.Flag{domain.FlagCreditCodeMismatch}) {
		t.Fatalf("flags %v", got)
	}
	h.edit(domain.FieldCreditCode)
	h.text(validUSCC) // the catalog's own, typed: taken as it is
	h.expectState(conversation.StSummary)
	if got := flags(h); len(got) != 0 {
		t.Fatalf("the catalog's own code flagged %v", got)
	}

	// The catalog's code fails its check character: asked, and confirmed.
	h = newHarness(t, conversation.Config{})
	h.toCreditCode("旧码", "重庆旧码实业有限公司")
	h.expectState(conversation.StCreditCode)
	h.press("使用目录中的代码 91500103000000000N")
	h.expectState(conversation.StCreditOK)
	h.expectSay("校验位不符合国家标准")
	h.press("我确认无误")
	if got := flags(h); !slices.Equal(got, []domain.Flag{domain.FlagCreditCodeChecksum}) {
		t.Fatalf("flags %v", got)
	}
}

// TestAccountNameDefaultsToTheEnterprise: the enterprise's name is a tap
// (also when it is too long to be a button's data); the same name typed
// with other brackets is the enterprise's; another is confirmed and
// flagged.
func TestAccountNameDefaultsToTheEnterprise(t *testing.T) {
	h := newHarness(t, conversation.Config{CatalogOptional: true})
	long := "重庆市某某某某某某某某某某机械制造股份有限公司（集团）"
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读注册须知并同意条款")
	h.press("电力用户")
	h.text(long)
	h.text("cqjx2025")
	h.text("重庆某某交易员")
	h.text(validID)
	h.text(platformPW)
	h.text(platformPW)
	h.text(validUSCC)
	h.press("我确认无误") // the catalog does not know it
	for _, s := range []string{"张三", "500", "2010-05-20"} {
		h.text(s)
	}
	h.press("长期")
	h.text("通用设备制造业")
	h.press("直接交易用户")
	h.press("确认")
	h.press("渝北区")
	h.text("重庆市渝北区某某路1号")
	h.text("中国工商银行重庆渝北支行")
	h.expectState(conversation.StBankName)
	h.data("bankname|ent")
	h.expectState(conversation.StBankAcct)
	if got := h.session().App.Business.AccountName; got != long {
		t.Fatalf("account name %q", got)
	}
	h.cmd("back")
	h.text(strings.NewReplacer("（", "(", "）", ")").Replace(long)) // half-width brackets
	h.expectState(conversation.StBankAcct)
	if a := h.session().App; a.Business.AccountName != long || len(a.Flags()) != 1 {
		t.Fatalf("account name %q, flags %v", a.Business.AccountName, a.Flags()) // the credit code's flag only
	}

	h.cmd("back")
	h.text("重庆某某贸易有限公司")
	h.expectState(conversation.StBankNameOK)
	h.expectSay("与企业全称“" + long + "”不同")
	h.press("改用企业全称")
	h.expectState(conversation.StBankAcct)
	if a := h.session().App; a.Business.AccountName != long {
		t.Fatalf("account name %q", a.Business.AccountName)
	}
	h.cmd("back")
	h.text("重庆某某贸易有限公司")
	h.press("重新输入")
	h.expectState(conversation.StBankName)
	h.text("重庆某某贸易有限公司")
	h.press("确认使用")
	h.expectState(conversation.StBankAcct)
	if a := h.session().App; a.Business.AccountName != "重庆某某贸易有限公司" || !slices.Contains(a.Flags(), domain.FlagAccountNameMismatch) {
		t.Fatalf("account name %q, flags %v", a.Business.AccountName, a.Flags())
	}
}

// TestEmojiRefusedInNames: every name refuses emoji, saying so, and asks
// again.
func TestEmojiRefusedInNames(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	for _, tc := range []struct {
		f    domain.Field
		st   conversation.State
		name string
	}{
		{domain.FieldLegalRepName, conversation.StLegalRep, "张三😀"},
		{domain.FieldContactPerson, conversation.StContact, "李四👍🏻"},
		{domain.FieldUserName, conversation.StUserName, "重庆某某交易员❤️"},
		{domain.FieldBankAccountName, conversation.StBankName, "重庆某某机械制造有限公司🏭"},
		{domain.FieldBankName, conversation.StBank, "中国工商银行🇨🇳"},
	} {
		h.edit(tc.f)
		h.text(tc.name)
		h.expectSay("表情符号")
		h.expectState(tc.st)
		h.cmd("back")
		h.expectState(conversation.StSummary)
	}

	h = newHarness(t, conversation.Config{CatalogOptional: true})
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读注册须知并同意条款")
	h.press("电力用户")
	h.text("重庆👨‍👩‍👧机械有限公司")
	h.expectSay("表情符号")
	h.expectState(conversation.StEnterprise)
	h.text("重庆某某\u0007机械有限公司")
	h.expectSay("控制字符")
	h.expectState(conversation.StEnterprise)
}

// TestSameFileForBothAttachments: the two attachments are two documents;
// the same file (or the same photo) for both is refused with a reason.
func TestSameFileForBothAttachments(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.edit(domain.FieldLicenceFile)
	h.doc("准入目录副本.pdf", conversationtest.PDF("catalog")) // the catalog file's content
	h.expectSay("完全相同")
	h.expectState(conversation.StAttLicence)
	h.doc("营业执照.pdf", conversationtest.PDF("licence"))
	h.expectState(conversation.StSummary)

	// Photos: the catalog file as a photo, then the same photo as the licence.
	h.edit(domain.FieldCatalogFile)
	h.send(conversation.Input{Kind: conversation.InputPhoto, Document: &conversation.Document{FileID: "p1", Size: int64(len(pngImage(t))), Data: pngImage(t)}})
	h.press("转换为 PDF")
	h.expectState(conversation.StSummary)
	h.edit(domain.FieldLicenceFile)
	h.send(conversation.Input{Kind: conversation.InputPhoto, Document: &conversation.Document{FileID: "p2", Size: int64(len(pngImage(t))), Data: pngImage(t)}})
	h.press("转换为 PDF")
	h.expectSay("完全相同")
	h.expectState(conversation.StAttLicence)
	if app := h.session().App; app.Validate() != nil {
		t.Fatalf("the draft lost a document: %v", app.Validate())
	}
}

// TestReviewCardShowsWhereTheCreditCodeCameFrom: a credit code other than
// the catalog's, or typed with none in the catalog, is a flag on the card,
// as the applicant confirmed it; the catalog's own code is none.
func TestReviewCardShowsWhereTheCreditCodeCameFrom(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.edit(domain.FieldCreditCode)
	h.text("91500103000000000M")
	h.press("我确认无误")
	h.press("提交")
	card := reviewCard(h, h.last)
	if b := flagBlock(card.Text); !strings.Contains(b, "统一社会信用代码 91500103000000000M 与准入目录中该企业的代码 "+validUSCC+" 不一致") {
		t.Errorf("the card does not flag the code other than the catalog's:\n%s", card.Text)
	}

	h = newHarness(t, conversation.Config{})
	h.toCreditCode("长安某某", "重庆长安某某零部件有限公司")
	h.text(validUSCC)
	h.press("我确认无误")
	for _, s := range []string{"张三", "500", "2010-05-20"} {
		h.text(s)
	}
	h.press("长期")
	h.text("通用设备制造业")
	h.press("直接交易用户")
	h.press("确认")
	h.press("渝北区")
	h.text("重庆市渝北区某某路1号")
	h.text("中国工商银行重庆渝北支行")
	h.data("bankname|ent")
	h.text("3100021109024412345")
	h.text("李四")
	h.text("能源主管")
	h.send(conversation.Input{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: "13800138000", UserID: userID}})
	h.text("lisi@example.com")
	h.press("跳过")
	h.press("跳过")
	h.press("同注册地址")
	h.text("401120")
	h.doc("准入目录.pdf", conversationtest.PDF("catalog"))
	h.doc("营业执照.pdf", conversationtest.PDF("licence"))
	h.text(account1)
	h.text(queryPW)
	h.press("9000000101")
	h.press("生成用电单元")
	h.press("大工业用电")
	h.press("非高耗能")
	h.press("没有了")
	h.press("提交")
	card = reviewCard(h, h.last)
	if b := flagBlock(card.Text); !strings.Contains(b, "统一社会信用代码 "+validUSCC+" 由申请人填写，准入目录中没有该企业的代码可供核对") {
		t.Errorf("the card does not flag the code typed without a catalog code:\n%s", card.Text)
	}
}
