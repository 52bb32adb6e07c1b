package conversation_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
)

// TestTranscripts plays one full registration per language and compares
// what the applicant sees with testdata/transcript.<lang>.txt, so that any
// change of wording or order shows up in review. Regenerate with
// go test ./conversation -run TestTranscripts -update.
func TestTranscripts(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := newHarness(t, conversation.Config{})
			var b strings.Builder
			record := func(what string, out []conversation.Reply) {
				fmt.Fprintf(&b, "> %s\n", what)
				for _, r := range out {
					if r.ChatID != 0 && r.ChatID != chatID {
						continue // the review group has its own tests
					}
					switch {
					case r.DeleteMessageID != 0:
						b.WriteString("(your message is deleted)\n")
					case r.ClearButtonsOf != 0:
						b.WriteString("(buttons of the answered message removed)\n")
					case r.Document != nil:
						fmt.Fprintf(&b, "📎 %s\n", r.Document.FileName)
					case r.Text == "" && r.Toast != "":
						fmt.Fprintf(&b, "(toast) %s\n", r.Toast)
					default:
						if r.EditMessageID != 0 {
							b.WriteString("(edited) ")
						}
						b.WriteString(r.Text + "\n")
						for _, row := range r.Buttons {
							var cells []string
							for _, btn := range row {
								cells = append(cells, "["+btn.Text+"]")
							}
							b.WriteString("  " + strings.Join(cells, " ") + "\n")
						}
						if r.RequestContact {
							b.WriteString("  [📱 share contact]\n")
						}
						for _, row := range r.Keyboard {
							b.WriteString("  keyboard: " + strings.Join(row, " | ") + "\n")
						}
					}
				}
				b.WriteString("\n")
			}
			send := func(in conversation.Input, what string) { record(what, h.send(in)) }
			text := func(s string) { send(conversation.Input{Kind: conversation.InputText, Text: s}, s) }
			press := func(data string) {
				send(conversation.Input{Kind: conversation.InputButton, Data: data, MessageID: h.buttonOn}, "(tap) "+data)
			}
			doc := func(name string) {
				pdf := conversationtest.PDF(name)
				send(conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{
					FileID: "f-" + name, FileName: name, Size: int64(len(pdf)), Data: pdf}}, "(file) "+name)
			}

			send(conversation.Input{Kind: conversation.InputCommand, Command: "start", Text: "/start", LangHint: lang}, "/start")
			press("start|go")
			press("notice|agree")
			press("member|electricity_user")
			text("某某机械")
			press("ent|p:1")
			press("login|v:cqmmjxzzyxgs")
			press("uname|v:重庆某某机械制造有限公司交易员")
			text(validID)
			text(platformPW)
			text(platformPW)
			text("张三")
			text("500")
			text("2010-05-20")
			press("term|open")
			text("通用设备制造业")
			press("utype|direct")
			press("utypeok|yes")
			press("region|r:500112")
			text("重庆市渝北区某某路1号")
			text("中国工商银行重庆渝北支行")
			press("bankname|ent")
			text("3100021109024412345")
			text("李四")
			text("能源主管")
			send(conversation.Input{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: "13800138000", UserID: userID}}, "(contact) 13800138000")
			text("lisi@example.com")
			press("tel|skip")
			press("fax|skip")
			press("mailaddr|same")
			text("401120")
			doc("catalog.pdf")
			doc("licence.pdf")
			text(account1)
			text(queryPW)
			press("points|t:0")
			press("points|t:2")
			press("points|gen")
			press("unittype|large_industrial")
			press("unithe|none")
			press("unittype|general_commercial_industrial")
			press("unithe|30")
			press("more|done")
			press("summary|submit")
			send(conversation.Input{Kind: conversation.InputCommand, Command: "status", Text: "/status"}, "/status")

			file := filepath.Join("testdata", "transcript."+lang+".txt")
			got := b.String()
			if *conversation.Update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from this run; review the change and regenerate with -update", file)
				gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gotLines) && i < len(wantLines); i++ {
					if gotLines[i] != wantLines[i] {
						t.Errorf("first difference at line %d:\n got: %s\nwant: %s", i+1, gotLines[i], wantLines[i])
						break
					}
				}
			}
		})
	}
}
