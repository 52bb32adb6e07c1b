package conversation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/review"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/i18n"
)

const (
	chatID      = 1001
	userID      = 2002
	reviewChat  = -100500
	reviewerID  = 77
	validID     = "500103197001010011"
	validUSCC   = "91500112MA0000015A"
	account1    = "5000000001"
	account2    = "5000000002"
	queryPW     = "qpw-secret-1"
	platformPW  = "Cq2024!abcd"
	testCatalog = "重庆某某机械制造有限公司"
)

var regions = []domain.Region{
	{Code: "500103", Name: "渝中区", Kind: "市辖区"},
	{Code: "500112", Name: "渝北区", Kind: "市辖区"},
	{Code: "500243", Name: "彭水苗族土家族自治县", Kind: "自治县"},
}

// harness drives an Engine with in-memory ports, like a chat client would.
type harness struct {
	t        *testing.T
	e        *conversation.Engine
	desk     *review.Desk
	sessions *conversationtest.Sessions
	regs     *conversationtest.Registrations
	meter    *conversationtest.MeteringPoints
	files    *conversationtest.Files
	guard    *conversationtest.QueryGuard
	prompts  *conversationtest.ReasonPrompts
	clock    *conversationtest.Clock
	update   int64
	msgID    int
	last     []conversation.Reply // replies of the last input, then the notices it caused
	all      []conversation.Reply // every reply since the test last cleared it
	trail    []conversation.State // the state after each input since the test last cleared it
	direct   []conversation.Reply // replies of the last input only
	buttons  [][]conversation.Button
	buttonOn int // message id the last buttons belong to
}

func newHarness(t *testing.T, cfg conversation.Config) *harness {
	return newHarnessWithSecrets(t, cfg, conversationtest.Secrets{})
}

// newHarnessWithSecrets is newHarness with another Secrets port (the real
// vault, a counting wrapper).
func newHarnessWithSecrets(t *testing.T, cfg conversation.Config, sec conversation.Secrets, deps ...func(*conversation.Deps)) *harness {
	h := &harness{
		t:        t,
		sessions: conversationtest.NewSessions(),
		regs:     conversationtest.NewRegistrations(),
		files:    &conversationtest.Files{},
		guard:    &conversationtest.QueryGuard{},
		clock:    &conversationtest.Clock{T: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
		msgID:    100,
	}
	h.meter = &conversationtest.MeteringPoints{Accounts: map[string]struct {
		Password string
		Points   []domain.MeteringPoint
	}{
		account1: {Password: queryPW, Points: []domain.MeteringPoint{
			{ID: "9000000101", Name: "1号厂房总表", Address: "重庆市渝北区某某路1号", VoltageCode: "AC00101", TariffCategory: "large_industrial"},
			{ID: "9000000102", Name: "2号厂房", Address: "重庆市渝北区某某路1号", VoltageCode: "AC00101", TariffCategory: "large_industrial"},
			{ID: "9000000103", Name: "办公楼", Address: "重庆市渝北区某某路3号", VoltageCode: "AC03802", TariffCategory: "general_commercial_industrial"},
		}},
		account2: {Password: "other-pw", Points: []domain.MeteringPoint{
			{ID: "9000000201", Name: "仓库", Address: "重庆市江北区某某街9号", VoltageCode: "AC00101", TariffCategory: "commercial_industrial"},
		}},
	}}
	catalog := &conversationtest.Catalog{Entries: []domain.CatalogEntry{
		{ID: 1, Name: testCatalog, CreditCode: validUSCC},
		{ID: 2, Name: "重庆某某化工有限公司", CreditCode: "91500103000000000M"},
		{ID: 3, Name: "重庆长安某某零部件有限公司"},
		// An early code failing its check character, kept and flagged by the import.
		{ID: 4, Name: "重庆旧码实业有限公司", CreditCode: "91500103000000000N", CreditCodeFlagged: true},
	}}
	if cfg.Regions == nil {
		cfg.Regions = regions
	}
	if cfg.Messages == nil {
		// A text that cannot be rendered (an unknown key, a placeholder
		// without its value) fails the test that shows it.
		cfg.Messages = i18n.Default().WithReport(func(err error) { t.Error(err) })
	}
	cfg.Now = h.clock.Now
	d := conversation.Deps{
		Sessions: h.sessions, Registrations: h.regs, Catalog: catalog,
		MeteringPoints: h.meter, Files: h.files, Secrets: sec, QueryGuard: h.guard,
	}
	for _, f := range deps {
		f(&d)
	}
	h.e = conversation.New(d, cfg)
	h.prompts = &conversationtest.ReasonPrompts{}
	h.desk = review.New(h.regs, h.sessions, h.regs, h.prompts, review.Config{ReviewChatID: reviewChat, Reviewers: []int64{reviewerID},
		Regions: cfg.Regions, Messages: cfg.Messages, Now: h.clock.Now})
	return h
}

func (h *harness) send(in conversation.Input) []conversation.Reply {
	h.t.Helper()
	h.update++
	in.UpdateID, in.ChatID, in.UserID = h.update, chatID, userID
	if in.MessageID == 0 {
		h.msgID++
		in.MessageID = h.msgID
	}
	out, err := h.e.Handle(context.Background(), in)
	if err != nil {
		h.t.Fatalf("Handle(%v %q): %v", in.Kind, in.Text+in.Data, err)
	}
	h.direct = out
	out = append(out, h.deliver()...)
	h.last = out
	h.all = append(h.all, out...)
	h.trail = append(h.trail, h.state())
	for _, r := range out {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.WebAppURL != "" && b.Text != "" && b.Data == "" {
					continue // opens the Mini App
				}
				if b.Text == "" || b.Data == "" || len(b.Data) > 64 {
					h.t.Errorf("state %s: button %q has data %q (1–64 bytes required)", h.state(), b.Text, b.Data)
				}
			}
		}
	}
	for _, r := range out {
		if r.ChatID != 0 && r.ChatID != chatID {
			continue
		}
		if len(r.Buttons) > 0 {
			h.buttons = r.Buttons
			if r.EditMessageID == 0 {
				h.msgID++
				h.buttonOn = h.msgID
			}
		}
	}
	return out
}

// deliver renders and marks sent the notices recorded since the last
// call, as the transport's dispatcher does after an update.
func (h *harness) deliver() []conversation.Reply {
	h.t.Helper()
	out, err := h.regs.Deliver(context.Background(), h.desk.RenderNotice)
	if err != nil {
		h.t.Fatalf("RenderNotice: %v", err)
	}
	h.recordCards(out)
	return out
}

// recordCards gives the new messages that are review cards a message id
// and records them, as the transport does.
func (h *harness) recordCards(out []conversation.Reply) {
	for _, r := range out {
		if r.CardOf != 0 && r.EditMessageID == 0 && r.Text != "" {
			h.msgID++
			if err := h.regs.AddCard(context.Background(), r.CardOf, r.ChatID, h.msgID); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

// review hands an event of the review group to the desk and returns its
// replies followed by those of the notices it caused.
func (h *harness) review(ctx context.Context, in review.Input) ([]conversation.Reply, error) {
	h.t.Helper()
	out, err := h.desk.Handle(ctx, in)
	h.recordCards(out)
	h.direct = out
	return append(out, h.deliver()...), err
}

func (h *harness) text(s string) []conversation.Reply {
	h.t.Helper()
	return h.send(conversation.Input{Kind: conversation.InputText, Text: s})
}

func (h *harness) cmd(name string) []conversation.Reply {
	h.t.Helper()
	return h.send(conversation.Input{Kind: conversation.InputCommand, Command: name, Text: "/" + name})
}

// press taps the button whose text is label, or else the first whose text
// contains label, among the last buttons.
func (h *harness) press(label string) []conversation.Reply {
	h.t.Helper()
	for _, match := range []func(string, string) bool{func(a, b string) bool { return a == b }, strings.Contains} {
		for _, row := range h.buttons {
			for _, b := range row {
				if match(b.Text, label) {
					return h.send(conversation.Input{Kind: conversation.InputButton, Data: b.Data, MessageID: h.buttonOn})
				}
			}
		}
	}
	h.t.Fatalf("no button %q in %v (state %s)", label, h.buttons, h.state())
	return nil
}

// pressData taps the first of the last buttons whose data starts with prefix.
func (h *harness) pressData(prefix string) []conversation.Reply {
	h.t.Helper()
	for _, row := range h.buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				return h.send(conversation.Input{Kind: conversation.InputButton, Data: b.Data, MessageID: h.buttonOn})
			}
		}
	}
	h.t.Fatalf("no button with data %q… in %v (state %s)", prefix, h.buttons, h.state())
	return nil
}

func (h *harness) data(d string) []conversation.Reply {
	h.t.Helper()
	return h.send(conversation.Input{Kind: conversation.InputButton, Data: d, MessageID: h.buttonOn})
}

func (h *harness) doc(name string, data []byte) []conversation.Reply {
	h.t.Helper()
	return h.send(conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{
		FileID: "file-" + name, FileName: name, MIMEType: "application/pdf", Size: int64(len(data)), Data: data,
	}})
}

func (h *harness) state() conversation.State { return h.sessions.Get(chatID).State }

func (h *harness) session() conversation.Session { return h.sessions.Get(chatID) }

// expectState fails unless the session is in st.
func (h *harness) expectState(st conversation.State) {
	h.t.Helper()
	if got := h.state(); got != st {
		h.t.Fatalf("state = %s, want %s; last replies: %s", got, st, texts(h.last))
	}
}

func texts(rs []conversation.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("[" + r.Text + "]")
	}
	return b.String()
}

// says reports whether some reply contains sub.
func says(rs []conversation.Reply, sub string) bool {
	for _, r := range rs {
		if strings.Contains(r.Text, sub) || strings.Contains(r.Toast, sub) {
			return true
		}
	}
	return false
}

func (h *harness) expectSay(sub string) {
	h.t.Helper()
	if !says(h.last, sub) {
		h.t.Fatalf("replies %s do not contain %q (state %s)", texts(h.last), sub, h.state())
	}
}

// toEnterprise walks a new applicant to the catalog enterprise found by
// keyword, its button labelled name, and picks it.
func (h *harness) toEnterprise(keyword, name string) {
	h.t.Helper()
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读注册须知并同意条款")
	h.press("电力用户")
	h.text(keyword)
	h.press(name)
}

// toLogin walks a new applicant to the login name's question, where the
// form is first offered.
func (h *harness) toLogin() {
	h.t.Helper()
	h.toEnterprise("某某机械", testCatalog)
	h.expectState(conversation.StLogin)
}

// toPassword walks a new applicant to the first password question.
func (h *harness) toPassword() {
	h.t.Helper()
	h.toLogin()
	h.press("cqmmjxzzyxgs")
	h.press("交易员")
	h.text(validID)
	h.expectState(conversation.StPassword)
}

// toAttachments walks a new applicant to the first attachment question.
func (h *harness) toAttachments() {
	h.t.Helper()
	h.toPassword()
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StLegalRep) // the credit code comes from the catalog
	h.text("张三")
	h.text("500")
	h.text("2010-05-20")
	h.press("长期")
	h.text("通用设备制造业")
	h.press("直接交易用户")
	h.press("确认")
	h.press("渝北区")
	h.text("重庆市渝北区某某路1号")
	h.text("中国工商银行重庆渝北支行")
	h.press(testCatalog) // the account's name: the enterprise's
	h.text("3100021109024412345")
	h.text("李四")
	h.text("能源主管")
	h.send(conversation.Input{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: "+86 138 0013 8000", UserID: userID}})
	h.text("lisi@example.com")
	h.text("023-63001234")
	h.press("跳过")
	h.press("同注册地址")
	h.text("401120")
	h.expectState(conversation.StAttCatalog)
}

// toMarketing walks a new applicant to the first marketing account's
// number.
func (h *harness) toMarketing() {
	h.t.Helper()
	h.toAttachments()
	h.doc("准入目录.PDF", conversationtest.PDF("catalog"))
	h.doc("营业执照.pdf", conversationtest.PDF("licence"))
	h.expectState(conversation.StMktAccount)
}

// register plays a complete registration up to the summary.
func (h *harness) register() {
	h.t.Helper()
	h.toMarketing()
	h.text(account1)
	h.text(queryPW)
	h.expectState(conversation.StPoints)
	h.press("9000000101")
	h.press("9000000103")
	h.press("生成用电单元")
	h.press("大工业用电")
	h.press("非高耗能")
	h.press("一般工商业用电")
	h.press("非金属矿物制品业")
	h.expectState(conversation.StMore)
	h.press("没有了")
	h.expectState(conversation.StSummary)
}

// edit opens the question of field f from the summary: 修改, its section,
// its name.
func (h *harness) edit(f domain.Field) {
	h.t.Helper()
	h.expectState(conversation.StSummary)
	h.press("修改")
	h.press(zh("section." + string(f.Section())))
	h.press(zh("field." + string(f)))
}

// zh renders a text in Chinese.
func zh(key string, kv ...any) string { return i18n.Default().T(i18n.Chinese, key, kv...) }
