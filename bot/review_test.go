package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/review"

	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// groupNotice is a review notice with review buttons, as the engine sends it.
func groupNotice(text string) conversation.Reply {
	return conversation.Reply{ChatID: group.ID, Text: text, Buttons: [][]conversation.Button{{
		{Text: "通过", Data: "rv|a|12|3"}, {Text: "驳回", Data: "rv|r|12|3"},
	}}}
}

// sentTo returns the successful calls of method to chat, oldest first.
func sentTo(s *telegramtest.Server, method string, chat int64) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range s.Calls(method) {
		if c.ErrorCode == 0 && c.Fields["chat_id"] == fmt.Sprint(chat) {
			out = append(out, c)
		}
	}
	return out
}

// spaced is the least gap between two calls the fake server receives that
// shows the bot spaced them by every. The server times a call when it reads
// it, so a call delayed on its way (tens of milliseconds on a busy 2-core
// machine) shortens the gap to the next one by as much; half of every
// still tells spaced calls from a burst, whose calls are about 1 ms apart.
func spaced(every time.Duration) time.Duration { return every / 2 }

func TestReviewButtonsAreSignedAndChecked(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.review = func(_ context.Context, in review.Input) ([]conversation.Reply, error) {
		if in.Command == "pending" {
			return []conversation.Reply{groupNotice("申请 CQ-1")}, nil
		}
		return nil, nil
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	startBot(t, s, eng, WithReviewChatID(group.ID), WithCallbackKey(key))
	s.SendText(group, "/pending")
	recv(t, eng.reviews)
	if !s.WaitFor(wait, func() bool { return len(s.Messages(group.ID)) == 1 }) {
		t.Fatal("no notice")
	}
	notice, _ := s.LastMessage(group.ID)
	approve, reject := notice.Buttons[0][0].Data, notice.Buttons[0][1].Data
	sig := approve[strings.LastIndexByte(approve, '|')+1:]

	// A bot with another key (another deployment, or a guess) signs differently.
	other, _ := newBot(t, telegramtest.New(t), newEngine(), WithReviewChatID(group.ID), WithCallbackKey([]byte("another key of at least 32 bytes!!")))
	flipped := []byte(sig)
	flipped[0] ^= 1
	tests := []struct {
		name     string
		data     string
		want     string
		tampered bool
	}{
		{"genuine approve", approve, "rv|a|12|3", false},
		{"genuine reject", reject, "rv|r|12|3", false},
		{"another application with this signature", "rv|a|13|3|" + sig, "", true},
		{"another version with this signature", "rv|a|12|4|" + sig, "", true},
		{"the reject button's signature on approve", "rv|a|12|3|" + reject[strings.LastIndexByte(reject, '|')+1:], "", true},
		{"altered signature", "rv|a|12|3|" + string(flipped), "", true},
		{"no signature", "rv|a|12|3", "", true},
		{"another key", other.signData("rv|a|12|3"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Press(group, notice.ID, tt.data)
			got := recv(t, eng.reviews)
			if got.Tampered != tt.tampered || !tt.tampered && got.Data != tt.want {
				t.Errorf("pressed %q: engine got Data %q, Tampered %v; want %q, %v", tt.data, got.Data, got.Tampered, tt.want, tt.tampered)
			}
		})
	}
	if n := len(approve); n > 64 {
		t.Errorf("signed data has %d bytes", n)
	}
}

func TestAdministratorsLookedUpAndCached(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng, WithReviewChatID(group.ID), WithReviewAdmins(true))
	s.SetMember(group.ID, group.UserID, "administrator")
	member := group
	member.UserID, member.FirstName = 78, "Max"

	for range 2 {
		s.SendText(group, "/pending")
		if got := recv(t, eng.reviews); !got.IsAdmin {
			t.Errorf("administrator: IsAdmin false")
		}
	}
	s.SendText(member, "/pending")
	if got := recv(t, eng.reviews); got.IsAdmin {
		t.Errorf("plain member: IsAdmin true")
	}
	// A plain message (chatter, or a reason the desk recognises by its
	// writer's waiting rejection) is not looked up.
	chatter := member
	chatter.UserID = 79
	s.SendText(chatter, "lunch?")
	if got := recv(t, eng.reviews); got.Text != "lunch?" || got.IsAdmin {
		t.Errorf("plain message: %+v", got)
	}
	calls := s.Calls("getChatMember")
	if len(calls) != 2 || calls[0].Fields["user_id"] != "77" || calls[0].Fields["chat_id"] != fmt.Sprint(group.ID) {
		t.Errorf("getChatMember calls = %+v; want one per user (cached)", calls)
	}
}

func TestNoAdministratorLookupByDefault(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng, WithReviewChatID(group.ID))
	s.SetMember(group.ID, group.UserID, "creator")
	s.SendText(group, "/pending")
	if got := recv(t, eng.reviews); got.IsAdmin {
		t.Error("IsAdmin set without WithReviewAdmins")
	}
	if n := len(s.Calls("getChatMember")); n != 0 {
		t.Errorf("%d getChatMember calls", n)
	}
}

func TestOutboxSpacesAndOrdersGroupMessages(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	const n = 4
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		var out []conversation.Reply
		for i := range n {
			out = append(out, conversation.Reply{ChatID: group.ID, Text: fmt.Sprintf("%s %d", in.Text, i)})
		}
		return append(out, conversation.Reply{Text: "ok"}), nil
	}
	const every = 150 * time.Millisecond
	startBot(t, s, eng, WithReviewChatID(group.ID), WithReviewRate(rate.Every(every), 1))
	s.SendText(alice, "a")
	s.SendText(bob, "b")
	if !s.WaitFor(wait, func() bool { return len(sentTo(s, "sendMessage", group.ID)) == 2*n }) {
		t.Fatalf("group got %d messages", len(sentTo(s, "sendMessage", group.ID)))
	}
	calls := sentTo(s, "sendMessage", group.ID)
	first := calls[0].Fields["text"][:1] // whichever update's handler enqueued first
	for i, c := range calls {
		prefix := first
		if i >= n {
			prefix = map[string]string{"a": "b", "b": "a"}[first]
		}
		if want := fmt.Sprintf("%s %d", prefix, i%n); c.Fields["text"] != want {
			t.Errorf("group message %d = %q, want %q (in order, one update's after the other's)", i, c.Fields["text"], want)
		}
		if i > 0 {
			if gap := c.At.Sub(calls[i-1].At); gap < spaced(every) {
				t.Errorf("group messages %d and %d only %v apart, want %v", i-1, i, gap, every)
			}
		}
	}
	// The applicants' answers did not wait for the group.
	for _, chat := range []int64{alice.ID, bob.ID} {
		if m := sentTo(s, "sendMessage", chat); len(m) != 1 || !m[0].At.Before(calls[len(calls)-1].At) {
			t.Errorf("chat %d answered %+v, want before the group's last message", chat, m)
		}
	}
}

func TestDefaultGroupRate(t *testing.T) {
	b, _ := newBot(t, telegramtest.New(t), newEngine(), WithReviewChatID(group.ID))
	l := b.outbox.limiter
	// A burst and then a steady rate that together never exceed 20 in a minute.
	if got := float64(l.Burst()) + float64(l.Limit())*60; got > 20.0001 || l.Burst() < 3 {
		t.Errorf("burst %d + 60 s × %v/s = %v messages a minute, want at most 20 with a burst for a notice and its 2 documents",
			l.Burst(), l.Limit(), got)
	}
}

// TestOutbox429 checks both ways a 429 to the group is waited out: within
// the call's own retries, and, when retry_after outlasts the update
// timeout, by the outbox; either way an applicant is answered meanwhile.
func TestOutbox429(t *testing.T) {
	for _, tt := range []struct {
		name    string
		timeout time.Duration
	}{
		{"retried by the call", defaultUpdateTimeout},
		{"retried by the outbox", 500 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.New(t)
			eng := newEngine()
			eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
				if in.Text == "submit" {
					return []conversation.Reply{{Text: "submitted"}, {ChatID: group.ID, Text: "notice"}}, nil
				}
				return []conversation.Reply{{Text: "status"}}, nil
			}
			startBot(t, s, eng, WithReviewChatID(group.ID), WithUpdateTimeout(tt.timeout))
			s.FailNextIn("sendMessage", group.ID, 1, 429, 1)
			s.SendText(alice, "submit")
			if _, ok := s.WaitFailed("sendMessage", 0, 429, wait); !ok {
				t.Fatal("no 429")
			}
			s.SendText(alice, "/status")
			if !s.WaitFor(wait, func() bool { return len(sentTo(s, "sendMessage", alice.ID)) == 2 }) {
				t.Fatal("applicant not answered")
			}
			if n := len(sentTo(s, "sendMessage", group.ID)); n != 0 {
				t.Fatalf("group message sent before retry_after passed (%d)", n)
			}
			if !s.WaitFor(wait, func() bool { return len(sentTo(s, "sendMessage", group.ID)) == 1 }) {
				t.Fatal("group message not delivered after the 429")
			}
			var failed, ok telegramtest.Call
			for _, c := range s.Calls("sendMessage") {
				if c.Fields["chat_id"] == fmt.Sprint(group.ID) {
					if c.ErrorCode == 429 {
						failed = c
					} else {
						ok = c
					}
				}
			}
			if gap := ok.At.Sub(failed.At); gap < 950*time.Millisecond || ok.Fields["text"] != "notice" {
				t.Errorf("retried after %v with %q; want after retry_after (1 s)", gap, ok.Fields["text"])
			}
		})
	}
}

func TestGroupThreads(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{
			{Text: "submitted"},
			groupNotice("新注册申请"),
			{ChatID: group.ID, Document: &conversation.OutDocument{FileID: "gone", BlobKey: "k1", FileName: "准入目录.pdf"}},
			{ChatID: group.ID, Document: &conversation.OutDocument{BlobKey: "k1", FileName: "营业执照.pdf"}},
		}, nil
	}
	eng.review = func(_ context.Context, in review.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{{Toast: "ok"}, {ChatID: group.ID, Text: "原因？ #R12.3.1", ForceReply: true, ReplyTo: in.MessageID}}, nil
	}
	startBot(t, s, eng, WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1))
	s.SendText(alice, "submit")
	if !s.WaitFor(wait, func() bool { return len(s.Messages(group.ID)) == 3 }) {
		t.Fatalf("group has %d messages, want the notice and two documents", len(s.Messages(group.ID)))
	}
	msgs := s.Messages(group.ID)
	if msgs[1].Document == nil || msgs[1].ReplyTo != msgs[0].ID || msgs[2].ReplyTo != msgs[0].ID {
		t.Errorf("documents do not reply to the notice: %+v", msgs)
	}
	s.Press(group, msgs[0].ID, msgs[0].Buttons[0][1].Data)
	if !s.WaitFor(wait, func() bool { return len(s.Messages(group.ID)) == 4 }) {
		t.Fatal("no reason prompt")
	}
	if p := s.Messages(group.ID)[3]; !p.ForcesReply() || p.ReplyTo != msgs[0].ID {
		t.Errorf("reason prompt %+v; want a ForceReply replying to the notice", p)
	}
}

func TestOutboxDrainedOnShutdown(t *testing.T) {
	for _, tt := range []struct {
		name      string
		every     time.Duration
		drain     time.Duration
		delivered int
	}{
		{"within the deadline", 100 * time.Millisecond, wait, 3},
		{"past the deadline", time.Hour, 200 * time.Millisecond, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.New(t)
			eng := newEngine()
			eng.handle = func(context.Context, conversation.Input) ([]conversation.Reply, error) {
				return []conversation.Reply{{ChatID: group.ID, Text: "1"}, {ChatID: group.ID, Text: "2"},
					{ChatID: group.ID, Text: "3"}, {Text: "ok"}}, nil
			}
			b, logs := newBot(t, s, eng, WithReviewChatID(group.ID), WithReviewRate(rate.Every(tt.every), 1), WithDrainTimeout(tt.drain))
			stop := startStoppable(t, b)
			s.SendText(alice, "go")
			if !s.WaitFor(wait, func() bool { return len(sentTo(s, "sendMessage", alice.ID)) == 1 }) {
				t.Fatal("no answer")
			}
			stop()
			if n := len(sentTo(s, "sendMessage", group.ID)); n != tt.delivered {
				t.Errorf("%d group messages delivered before Start returned, want %d", n, tt.delivered)
			}
			if dropped := strings.Contains(logs.String(), "dropped"); dropped != (tt.delivered < 3) {
				t.Errorf("drop logged = %v:\n%s", dropped, logs.String())
			}
		})
	}
}

// TestReviewMessageDecoding: which texts of the review group reach the
// desk. A message in a forum topic replies to the topic's first message,
// which is no reply to anyone: it is a plain message.
func TestReviewMessageDecoding(t *testing.T) {
	b, _ := newBot(t, telegramtest.New(t), newEngine(), WithReviewChatID(group.ID))
	rita := &models.User{ID: 77, FirstName: "Rita"}
	member := &models.User{ID: 78, FirstName: "Max"}
	botUser := &models.User{ID: b.tg.ID(), IsBot: true, FirstName: "regbot"}
	chat := models.Chat{ID: group.ID, Type: models.ChatTypeSupergroup}
	msg := func(text string, replyTo *models.Message) *models.Update {
		return &models.Update{ID: 9, Message: &models.Message{ID: 50, Chat: chat, From: rita, Text: text, ReplyToMessage: replyTo}}
	}
	topic := &models.Message{ID: 2, Chat: chat, From: member, ForumTopicCreated: &models.ForumTopicCreated{Name: "审核"}}
	for _, tt := range []struct {
		name        string
		upd         *models.Update
		want        bool
		replyToText string
	}{
		{"plain", msg("材料不全", nil), true, ""},
		{"reply to the bot", msg("材料不全", &models.Message{ID: 3, Chat: chat, From: botUser, Text: "驳回 #R1.2.3"}), true, "驳回 #R1.2.3"},
		{"reply to a person", msg("是的", &models.Message{ID: 4, Chat: chat, From: member, Text: "午饭？"}), false, ""},
		{"command replying to a person", msg("/pending", &models.Message{ID: 4, Chat: chat, From: member, Text: "午饭？"}), true, ""},
		{"in a forum topic", msg("材料不全", topic), true, ""},
	} {
		ev := b.decode(tt.upd)
		if got := ev.review != nil; got != tt.want {
			t.Errorf("%s: reaches the desk %v, want %v", tt.name, got, tt.want)
			continue
		}
		if ev.review != nil && ev.review.ReplyToText != tt.replyToText {
			t.Errorf("%s: ReplyToText %q, want %q", tt.name, ev.review.ReplyToText, tt.replyToText)
		}
	}
}
