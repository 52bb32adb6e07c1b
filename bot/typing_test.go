package bot

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/regbot/regbot/bot/telegramtest"
)

// methods lists the methods of the calls the server got for chat, in
// order.
func methods(s *telegramtest.Server, chat int64) []string {
	var out []string
	for _, c := range s.Calls("") {
		if c.Fields["chat_id"] == strconv.FormatInt(chat, 10) {
			out = append(out, c.Method)
		}
	}
	return out
}

// A step that takes longer than the typing delay shows "typing…" first;
// the reply follows it, never the other way round.
func TestSlowStepShowsTyping(t *testing.T) {
	s := telegramtest.New(t)
	release := make(chan struct{})
	eng := blockingEngine(alice.ID, release)
	b, _ := newBot(t, s, eng)
	b.typingDelay = time.Millisecond
	run(t, b)
	s.SendText(alice, "hello")
	if !s.WaitFor(wait, func() bool { return slices.Contains(methods(s, alice.ID), "sendChatAction") }) {
		close(release)
		t.Fatal("no sendChatAction while the step was running")
	}
	close(release)
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok }) {
		t.Fatal("no reply")
	}
	got := methods(s, alice.ID)
	if i, j := slices.Index(got, "sendChatAction"), slices.Index(got, "sendMessage"); i < 0 || j < i {
		t.Errorf("calls for alice: %v; want sendChatAction before sendMessage", got)
	}
}

// A quick step shows no "typing…", even once the delay has passed after
// the reply.
func TestQuickStepShowsNoTyping(t *testing.T) {
	s := telegramtest.New(t)
	b, _ := newBot(t, s, newEngine())
	b.typingDelay = 50 * time.Millisecond
	fired := make(chan struct{})
	stop := b.typing(t.Context(), alice.ID)
	stop()
	// A timer of the same delay, started after the step's: when it fires,
	// the step's would have too.
	time.AfterFunc(b.typingDelay, func() { close(fired) })
	<-fired
	if calls := s.Calls("sendChatAction"); len(calls) != 0 {
		t.Errorf("sendChatAction after a step that ended at once: %v", calls)
	}
}
