package conversation_test

import (
	"context"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
)

// vocabulary is what the fuzzer types: valid answers for every question,
// invalid ones, commands and odd inputs.
var vocabulary = []string{
	"某某机械", "cqmmjx01", "重庆某某公司交易员", validID, "500103197001010010", platformPW, "abc",
	validUSCC, "91500103000000000N", "张三", "500", "2010-05-20", "2099-01-01", "通用设备制造业",
	"渝北", "重庆市渝北区某某路1号", "中国银行", "3100021109024412345", "13800138000", "a@b.cn",
	"023-63001234", "401120", account1, queryPW, "wrong", account2, "other-pw", "",
	"'; DROP TABLE applications; --", "\u202egnp.exe", "😀😀😀", string(make([]byte, 5000)),
}

var commands = []string{"start", "help", "back", "cancel", "status", "lang", "privacy", "delete", "nope"}

// FuzzEngine drives the engine with random sequences of inputs. It must
// never panic or fail, never leave the session in an unknown state, and
// never store an application that does not validate.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 2, 1, 3})
	f.Add([]byte{0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 3, 4, 5, 1, 1, 1})
	f.Add([]byte("a long seed that walks through many buttons and texts alike 0123456789"))
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 400 {
			script = script[:400]
		}
		h := newHarness(t, conversation.Config{})
		ctx := context.Background()
		pdf := conversationtest.PDF("fuzz")
		for i := 0; i+1 < len(script); i += 2 {
			op, arg := script[i], int(script[i+1])
			var in conversation.Input
			switch op % 8 {
			case 0:
				in = conversation.Input{Kind: conversation.InputCommand, Command: commands[arg%len(commands)]}
			case 1, 2: // press one of the current buttons (the likely path)
				var all []conversation.Button
				for _, row := range h.buttons {
					all = append(all, row...)
				}
				if len(all) == 0 {
					continue
				}
				in = conversation.Input{Kind: conversation.InputButton, Data: all[arg%len(all)].Data, MessageID: h.buttonOn}
			case 3, 4:
				in = conversation.Input{Kind: conversation.InputText, Text: vocabulary[arg%len(vocabulary)]}
			case 5:
				data := pdf
				if arg%3 == 0 {
					data = []byte("not a pdf")
				}
				in = conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{FileName: "f.pdf", Size: int64(len(data)), Data: data}}
			case 6:
				in = conversation.Input{Kind: conversation.InputButton, Data: []string{"summary|submit", "g|cont", "g|over", "g|resubmit", "x|y", "points|t:99", "edit|du:9000000101", "edit|ra:" + account1}[arg%8]}
			case 7:
				in = conversation.Input{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: "13800138000", UserID: int64(arg % 2 * userID)}}
			}
			h.send(in)
			s := h.session()
			if !conversation.KnownState(s.State) {
				t.Fatalf("after %v: unknown state %q", in.Kind, s.State)
			}
		}
		for id := int64(1); ; id++ {
			app, err := h.regs.Get(ctx, id)
			if err != nil {
				break
			}
			if err := app.Validate(); err != nil {
				t.Fatalf("stored application %d is invalid: %v", id, err)
			}
		}
	})
}
