package bot

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/bot/telegramtest"
)

func TestChatRateLimit(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	b, _ := startBot(t, s, eng, WithChatRate(rate.Every(time.Hour), 3), WithReviewChatID(group.ID))

	var last int64
	for i := range 6 {
		last = s.SendText(alice, strings.Repeat("x", i+1))
	}
	for range 3 {
		recv(t, eng.inputs)
	}
	if !s.WaitConfirmed(last, wait) {
		t.Fatal("the flood was not confirmed")
	}
	waitIdle(t, b)
	assertEmpty(t, eng.inputs)
	msgs := s.Messages(alice.ID)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "太快") {
		t.Fatalf("alice got %d messages, want one polite notice: %+v", len(msgs), msgs)
	}

	// A button tap while limited is answered, so the client stops spinning.
	tap := s.Press(alice, msgs[0].ID, "g|x")
	if !s.WaitFor(wait, func() bool { _, ok := s.Answer(tap); return ok }) {
		t.Fatal("callback query of a limited chat not answered")
	}
	if text, _ := s.Answer(tap); !strings.Contains(text, "太快") {
		t.Errorf("toast = %q", text)
	}
	assertEmpty(t, eng.inputs)
	if n := len(s.Messages(alice.ID)); n != 1 {
		t.Errorf("alice got %d messages, want still one notice", n)
	}

	// Other chats and the review group are not held back; English users
	// are told in English.
	bobBefore := len(s.Messages(bob.ID))
	for range 5 {
		s.SendText(group, "/pending")
	}
	for range 5 {
		recv(t, eng.reviews)
	}
	for range 4 {
		s.SendText(bob, "hi")
	}
	for range 3 {
		if in := recv(t, eng.inputs); in.ChatID != bob.ID {
			t.Fatalf("input of chat %d", in.ChatID)
		}
	}
	if !s.WaitFor(wait, func() bool { return len(s.Messages(bob.ID)) == bobBefore+1 }) {
		t.Fatal("bob not told")
	}
	if m, _ := s.LastMessage(bob.ID); !strings.Contains(m.Text, "too quickly") {
		t.Errorf("bob's notice = %q", m.Text)
	}
}

func TestChatLimitsEvictIdleChats(t *testing.T) {
	l := newChatLimits(rate.Every(time.Second), 2)
	now := time.Now()
	for i := range maxLimitedChats {
		l.allow(int64(i), now)
	}
	l.allow(-1, now.Add(time.Minute)) // all others are full again
	if n := len(l.chats); n != 1 {
		t.Errorf("%d limiters kept, want 1", n)
	}
}

// TestChatLimitCountsLikeRateLimiter: the by-value bucket allows exactly
// what a rate.Limiter of the same limit and burst allows, over a fixed
// pseudo-random run of bursts and pauses.
func TestChatLimitCountsLikeRateLimiter(t *testing.T) {
	for _, lb := range []struct {
		limit rate.Limit
		burst int
	}{{1, 30}, {0.5, 3}, {10, 1}, {0, 2}} {
		l := newChatLimits(lb.limit, lb.burst)
		ref := rate.NewLimiter(lb.limit, lb.burst)
		rnd := rand.New(rand.NewPCG(1, 2))
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		for i := range 5000 {
			if rnd.IntN(4) == 0 {
				now = now.Add(time.Duration(rnd.IntN(3000)) * time.Millisecond)
			} else {
				now = now.Add(time.Duration(rnd.IntN(50)) * time.Millisecond)
			}
			got, _ := l.allow(7, now)
			if want := ref.AllowN(now, 1); got != want {
				t.Fatalf("limit %v burst %d, event %d at %v: allowed %v, rate.Limiter %v", lb.limit, lb.burst, i, now, got, want)
			}
		}
	}
}

// TestDroppedSecretIsDeleted: a message dropped because its chat is over
// the limit never reaches the engine, which deletes messages that carry a
// secret; so the limiter deletes one that looks like a secret (an ID
// number typed full-width and grouped, a password) and leaves the others.
func TestDroppedSecretIsDeleted(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	b, _ := startBot(t, s, eng, WithChatRate(rate.Every(time.Hour), 1), WithReviewChatID(group.ID))
	s.SendText(alice, "first")
	recv(t, eng.inputs)
	dropped := map[string]bool{ // text → whether it must be deleted
		"５００１０３ １９７００１ ０１００１１": true,
		"500103-19700101-0011":       true,
		"Cq2024!abcd":                true,
		"重庆江北精工机械有限公司":               false,
		"好的":                         false,
		"what do I type here please": false,
	}
	ids := map[string]int64{}
	var last int64
	for text := range dropped {
		last = s.SendText(alice, text)
		ids[text] = last
	}
	if !s.WaitConfirmed(last, wait) {
		t.Fatal("the dropped updates were not confirmed")
	}
	waitIdle(t, b)
	assertEmpty(t, eng.inputs)
	gone := map[int]bool{}
	for _, id := range s.Deleted(alice.ID) {
		gone[id] = true
	}
	for text, secret := range dropped {
		if got := gone[s.UserMessageID(ids[text])]; got != secret {
			t.Errorf("%q: deleted %v, want %v", text, got, secret)
		}
	}
}

// TestInterval: the shared bucket's interval for any rate the setting
// accepts is positive and bounded; a tiny rate does not overflow into a
// negative interval that would lift the limit.
func TestInterval(t *testing.T) {
	for _, tc := range []struct {
		limit rate.Limit
		want  time.Duration
	}{
		{1, time.Second},
		{1e6, time.Microsecond},
		{1e9, time.Microsecond},
		{rate.Inf, time.Microsecond},
		{1.0 / 3600, time.Hour},
		{1e-12, 24 * time.Hour},
		{1e-300, 24 * time.Hour},
	} {
		if got := interval(tc.limit); got != tc.want {
			t.Errorf("interval(%g) = %v; want %v", float64(tc.limit), got, tc.want)
		}
	}
}
