package conversation_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/regbot/regbot/review"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

func TestFullRegistrationAndApproval(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.expectSay("500***********0011")
	raw := string(h.sessions.Raw(chatID))
	for _, secret := range []string{validID, platformPW, queryPW} {
		if strings.Contains(raw, secret) {
			t.Errorf("stored session contains secret %q", secret)
		}
	}

	h.press("提交")
	h.expectState(conversation.StSubmitted)
	h.expectSay("CQ-TEST-000001")
	var notice *conversation.Reply
	var docs int
	for i, r := range h.last {
		if r.ChatID == reviewChat && r.Text != "" {
			notice = &h.last[i]
		}
		if r.ChatID == reviewChat && r.Document != nil {
			docs++
			if r.Document.FileID == "" || r.Document.BlobKey == "" || !strings.HasSuffix(r.Document.FileName, ".pdf") {
				t.Errorf("review document %+v lacks a file id, blob key or .pdf name", r.Document)
			}
		}
	}
	if notice == nil || len(notice.Buttons) == 0 || !strings.Contains(notice.Text, testCatalog) || !strings.Contains(notice.Text, "9000000103") {
		t.Fatalf("review group notice missing or incomplete: %+v", h.last)
	}
	if docs != 2 {
		t.Errorf("review group got %d documents, want 2", docs)
	}
	app, err := h.regs.Get(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Validate(); err != nil {
		t.Errorf("stored application invalid: %v", err)
	}
	if app.Basic.OrganizationCode() != "MA0000015" || app.Contact.Mobile != "13800138000" || app.Contact.MailingAddress != app.Basic.RegisteredAddress {
		t.Errorf("stored application fields wrong: %+v", app)
	}
	if got := len(app.Units()); got != 2 {
		t.Errorf("units = %d, want 2", got)
	}

	approve := notice.Buttons[0][0]
	ctx := context.Background()
	// Not a reviewer: nothing changes.
	out, err := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: 999, Data: approve.Data, MessageID: 55})
	if err != nil || !says(out, "不是授权审核人员") {
		t.Fatalf("non-reviewer got %s, %v", texts(out), err)
	}
	// Right reviewer, wrong chat: nothing changes.
	out, _ = h.review(ctx, review.Input{ChatID: 12345, ReviewerID: reviewerID, Data: approve.Data})
	if !says(out, "审核群") {
		t.Fatalf("wrong chat got %s", texts(out))
	}
	if a, _ := h.regs.Get(ctx, 1); a.Status != domain.StatusSubmitted {
		t.Fatalf("status changed to %s by an unauthorised tap", a.Status)
	}

	out, err = h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "王审核", Data: approve.Data, MessageID: 55})
	if err != nil {
		t.Fatal(err)
	}
	var edited, told bool
	for _, r := range out {
		if r.ChatID == reviewChat && r.EditMessageID == 55 && len(r.Buttons) == 0 && strings.Contains(r.Text, "王审核") {
			edited = true
		}
		if r.ChatID == chatID && strings.Contains(r.Text, "数字证书") {
			told = true
		}
	}
	if !edited || !told {
		t.Fatalf("approval replies: %s", texts(out))
	}
	// A second tap (or a second reviewer) is told who decided.
	out, _ = h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: approve.Data, MessageID: 55})
	if !says(out, "王审核") {
		t.Fatalf("second approval got %s", texts(out))
	}
	if ds, _ := h.regs.Decisions(ctx, 1); len(ds) != 1 {
		t.Fatalf("decisions = %d, want 1", len(ds))
	}
	h.cmd("status")
	h.expectSay("已审核通过")
}

func TestBadInputGetsClearErrorAndSameQuestion(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读")
	h.press("电力用户")
	h.text("不存在的企业")
	h.expectSay("没有找到")
	h.expectState(conversation.StEnterprise)
	h.text("某某机械")
	h.press(testCatalog)
	h.text("ab")
	h.expectSay("6-20")
	h.expectState(conversation.StLogin)
	h.text("cqmmjx01")
	h.press("交易员")

	// A wrong check digit: the message is deleted, the error explains, the question repeats.
	out := h.text("500103197001010010")
	h.expectState(conversation.StIDNumber)
	h.expectSay("校验位")
	h.expectSay("身份证号码（18 位）")
	if out[0].DeleteMessageID != h.msgID-0 && out[0].DeleteMessageID == 0 {
		t.Fatalf("secret message not deleted: %+v", out[0])
	}
	h.text(validID)
	h.text("abc12345") // no special symbol
	h.expectSay("特殊符号")
	h.expectState(conversation.StPassword)
	h.text(platformPW)
	h.text("Different1!")
	h.expectSay("不一致")
	h.expectState(conversation.StPassword)
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StLegalRep)
	h.text("张三😀")
	h.expectSay("表情符号")
	h.expectState(conversation.StLegalRep)
}

func TestAttachmentAndMarketingErrors(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	// Replace the licence from the summary with a non-PDF, then a broken PDF.
	h.press("修改")
	h.press("附件")
	h.press("营业执照")
	h.expectState(conversation.StAttLicence)
	h.doc("licence.docx", []byte("PK\x03\x04 a word file"))
	h.expectSay("不是 PDF")
	h.expectState(conversation.StAttLicence)
	h.doc("licence.pdf", []byte("%PDF-1.4\ngarbage"))
	h.expectSay("损坏")
	h.send(conversation.Input{Kind: conversation.InputPhoto})
	h.expectSay("PDF") // a photo the transport could not fetch
	// A photo is turned into a PDF once the user agrees.
	h.send(conversation.Input{Kind: conversation.InputPhoto, Document: &conversation.Document{FileID: "photo-1", Size: int64(len(pngImage(t))), Data: pngImage(t)}})
	h.expectState(conversation.StAttLicImg)
	h.press("重新发送")
	h.expectState(conversation.StAttLicence)
	h.doc("执照照片.PNG", pngImage(t))
	h.expectState(conversation.StAttLicImg)
	h.press("转换为 PDF")
	h.expectState(conversation.StSummary)
	h.expectSay("营业执照.pdf") // the document's own name, not the file's
	if s := h.session(); s.App.Attachments[1].FileID != "" || s.App.Attachments[1].Size == 0 || s.App.Attachments[1].Kind != domain.AttachmentLicence {
		at := s.App.Attachments[1]
		t.Fatalf("converted attachment = %+v", at)
	}
	h.press("修改")
	h.press("附件")
	h.press("营业执照")
	h.send(conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{FileName: "big.pdf", Size: domain.MaxAttachmentSize + 1}})
	h.expectSay("10MB")
	h.expectState(conversation.StAttLicence)
	h.doc("新执照.pdf", conversationtest.PDF("new"))
	h.expectState(conversation.StSummary)
	h.expectSay("已收到文件：营业执照.pdf")

	// Add a second marketing account: wrong password, system down, then right.
	h.press("修改")
	h.press("用电单元")
	h.press("添加")
	h.text(account2)
	out := h.text("wrong")
	if out[0].DeleteMessageID == 0 {
		t.Fatal("query password message not deleted")
	}
	h.expectSay("查询密码不正确")
	h.expectState(conversation.StMktPwd)
	h.meter.Down = true
	h.text("other-pw")
	h.expectSay("暂时无法访问")
	h.expectState(conversation.StMktPwd)
	h.meter.Down = false
	h.text("other-pw")
	for _, row := range h.buttons { // nothing ticked yet: nothing to generate
		for _, b := range row {
			if strings.Contains(b.Text, "生成用电单元") {
				t.Fatal("generate offered with no point ticked")
			}
		}
	}
	h.press("仓库")
	h.press("生成用电单元")
	h.press("工商业用电")
	h.press("非高耗能")
	h.press("没有了")
	h.expectState(conversation.StSummary)
	if s := h.session(); len(s.App.Units()) != 3 {
		n := len(s.App.Units())
		t.Fatalf("units = %d, want 3", n)
	}
	raw := string(h.sessions.Raw(chatID))
	for _, pw := range h.meter.Passwords {
		if strings.Contains(raw, pw) {
			t.Errorf("query password %q reached the session store", pw)
		}
	}
}

func TestBackRestartRedeliveryAndDoubleTap(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读")
	h.press("电力用户")
	h.text("某某机械")
	h.press(testCatalog)
	h.text("cqmmjx01")
	h.expectState(conversation.StUserName)
	h.cmd("back")
	h.expectState(conversation.StLogin)
	h.text("cqmmjx02")
	if got := h.session().App.Account.LoginName; got != "cqmmjx02" {
		t.Fatalf("login name after /back = %q", got)
	}

	// A restart: a new engine on the same store continues where the user was.
	h2 := *h
	h2.e = conversation.New(conversation.Deps{Sessions: h.sessions, Registrations: h.regs,
		Catalog: &conversationtest.Catalog{}, MeteringPoints: h.meter, Files: h.files, Secrets: conversationtest.Secrets{}, QueryGuard: h.guard},
		conversation.Config{Regions: regions, Now: h.clock.Now})
	h2.press("交易员")
	h2.expectState(conversation.StIDNumber)

	// A redelivered update changes nothing and answers nothing.
	before := h.session()
	out, err := h.e.Handle(context.Background(), conversation.Input{UpdateID: h2.update, ChatID: chatID, Kind: conversation.InputText, Text: validID})
	if err != nil || out != nil {
		t.Fatalf("redelivery: %v %v", out, err)
	}
	if after := h.session(); after.State != before.State || after.Version != before.Version {
		t.Fatal("redelivered update changed the session")
	}

	// The ID number is applied, then the process dies before replying; the
	// restarted one gets the update again: it deletes the message (it
	// carries a secret) and asks the current question, changing nothing.
	idMsg := h2.msgID + 1
	h2.text(validID)
	h2.expectState(conversation.StPassword)
	want := h2.last[len(h2.last)-1].Text
	before = h.session()
	h.sessions.SetInstance("restarted")
	out, err = h2.e.Handle(context.Background(), conversation.Input{UpdateID: h2.update, ChatID: chatID, Kind: conversation.InputText, Text: validID, MessageID: idMsg})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].DeleteMessageID != idMsg || out[1].Text != want {
		t.Errorf("orphaned update answered %+v; want the deletion of message %d and %q", out, idMsg, want)
	}
	if after := h.session(); after.State != before.State || after.Version != before.Version {
		t.Fatal("orphaned update changed the session")
	}
	// Once the restarted process applied something, older ones are plain
	// duplicates again.
	h2.text("x")
	if out, err := h2.e.Handle(context.Background(), conversation.Input{UpdateID: h2.update - 1, ChatID: chatID, Kind: conversation.InputText, Text: validID}); err != nil || out != nil {
		t.Errorf("older redelivery: %v %v; want nothing", out, err)
	}
}

func TestDoubleTapSubmitCreatesOneApplication(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	submit := h.buttons[0][0]
	h.data(submit.Data)
	h.data(submit.Data) // the second tap finds the button stale
	h.expectSay("过期")
	if n := h.regs.Count(); n != 1 {
		t.Fatalf("applications = %d, want 1", n)
	}
}

func TestSubmitIsIdempotentUnderConcurrentWriter(t *testing.T) {
	// The store's compare-and-set loses once: the engine re-runs the submit
	// on the fresh session, and the repository's key keeps one application.
	h := newHarness(t, conversation.Config{})
	h.register()
	interfered := false
	h.sessions.BeforeSave = func(chat int64) {
		if !interfered && h.regs.Count() == 1 {
			interfered = true
			h.sessions.BeforeSave = nil
			_ = h.sessions.Update(context.Background(), chat, 0, func(s *conversation.Session) error { return nil })
		}
	}
	h.press("提交")
	if !interfered {
		t.Fatal("the concurrent writer never ran")
	}
	h.expectState(conversation.StSubmitted)
	if n := h.regs.Count(); n != 1 {
		t.Fatalf("applications = %d, want 1", n)
	}
	var notices int
	for _, r := range h.last {
		if r.ChatID == reviewChat && len(r.Buttons) > 0 {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf("review notices = %d, want 1", notices)
	}
}

func TestRejectEditResubmit(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	reject := h.submitted().Buttons[0][1]
	ctx := context.Background()
	out, _ := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: reject.Data, MessageID: 77})
	if len(out) != 1 || !out[0].ForceReply {
		t.Fatalf("reject did not ask for a reason: %+v", out)
	}
	out, _ = h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核", ReplyToText: out[0].Text, Text: "x"})
	if !says(out, "太短") {
		t.Fatalf("short reason accepted: %s", texts(out))
	}
	prompt, _ := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: reject.Data, MessageID: 77})
	out, _ = h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核", ReplyToText: prompt[0].Text, Text: "营业执照不清晰"})
	var applicant *conversation.Reply
	for i, r := range out {
		if r.ChatID == chatID {
			applicant = &out[i]
		}
	}
	if applicant == nil || !strings.Contains(applicant.Text, "营业执照不清晰") || len(applicant.Buttons) == 0 {
		t.Fatalf("applicant not told the reason: %s", texts(out))
	}
	h.buttons = applicant.Buttons
	h.press("修改并重新提交")
	h.expectState(conversation.StSummary)
	h.press("修改")
	h.press("附件")
	h.press("营业执照")
	h.doc("清晰执照.pdf", conversationtest.PDF("clear"))
	h.press("提交")
	h.expectState(conversation.StSubmitted)
	app, _ := h.regs.Get(ctx, 1)
	if app.Status != domain.StatusResubmitted || h.regs.Count() != 1 {
		t.Fatalf("status %s, count %d; want resubmitted, 1", app.Status, h.regs.Count())
	}
	if at, _ := app.Attachment(domain.AttachmentLicence); at.FileName != "营业执照.pdf" || at.SHA256 != sha256hex(conversationtest.PDF("clear")) {
		t.Fatalf("licence = %+v", at)
	}
	if !says(h.last, "重新提交的申请") || !says(h.last, "营业执照不清晰") || !says(h.last, "营业执照.pdf（文件已更换）") ||
		!says(h.last, "⚠️ 请重点核对：\n· 驳回后修改了 1 项：营业执照") {
		t.Fatalf("group not told of the resubmission, its last reason and what changed: %s", texts(h.last))
	}
	out, _ = h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Command: "find", Args: "某某机械"})
	if !says(out, "CQ-TEST-000001") {
		t.Fatalf("/find: %s", texts(out))
	}
}

// TestEveryStateAnswersEveryInput walks the registration and, in every
// state, sends each kind of input that state does not expect: each gets a
// reply and leaves the answers as they were.
func TestEveryStateAnswersEveryInput(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	odd := []conversation.Input{
		{Kind: conversation.InputOther},
		{Kind: conversation.InputPhoto},
		{Kind: conversation.InputButton, Data: "nosuchstate|x"},
		{Kind: conversation.InputButton, Data: "g|bogus"},
		{Kind: conversation.InputCommand, Command: "frobnicate"},
		{Kind: conversation.InputCommand, Command: "help"},
		{Kind: conversation.InputCommand, Command: "status"},
		{Kind: conversation.InputCommand, Command: "privacy"},
		{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: "13800138000", UserID: 1}},
	}
	seen := map[conversation.State]bool{}
	probe := func() {
		st := h.state()
		if seen[st] {
			return
		}
		seen[st] = true
		buttons, on := h.buttons, h.buttonOn
		for _, in := range odd {
			before := h.session()
			out := h.send(in)
			if len(out) == 0 {
				t.Errorf("state %s: no reply to %v", st, in.Kind)
			}
			after := h.session()
			if before.State != "" && after.State != before.State {
				t.Errorf("state %s: %v moved to %s", st, in.Kind, after.State)
			}
		}
		h.buttons, h.buttonOn = buttons, on
		h.cmd("lang")
		h.cmd("lang")
		h.buttons, h.buttonOn = buttons, on
	}
	// register() with a probe before every answer.
	steps := []func(){
		func() { h.cmd("start") }, func() { h.press("开始注册") }, func() { h.press("我已阅读") }, func() { h.press("电力用户") },
		// An enterprise without a code in the catalog: the code is typed and confirmed.
		func() { h.text("长安某某") }, func() { h.press("重庆长安某某零部件有限公司") }, func() { h.text("cqmmjx01") }, func() { h.press("交易员") },
		func() { h.text(validID) }, func() { h.text(platformPW) }, func() { h.text(platformPW) }, func() { h.text(validUSCC) }, func() { h.press("我确认无误") },
		func() { h.text("张三") }, func() { h.text("500") }, func() { h.text("2010-05-20") }, func() { h.press("长期") },
		func() { h.text("通用设备制造业") }, func() { h.press("零售用户") }, func() { h.press("确认") }, func() { h.press("渝中区") },
		// An account name other than the enterprise's is confirmed.
		func() { h.text("重庆市渝中区某某路1号") }, func() { h.text("中国银行") }, func() { h.text("重庆长安某某集团") }, func() { h.press("确认使用") }, func() { h.text("123456789") },
		func() { h.text("李四") }, func() { h.text("经理") }, func() { h.text("13800138000") }, func() { h.text("a@b.cn") },
		func() { h.press("跳过") }, func() { h.press("跳过") }, func() { h.press("同注册地址") }, func() { h.text("401120") },
		func() { h.doc("a.pdf", conversationtest.PDF("a")) }, func() { h.doc("b.pdf", conversationtest.PDF("b")) },
		func() { h.text(account1) }, func() { h.text(queryPW) }, func() { h.press("9000000102") }, func() { h.press("生成用电单元") },
		func() { h.press("大工业用电") }, func() { h.press("非高耗能") }, func() { h.press("没有了") }, func() { h.press("提交") },
	}
	for _, s := range steps {
		probe()
		s()
	}
	probe()
	h.expectState(conversation.StSubmitted)
	if len(seen) < 40 {
		t.Errorf("probed %d states, want every state of the flow", len(seen))
	}
}

func TestCancelAndStartOver(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读")
	h.cmd("start")
	h.expectSay("未完成")
	h.press("继续")
	h.expectState(conversation.StMember)
	h.cmd("cancel")
	h.press("放弃注册")
	h.expectState(conversation.StStart)
	if !h.session().App.NoticeAccepted.IsZero() {
		t.Fatal("draft not discarded")
	}
}

func TestCatalogOptionalTypesTheName(t *testing.T) {
	h := newHarness(t, conversation.Config{CatalogOptional: true})
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读")
	h.press("电力用户")
	h.text("ABC")
	h.expectSay("汉字")
	h.text("重庆不在目录里有限公司")
	h.expectState(conversation.StLogin)
}

func TestEnglish(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.send(conversation.Input{Kind: conversation.InputCommand, Command: "start", LangHint: "en-GB"})
	h.expectSay("Hello")
	h.cmd("lang")
	h.expectSay("简体中文")
}

func sha256hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// pngImage is a small PNG, like a photographed page.
func pngImage(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 60, 80))
	for x := 10; x < 50; x++ {
		img.Set(x, 40, color.Gray{Y: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeleteErasesDraftAndFiles(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	if h.files.Len() == 0 {
		t.Fatal("no files stored by the registration")
	}
	h.cmd("delete")
	h.expectSay("已全部删除")
	h.expectState(conversation.StStart)
	if n := h.files.Len(); n != 0 {
		t.Errorf("%d files left after /delete", n)
	}
	if s := h.session(); s.App.Basic.EnterpriseName != "" || !s.App.Account.LegalRepID.IsZero() {
		t.Error("draft data left after /delete")
	}
}

func TestRemind(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	ctx := context.Background()
	if out, err := h.e.Remind(ctx, conversation.Reminder{ChatID: chatID, Kind: conversation.ReminderIdle}); err != nil || out != nil {
		t.Fatalf("reminder without a draft: %v %v", out, err)
	}
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读")
	before := h.session()
	out, err := h.e.Remind(ctx, conversation.Reminder{ChatID: chatID, Kind: conversation.ReminderIdle})
	if err != nil || len(out) != 1 || out[0].ChatID != chatID || !strings.Contains(out[0].Text, "还没有完成") || len(out[0].Buttons) == 0 {
		t.Fatalf("idle reminder: %+v %v", out, err)
	}
	if after := h.session(); after.Version != before.Version {
		t.Fatal("a reminder changed the session")
	}
	h.buttons = out[0].Buttons
	h.press("继续")
	h.expectState(conversation.StMember)
	h.expectSay("市场成员类型")
	out, _ = h.e.Remind(ctx, conversation.Reminder{ChatID: chatID, Kind: conversation.ReminderExpiry})
	if len(out) != 1 || !strings.Contains(out[0].Text, "3 天后") {
		t.Fatalf("expiry warning: %+v", out)
	}
}

func TestWrongQueryPasswordsLockTheAccount(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toNewAccount()
	h.text(account2)
	for i := 1; i <= 4; i++ {
		h.text("wrong")
		h.expectSay("查询密码不正确")
	}
	h.text("wrong")
	h.expectSay("已锁定 1 小时")
	h.expectState(conversation.StMktAccount)
	// Locked across users too: even the right password is not tried now.
	queries := len(h.meter.Passwords)
	h.text(account2)
	h.text("other-pw")
	h.expectSay("已锁定")
	if len(h.meter.Passwords) != queries {
		t.Fatal("a locked account was queried")
	}
}

// lockReadingSessions plays a store that reads the query lock along with
// the session: it sets AccountLocked from locked for GuardedAccount(), or
// leaves it nil when read is false.
type lockReadingSessions struct {
	*conversationtest.Sessions
	read   bool
	locked map[string]bool
}

func (s *lockReadingSessions) Update(ctx context.Context, chatID, updateID int64, fn func(*conversation.Session) error) error {
	return s.Sessions.Update(ctx, chatID, updateID, func(sess *conversation.Session) error {
		if a := sess.GuardedAccount(); a != "" && s.read {
			l := s.locked[a]
			sess.AccountLocked = &l
		}
		return fn(sess)
	})
}

// countingGuard counts the calls of Locked.
type countingGuard struct {
	*conversationtest.QueryGuard
	locked int
}

func (g *countingGuard) Locked(ctx context.Context, account string) (bool, error) {
	g.locked++
	return g.QueryGuard.Locked(ctx, account)
}

// toNewAccount takes a registered applicant to the question for another
// marketing account's number.
func (h *harness) toNewAccount() {
	h.t.Helper()
	h.register()
	h.press("修改")
	h.press("用电单元")
	h.press("添加")
}

// withLockPorts gives h's engine these sessions and guard, the other ports
// staying h's.
func (h *harness) withLockPorts(sessions conversation.SessionStore, guard conversation.QueryGuard) {
	h.e = conversation.New(conversation.Deps{Sessions: sessions, Registrations: h.regs,
		Catalog: &conversationtest.Catalog{}, MeteringPoints: h.meter, Files: h.files, Secrets: conversationtest.Secrets{}, QueryGuard: guard},
		conversation.Config{Regions: regions, Now: h.clock.Now})
}

// A lock that the session store read along with the session is taken as
// is: the guard is not asked, and a locked account is not queried. A store
// that did not read it leaves the guard to tell.
func TestQueryLockReadByTheSessionStore(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toNewAccount()
	h.text(account2)
	h.expectState(conversation.StMktPwd)
	store := &lockReadingSessions{Sessions: h.sessions, read: true, locked: map[string]bool{account2: true}}
	guard := &countingGuard{QueryGuard: h.guard}
	h.withLockPorts(store, guard)

	queries := len(h.meter.Passwords)
	h.text("other-pw")
	h.expectSay("已锁定")
	h.expectState(conversation.StMktAccount)
	if len(h.meter.Passwords) != queries || guard.locked != 0 {
		t.Fatalf("locked by the store's reading: %d queries, %d calls of QueryGuard.Locked; want none",
			len(h.meter.Passwords)-queries, guard.locked)
	}

	// Read as unlocked, the password is tried.
	store.locked[account2] = false
	h.text(account2)
	h.text("other-pw")
	h.expectState(conversation.StPoints)
	if len(h.meter.Passwords) != queries+1 || guard.locked != 0 {
		t.Fatalf("unlocked by the store's reading: %d queries, %d calls of QueryGuard.Locked; want 1 and none",
			len(h.meter.Passwords)-queries, guard.locked)
	}
}

// TestQueryLockFromTheGuard: without the store's reading (the in-memory
// store gives none) the engine asks the guard, each time.
func TestQueryLockFromTheGuard(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toNewAccount()
	guard := &countingGuard{QueryGuard: h.guard}
	store := &lockReadingSessions{Sessions: h.sessions}
	h.withLockPorts(store, guard)
	h.text(account2)
	h.text("wrong")
	h.expectSay("查询密码不正确")
	if guard.locked != 1 {
		t.Fatalf("QueryGuard.Locked called %d times; want 1", guard.locked)
	}
	for range 5 {
		h.guard.Failed(context.Background(), account2)
	}
	queries := len(h.meter.Passwords)
	h.text("other-pw")
	h.expectSay("已锁定")
	if guard.locked != 2 || len(h.meter.Passwords) != queries {
		t.Fatalf("after the guard locked the account: %d calls of Locked, %d queries; want 2 and none",
			guard.locked, len(h.meter.Passwords)-queries)
	}
}

// TestHostileText sends input an attacker or a clumsy client might, at a
// free-text question: each gets an explanation, and nothing is stored.
func TestHostileText(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.press("修改")
	h.press("商务信息")
	h.press("开户银行")
	for _, tc := range []struct{ in, say string }{
		{strings.Repeat("银", 5000), "太长"},
		{"中国\u202e银行", "控制字符"},
		{"中国\x00银行", "控制字符"},
		{"   ", "不能为空"},
		{"中国银行 😀", "表情符号"}, // a bank's name is a name
	} {
		h.text(tc.in)
		h.expectSay(tc.say)
		h.expectState(conversation.StBank)
	}
	// SQL-looking text is just text: stored as typed, harmlessly.
	h.text("中国银行'; DROP TABLE applications; --")
	h.expectState(conversation.StSummary)
	if got := h.session().App.Business.BankName; got != "中国银行'; DROP TABLE applications; --" {
		t.Fatalf("bank name = %q", got)
	}
}

func TestDecisionInTheApplicantsLanguage(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.cmd("lang") // English from here on
	h.press("Submit")
	var approve conversation.Button
	for _, r := range h.last {
		if r.ChatID == reviewChat && len(r.Buttons) > 0 {
			approve = r.Buttons[0][0]
		}
	}
	out, err := h.review(context.Background(), review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: approve.Data, MessageID: 9})
	if err != nil {
		t.Fatal(err)
	}
	if !says(out, "has been approved") {
		t.Fatalf("approval not in English: %s", texts(out))
	}
}

func TestNavigationKeyboard(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.press("修改")
	h.press("联系信息")
	h.press("职务")
	var kb [][]string
	for _, r := range h.last {
		if r.Keyboard != nil {
			kb = r.Keyboard
		}
	}
	if len(kb) != 1 || len(kb[0]) != 3 {
		t.Fatalf("text question without the navigation keyboard: %+v", h.last)
	}
	h.text(kb[0][1]) // 帮助
	h.expectSay("请输入联系人在企业中的职务")
	h.expectState(conversation.StPosition)
	h.text(kb[0][0]) // 上一步: back to the summary the edit came from
	h.expectState(conversation.StSummary)
}

func TestEditUnits(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register() // account1 with units 9000000101 and 9000000103
	h.press("修改")
	h.press("用电单元")
	h.press("删除 9000000103")
	h.expectState(conversation.StEdit)
	if s := h.session(); len(s.App.Units()) != 1 {
		t.Fatalf("units after removing one: %d", len(s.App.Units()))
	}
	// Changing the account number drops its units and queries the new one.
	h.press("更换户号 " + account1)
	h.expectState(conversation.StMktAccount)
	h.text(account2)
	if s := h.session(); len(s.App.Accounts) != 0 {
		t.Fatalf("accounts after changing the number: %+v", s.App.Accounts)
	}
	h.text("other-pw")
	h.press("仓库")
	h.press("生成用电单元")
	h.press("工商业用电")
	h.press("非高耗能")
	h.press("没有了")
	h.expectState(conversation.StSummary)
	s := h.session()
	if len(s.App.Accounts) != 1 || s.App.Accounts[0].Number != account2 || len(s.App.Units()) != 1 {
		t.Fatalf("accounts after the change: %+v", s.App.Accounts)
	}
}

// TestNoticesAreRecordedNotReplied checks that the review group's notice,
// the applicant's decision message and the cards edited after it are not
// immediate replies but notices recorded with the change, rendered by
// RenderNotice when the transport sends them (in the applicant's
// language).
func TestNoticesAreRecordedNotReplied(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.cmd("lang") // the applicant reads English
	h.press("Submit")
	h.expectState(conversation.StSubmitted)
	for _, r := range h.direct {
		if r.ChatID == reviewChat {
			t.Fatalf("submit replied to the review group directly: %s", texts(h.direct))
		}
	}
	ns := h.regs.Notices()
	if len(ns) != 1 || ns[0].Kind != review.NoticeSubmitted || ns[0].ApplicationID != 1 || ns[0].Version != 1 {
		t.Fatalf("notices after submit = %+v, want one submitted for application 1 version 1", ns)
	}
	var approve conversation.Button
	for _, r := range h.last {
		if r.ChatID == reviewChat && len(r.Buttons) > 0 {
			approve = r.Buttons[0][0]
		}
	}
	// The dialogue's redelivered submit records nothing more.
	h.press("Submit")
	if n := len(h.regs.Notices()); n != 1 {
		t.Fatalf("%d notices after a second submit, want 1", n)
	}

	ctx := context.Background()
	out, err := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "王审核", Data: approve.Data, MessageID: 55})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.direct {
		if r.ChatID == chatID || r.ChatID == reviewChat {
			t.Fatalf("the decision replied to the applicant or the group directly: %s", texts(h.direct))
		}
	}
	ns = h.regs.Notices()
	if len(ns) != 3 || ns[1].Kind != review.NoticeDecided || ns[1].Decision.Verdict != domain.VerdictApprove ||
		ns[2].Kind != review.NoticeCards {
		t.Fatalf("notices after the decision = %+v, want the applicant's, decided, and the group's cards", ns)
	}
	var told []string
	for _, r := range out {
		if r.ChatID == chatID {
			told = append(told, r.Text)
		}
	}
	if len(told) != 1 || !strings.Contains(told[0], "has been approved") {
		t.Fatalf("applicant told %q, want one English approval", told)
	}
	// A submission's notice rendered after a decision overtook it says nothing.
	if rs, err := h.desk.RenderNotice(ctx, ns[0]); err != nil || len(rs) != 0 {
		t.Errorf("overtaken submission rendered %s, %v; want nothing", texts(rs), err)
	}
}

// unavailableDocuments cannot check anything while down (its worker
// process cannot start, say), and checks in this process otherwise.
type unavailableDocuments struct{ down bool }

func (d *unavailableDocuments) NewPDFAttachment(_ context.Context, kind domain.AttachmentKind, data []byte) (domain.Attachment, error) {
	if d.down {
		return domain.Attachment{}, &domain.Error{Code: domain.CodeUnavailable, Err: errors.New("checker down")}
	}
	return domain.NewPDFAttachment(kind, data)
}

func (d *unavailableDocuments) ImagesToPDF(_ context.Context, images [][]byte) ([]byte, error) {
	if d.down {
		return nil, &domain.Error{Code: domain.CodeUnavailable, Err: errors.New("checker down")}
	}
	return domain.ImagesToPDF(images)
}

// A file that cannot be checked now is not the applicant's fault: they
// are asked to try again, and a photo waiting to be converted is kept.
func TestDocumentsUnavailable(t *testing.T) {
	docs := &unavailableDocuments{}
	h := newHarnessWithSecrets(t, conversation.Config{}, conversationtest.Secrets{}, func(d *conversation.Deps) { d.Documents = docs })
	h.register()
	docs.down = true
	h.press("修改")
	h.press("附件")
	h.press("营业执照")
	h.expectState(conversation.StAttLicence)
	h.doc("licence.pdf", conversationtest.PDF("licence"))
	h.expectSay("稍后")
	h.expectState(conversation.StAttLicence)

	h.doc("执照照片.png", pngImage(t))
	h.expectState(conversation.StAttLicImg)
	h.press("转换为 PDF")
	h.expectSay("稍后")
	h.expectState(conversation.StAttLicImg)
	if len(h.session().Scratch.Pages) != 1 {
		t.Fatal("the photo waiting to be converted was dropped")
	}
	docs.down = false
	h.press("转换为 PDF")
	h.expectState(conversation.StSummary)
	h.expectSay("营业执照.pdf")
}
