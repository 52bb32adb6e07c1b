package bot

import (
	"context"
	"testing"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// An answered question loses its buttons; Send delivers replies no update
// asked for (reminders).
func TestClearButtonsAndSend(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(ctx context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.Kind == conversation.InputButton {
			return []conversation.Reply{{ClearButtonsOf: in.MessageID}, {Text: "next question"}}, nil
		}
		return []conversation.Reply{{Text: "question", Buttons: [][]conversation.Button{{{Text: "yes", Data: "q|yes"}}}}}, nil
	}
	b, _ := startBot(t, s, eng)
	s.SendText(alice, "hi")
	var question telegramtest.Message
	if !s.WaitFor(wait, func() bool {
		m, ok := s.LastMessage(alice.ID)
		question = m
		return ok && len(m.Buttons) == 1
	}) {
		t.Fatal("no question with a button")
	}
	s.Press(alice, question.ID, "q|yes")
	if !s.WaitFor(wait, func() bool {
		for _, m := range s.Messages(alice.ID) {
			if m.ID == question.ID {
				return len(m.Buttons) == 0
			}
		}
		return false
	}) {
		t.Fatal("the answered question kept its buttons")
	}

	b.Send(context.Background(), []conversation.Reply{{ChatID: bob.ID, Text: "您的注册还没有完成", Buttons: [][]conversation.Button{{{Text: "继续", Data: "g|cont"}}}}})
	if !s.WaitFor(wait, func() bool {
		m, ok := s.LastMessage(bob.ID)
		return ok && m.Text == "您的注册还没有完成" && len(m.Buttons) == 1
	}) {
		t.Fatal("reminder not sent")
	}
}
