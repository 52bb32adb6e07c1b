package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbot/regbot/review"

	"github.com/regbot/regbot/bot/console"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// TestConsoleRegistration types a whole registration and the approval into
// the console, as a person would, and checks what was stored and said.
func TestConsoleRegistration(t *testing.T) {
	regs := conversationtest.NewRegistrations()
	sessions := conversationtest.NewSessions()
	eng := conversation.New(conversation.Deps{
		Sessions:      sessions,
		Registrations: regs,
		Catalog:       &conversationtest.Catalog{Entries: []domain.CatalogEntry{{ID: 1, Name: "重庆某某机械制造有限公司", CreditCode: "91500112MA0000015A"}}},
		MeteringPoints: &conversationtest.MeteringPoints{Accounts: map[string]struct {
			Password string
			Points   []domain.MeteringPoint
		}{"5000000001": {Password: "123456", Points: []domain.MeteringPoint{
			{ID: "5000000001001", Name: "1号厂房总表", Address: "重庆市渝北区某某路1号", VoltageCode: "AC00101", TariffCategory: "large_industrial"},
		}}}},
		Files:      &conversationtest.Files{},
		Secrets:    conversationtest.Secrets{},
		QueryGuard: &conversationtest.QueryGuard{},
	}, conversation.Config{Regions: []domain.Region{{Code: "500112", Name: "渝北区"}}})
	desk := review.New(regs, sessions, regs, &conversationtest.ReasonPrompts{}, review.Config{ReviewChatID: -1, Reviewers: []int64{1}, Regions: []domain.Region{{Code: "500112", Name: "渝北区"}}})

	dir := t.TempDir()
	pdf := filepath.Join(dir, "执照.PDF")
	if err := os.WriteFile(pdf, conversationtest.PDF("licence"), 0o600); err != nil {
		t.Fatal(err)
	}
	catalogPDF := filepath.Join(dir, "准入目录.pdf") // another document: the same file twice is refused
	if err := os.WriteFile(catalogPDF, conversationtest.PDF("catalog"), 0o600); err != nil {
		t.Fatal(err)
	}
	notPDF := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notPDF, []byte("just some text"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		"#1", "#1", "#1", // start, notice, member type
		"机械", "#1", // catalog search and pick
		"#1", "#1", // suggested login name and user name
		"500103197001010010", // wrong check digit: asked again
		// The ID number, the password twice; the credit code comes from the catalog.
		"500103197001010011", "Cq2024!abcd", "Cq2024!abcd",
		"张三", "500", "2010-05-20", "#1", "通用设备制造业",
		"#1", "#1", // direct-trading user, confirmed
		"#1", "重庆市渝北区某某路1号", "中国工商银行重庆渝北支行", "#1", "3100021109024412345",
		"李四", "能源主管", "@contact 13800138000", "lisi@example.com", "#1", "#1", "#1", "401120",
		"@file " + notPDF, // not a PDF: asked again
		"@file " + catalogPDF, "@file " + pdf,
		"5000000001", "wrong", "123456", // wrong query password, then right
		"#1", "#4", // tick the point, generate (after 全选 / 全不选)
		"#1", "#7", // unit type, not high-energy
		"#2",          // no more accounts: summary
		"/back", "#2", // back to "more accounts", and on to the summary again
		"#1", // submit
		"#1", // the console user, as reviewer, approves in the [审核群]
		"/status",
		"@find 某某机械", // the reviewer looks it up
	}
	var out strings.Builder
	c := console.New(eng, desk, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out, -1)
	c.Notices = regs
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"校验位",                // wrong ID check digit
		"这不是 PDF",            // the JPEG
		"查询密码不正确",            // wrong query password
		"(您刚才的消息已删除",         // secrets deleted
		"500***********0011", // masked in the summary
		"[审核群] 📝 新注册申请 CQ-TEST-000001", // the review group notice
		"📎 营业执照.pdf",                   // with the attachment, under the document's own name
		"已审核通过",                        // the applicant told of the approval, and /status
	} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q", want)
		}
	}
	app, err := regs.Get(context.Background(), 1)
	if err != nil {
		t.Fatalf("no application stored: %v\n%s", err, got)
	}
	if app.Status != domain.StatusApproved || app.Basic.UserType != domain.UserDirect || len(app.Units()) != 1 {
		t.Errorf("stored application: status %s, user type %s, %d units", app.Status, app.Basic.UserType, len(app.Units()))
	}
	if t.Failed() {
		t.Log(got)
	}
}
