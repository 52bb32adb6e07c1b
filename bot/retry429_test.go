package bot

import (
	"context"
	"testing"
	"time"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// TestRetryAfter429EveryCall: besides sendMessage (TestRetryAfter429),
// the calls of one private-chat update wait out retry_after too: the
// callback answer, the edit, and the deletion. The question does not wait
// for a deletion held back by a 429: it goes out alongside.
func TestRetryAfter429EveryCall(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.Kind == conversation.InputButton {
			return []conversation.Reply{{Toast: "ok"}, {Text: "edited", EditMessageID: in.MessageID}}, nil
		}
		return []conversation.Reply{{DeleteMessageID: in.MessageID}, {Text: "q", Buttons: [][]conversation.Button{{{Text: "b", Data: "s|b"}}}}}, nil
	}
	startBot(t, s, eng)
	s.FailNext("deleteMessage", 1, 429, 1)
	start := time.Now()
	upd := s.SendText(alice, "secret")
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok }) {
		t.Fatal("no question while deleteMessage waits out a 429")
	}
	if d := s.Deleted(alice.ID); len(d) != 0 {
		t.Errorf("the question waited for the deletion (deleted %v before it)", d)
	}
	if !s.WaitFor(wait, func() bool { return len(s.Deleted(alice.ID)) == 1 }) {
		t.Fatal("not deleted after a 429 on deleteMessage")
	}
	if !contains429(s.Calls("deleteMessage")) || time.Since(start) < 900*time.Millisecond {
		t.Errorf("deleteMessage not retried after retry_after: %+v", s.Calls("deleteMessage"))
	}
	if d := s.Deleted(alice.ID); len(d) != 1 || d[0] != s.UserMessageID(upd) {
		t.Errorf("deleted %v", d)
	}

	m, _ := s.LastMessage(alice.ID)
	s.FailNext("answerCallbackQuery", 1, 429, 1)
	s.FailNext("editMessageText", 1, 429, 1)
	start = time.Now()
	tap := s.Press(alice, m.ID, "s|b")
	if !s.WaitFor(3*wait, func() bool {
		last, _ := s.LastMessage(alice.ID)
		_, answered := s.Answer(tap)
		return answered && last.Text == "edited"
	}) {
		t.Fatal("callback not answered or message not edited after 429s")
	}
	if time.Since(start) < 1800*time.Millisecond {
		t.Errorf("two retry_after of 1 s took only %v", time.Since(start))
	}
	if !contains429(s.Calls("answerCallbackQuery")) || !contains429(s.Calls("editMessageText")) {
		t.Error("a 429 was not seen")
	}
}

func contains429(calls []telegramtest.Call) bool {
	for _, c := range calls {
		if c.ErrorCode == 429 {
			return true
		}
	}
	return false
}
