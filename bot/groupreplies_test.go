package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/review"
)

// The review group's replies to a reviewer's action are stored with the
// notices before the update is confirmed, and sent by the dispatcher.

// reviewingEngine answers /pending with a list and 驳回 with a prompt
// replying to the card pressed, as the desk does.
func reviewingEngine() *fakeEngine {
	eng := newEngine()
	eng.review = func(_ context.Context, in review.Input) ([]conversation.Reply, error) {
		switch {
		case in.Command == "pending":
			return []conversation.Reply{{ChatID: group.ID, Text: "待审核 1 件"}}, nil
		case in.Data == "rv|r|12|3":
			return []conversation.Reply{{Toast: "请填写原因"},
				{ChatID: group.ID, Text: "请填写驳回原因 #R12.3", ForceReply: true, ReplyTo: in.MessageID}}, nil
		}
		return nil, nil
	}
	return eng
}

// TestGroupRepliesStoredBeforeConfirmed: /pending's list is stored (keyed
// by the group's message) while the update is still unconfirmed, then
// sent by the dispatcher; the update delivered again stores nothing more,
// and the list is sent once.
func TestGroupRepliesStoredBeforeConfirmed(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	entered, release := make(chan string, 10), make(chan struct{})
	store.addReplies = func(key string) error {
		entered <- key
		<-release
		return nil
	}
	eng := reviewingEngine()
	b, _ := newBot(t, s, eng, WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1), WithNotices(store, &renderer{}))
	b.notices.setPoll(time.Hour) // only the wake-up sends it
	run(t, b)
	defer close(release)

	id := s.SendText(group, "/pending")
	key := recv(t, entered)
	if want := "m:" + strconv.FormatInt(group.ID, 10) + ":" + strconv.Itoa(s.UserMessageID(id)); key != want {
		t.Errorf("stored under %q, want %q", key, want)
	}
	// While the store is busy the poller keeps asking for this update.
	polls := len(s.Calls("getUpdates"))
	if !s.WaitFor(wait, func() bool { return len(s.Calls("getUpdates")) > polls+1 }) {
		t.Fatal("no poll while the replies were being stored")
	}
	for _, c := range s.Calls("getUpdates") {
		if off, _ := strconv.ParseInt(c.Fields["offset"], 10, 64); off > id {
			t.Fatalf("update %d confirmed (offset %d) before its replies were stored", id, off)
		}
	}
	if n := len(s.Messages(group.ID)); n != 0 {
		t.Fatalf("the group got %d messages before the replies were stored", n)
	}
	release <- struct{}{}
	store.waitFor(t, "the replies sent", func() bool { r := store.replies(); return len(r) == 1 && r[0].done })
	if !s.WaitConfirmed(id, wait) {
		t.Fatal("not confirmed once stored")
	}

	// Delivered again (a crash after storing, before confirming): the
	// desk answers again, nothing more is stored or sent.
	s.Redeliver(id)
	recv(t, eng.reviews) // the first delivery's
	recv(t, eng.reviews)
	recv(t, entered)
	release <- struct{}{}
	store.waitFor(t, "the second AddReplies", func() bool { return store.calls() == 2 })
	if r := store.replies(); len(r) != 1 || !r[0].done {
		t.Errorf("replies notices after the redelivery: %+v; want the one sent", r)
	}
	if msgs := s.Messages(group.ID); len(msgs) != 1 || msgs[0].Text != "待审核 1 件" {
		t.Errorf("group got %+v, want the list once", msgs)
	}
}

// TestFailedHandlingKeepsNoKey: the apology of a handling that failed is
// stored, but not under the update's key: Telegram delivers a failed
// webhook update again, and that delivery's answer must be stored too.
func TestFailedHandlingKeepsNoKey(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	eng := newEngine()
	var calls atomic.Int32
	eng.review = func(context.Context, review.Input) ([]conversation.Reply, error) {
		if calls.Add(1) == 1 {
			return []conversation.Reply{{ChatID: group.ID, Text: "请稍后再试"}}, errors.New("postgres: unavailable")
		}
		return []conversation.Reply{{ChatID: group.ID, Text: "待审核 1 件"}}, nil
	}
	startBot(t, s, eng, WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1), WithNotices(store, &renderer{}))
	id := s.SendText(group, "/pending")
	store.waitFor(t, "the apology stored", func() bool { return len(store.replies()) == 1 })
	s.Redeliver(id)
	store.waitFor(t, "both sent", func() bool { r := store.replies(); return len(r) == 2 && r[0].done && r[1].done })
	if msgs := s.Messages(group.ID); len(msgs) != 2 || msgs[1].Text != "待审核 1 件" {
		t.Errorf("group got %+v, want the apology, then the list", msgs)
	}
}

// TestGroupReplyOutlivesTheProcess: a reason prompt that Telegram holds
// up (429 beyond the lease) when the process stops is sent by the next
// one, once, still replying to the card whose 驳回 was pressed.
func TestGroupReplyOutlivesTheProcess(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	card := s.SendText(group, "seed") // a message of the group to press on
	cardID := s.UserMessageID(card)
	s.FailNextIn("sendMessage", group.ID, 1, 429, 60)

	a, _ := newBot(t, s, reviewingEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1),
		WithNotices(store, &renderer{}), WithDrainTimeout(10*time.Millisecond), WithNoticeLease(2*time.Second))
	stopA := startStoppable(t, a)
	press := s.Press(group, cardID, "rv|r|12|3")
	if _, ok := s.WaitFailed("sendMessage", group.ID, 429, wait); !ok {
		t.Fatal("the prompt was never attempted")
	}
	if !s.WaitConfirmed(press, wait) {
		t.Fatal("the press not confirmed")
	}
	stopA()
	if n := len(sentTo(s, "sendMessage", group.ID)); n != 0 {
		t.Fatalf("the prompt went out before the stop (%d)", n)
	}
	store.expireDelays() // the minute Telegram asked for has passed

	b, _ := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1), WithNotices(store, &renderer{}))
	b.notices.setPoll(20 * time.Millisecond)
	run(t, b)
	store.waitFor(t, "the prompt sent", func() bool { r := store.replies(); return len(r) == 1 && r[0].done })
	msgs := s.Messages(group.ID)
	var prompts []telegramtest.Message
	for _, m := range msgs {
		if strings.Contains(m.Text, "驳回原因") {
			prompts = append(prompts, m)
		}
	}
	if len(prompts) != 1 || !prompts[0].ForcesReply() || prompts[0].ReplyTo != cardID {
		t.Errorf("prompts %+v; want one forced reply to message %d", prompts, cardID)
	}
}

// TestGroupRepliesFromMemoryWhenTheStoreFails: a store that cannot take
// the replies does not silence the bot: they go out from memory, and the
// failure is logged.
func TestGroupRepliesFromMemoryWhenTheStoreFails(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	store.addReplies = func(string) error { return errors.New("postgres: unavailable") }
	_, logs := startBot(t, s, reviewingEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1),
		WithNotices(store, &renderer{}))
	s.SendText(group, "/pending")
	if !s.WaitFor(wait, func() bool { return len(s.Messages(group.ID)) == 1 }) {
		t.Fatal("no list")
	}
	if !strings.Contains(logs.String(), "replies not stored") {
		t.Errorf("the failure was not logged:\n%s", logs.String())
	}
}
