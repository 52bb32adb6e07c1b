package conversation_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/i18n"
)

// TestMessagesDirWording checks that the engine shows the wording of the
// catalog it is given, including the texts it renders once at New (the
// progress line, the keyboard), so that an override in MESSAGES_DIR
// reaches the chat.
func TestMessagesDirWording(t *testing.T) {
	dir := t.TempDir()
	err := os.WriteFile(filepath.Join(dir, "active.zh.toml"), []byte(`
"notice.accept" = "同意"
"progress" = "【{{.Stage}} {{.Step}}/{{.Steps}}】"
"nav.back" = "⬅️ 返回"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := i18n.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, conversation.Config{Messages: msgs.WithReport(func(err error) { t.Error(err) })})
	h.send(conversation.Input{Kind: conversation.InputCommand, Command: "start", Text: "/start", LangHint: "zh"})
	h.press("开始注册")
	h.press("同意")
	h.press("电力用户")
	var prompt conversation.Reply
	for _, r := range h.last {
		if r.Text != "" {
			prompt = r
		}
	}
	if !strings.HasPrefix(prompt.Text, "【账号信息 3/9】\n") {
		t.Errorf("the question starts %q, want the overridden progress line", strings.SplitN(prompt.Text, "\n", 2)[0])
	}
	if len(prompt.Keyboard) == 0 || prompt.Keyboard[0][0] != "⬅️ 返回" {
		t.Errorf("keyboard %v, want the overridden back button", prompt.Keyboard)
	}
	h.text("⬅️ 返回") // the new label is read as /back
	h.expectState(conversation.StMember)
}
