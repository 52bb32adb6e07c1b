package bot

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// blockingEngine holds the inputs of chat until release is closed, then
// answers "done".
func blockingEngine(chat int64, release <-chan struct{}) *fakeEngine {
	eng := newEngine()
	eng.handle = func(ctx context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.ChatID == chat {
			<-release
		}
		return []conversation.Reply{{Text: "done"}}, nil
	}
	return eng
}

// startHeld starts a polling bot whose engine holds alice's updates until
// unblock is called; the test's cleanup calls it too, before startBot's
// stops the bot (Start waits for the handler).
func startHeld(t *testing.T) (s *telegramtest.Server, eng *fakeEngine, logs *syncBuffer, unblock func()) {
	t.Helper()
	s = telegramtest.New(t)
	release := make(chan struct{})
	eng = blockingEngine(alice.ID, release)
	_, logs = startBot(t, s, eng)
	var once sync.Once
	unblock = func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	return s, eng, logs, unblock
}

func TestPollingConfirmsOnlyHandledUpdates(t *testing.T) {
	s, eng, _, unblock := startHeld(t)

	slow := s.SendText(alice, "slow")
	recv(t, eng.inputs)
	// The poller asks again from alice's unconfirmed update and gets only
	// that one back: bob's, sent after, must still be fetched.
	if !s.WaitFor(wait, func() bool {
		for _, c := range s.Calls("getUpdates") {
			if c.Fields["offset"] == strconv.FormatInt(slow, 10) {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the poller did not ask again")
	}
	fast := s.SendText(bob, "fast")
	recv(t, eng.inputs)
	if !s.WaitFor(wait, func() bool { m, ok := s.LastMessage(bob.ID); return ok && m.Text == "done" }) {
		t.Fatal("bob's update was not handled while alice's was running")
	}
	// Bob's update is handled, alice's is not: neither may be confirmed,
	// since confirming bob's (offset > fast) would confirm alice's too.
	if s.WaitConfirmed(slow, 300*time.Millisecond) {
		t.Fatal("the update was confirmed while its handler was still running")
	}
	unblock()
	if !s.WaitConfirmed(fast, wait) {
		t.Fatal("the updates were not confirmed once handled")
	}
	assertEmpty(t, eng.inputs) // nothing handled twice
}

// A bot that stops before an update is handled (as in a crash) leaves it
// unconfirmed, and the next bot receives it again.
func TestUnhandledUpdateIsDeliveredAgain(t *testing.T) {
	s := telegramtest.New(t)
	release := make(chan struct{})
	engA := blockingEngine(alice.ID, release)
	a, _ := newBot(t, s, engA)
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan error, 1)
	go func() { doneA <- a.Start(ctxA) }()
	t.Cleanup(func() { close(release); <-doneA })

	id := s.SendText(alice, "hello")
	recv(t, engA.inputs)
	stopA() // stops polling; the update is still in the engine

	releaseB := make(chan struct{})
	engB := blockingEngine(alice.ID, releaseB)
	startBot(t, s, engB)
	if got := recv(t, engB.inputs); got.UpdateID != id {
		t.Fatalf("the second bot got update %d, want %d again", got.UpdateID, id)
	}
	// No poll so far confirmed it: the fake sent it again.
	for _, c := range s.Calls("getUpdates") {
		if off, _ := strconv.ParseInt(c.Fields["offset"], 10, 64); off > id {
			t.Errorf("getUpdates asked for offset %d before update %d was handled", off, id)
		}
	}
	close(releaseB)
	if !s.WaitConfirmed(id, wait) {
		t.Error("not confirmed once handled")
	}
}

const testSecret = "s3cret-token_0123456789"

func webhookBot(t *testing.T, s *telegramtest.Server, eng Engine) (*Bot, *httptest.Server) {
	t.Helper()
	b, _ := newBot(t, s, eng, WithWebhook("https://bot.example.test/telegram", "127.0.0.1:0", testSecret))
	srv := httptest.NewServer(b.WebhookHandler())
	t.Cleanup(srv.Close)
	return b, srv
}

func post(t *testing.T, url, secret string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestWebhookRefusesWrongSecret(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	_, srv := webhookBot(t, s, eng)
	upd := s.UpdateJSON(s.SendText(alice, "hi"))
	for _, secret := range []string{"", "wrong", testSecret + "x", strings.ToUpper(testSecret)} {
		if resp := post(t, srv.URL, secret, upd); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, resp.StatusCode)
		}
	}
	time.Sleep(50 * time.Millisecond)
	assertEmpty(t, eng.inputs)
	if resp := post(t, srv.URL, testSecret, upd); resp.StatusCode != http.StatusOK {
		t.Errorf("right secret: status %d", resp.StatusCode)
	}
	recv(t, eng.inputs)
}

func TestWebhookLimitsBody(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	_, srv := webhookBot(t, s, eng)
	big := append([]byte(`{"update_id":1,"message":{"text":"`), bytes.Repeat([]byte("a"), 1<<20)...)
	big = append(big, `"}}`...)
	if resp := post(t, srv.URL, testSecret, big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	if resp := post(t, srv.URL, testSecret, []byte("not json")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage: status %d, want 400", resp.StatusCode)
	}
	assertEmpty(t, eng.inputs)
}

func TestWebhookAnswersAfterTheReply(t *testing.T) {
	s := telegramtest.New(t)
	release := make(chan struct{})
	eng := blockingEngine(alice.ID, release)
	_, srv := webhookBot(t, s, eng)
	upd := s.UpdateJSON(s.SendText(alice, "hi"))
	answered := make(chan int, 1)
	go func() { answered <- post(t, srv.URL, testSecret, upd).StatusCode }()
	recv(t, eng.inputs)
	select {
	case code := <-answered:
		t.Fatalf("answered %d while the engine was still working", code)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case code := <-answered:
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	case <-time.After(wait):
		t.Fatal("no answer")
	}
	if m, ok := s.LastMessage(alice.ID); !ok || m.Text != "done" {
		t.Errorf("the reply was not sent before the webhook answered: %+v", m)
	}
}

func TestWebhookFailureIsRetried(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(ctx context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.Text == "panic" {
			panic("boom")
		}
		return []conversation.Reply{{Text: "请稍后再试"}}, errors.New("redis: down")
	}
	_, srv := webhookBot(t, s, eng)
	for _, text := range []string{"fail", "panic"} {
		if resp := post(t, srv.URL, testSecret, s.UpdateJSON(s.SendText(alice, text))); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500", text, resp.StatusCode)
		}
	}
}

func TestStartWebhook(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(context.Context, conversation.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{{Text: "done"}}, nil
	}
	b, _ := startBot(t, s, eng, WithWebhook("https://bot.example.test/telegram", "127.0.0.1:0", testSecret))
	if !s.WaitFor(wait, func() bool { return b.WebhookAddr() != "" }) {
		t.Fatal("not listening")
	}
	s.WaitFor(wait, func() bool { url, _ := s.Webhook(); return url != "" }) // listens first, then tells Telegram
	if url, secret := s.Webhook(); url != "https://bot.example.test/telegram" || secret != testSecret {
		t.Errorf("webhook = %q, %q", url, secret)
	}
	if resp := post(t, "http://"+b.WebhookAddr()+"/telegram", testSecret, s.UpdateJSON(s.SendText(alice, "hi"))); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	if m, ok := s.LastMessage(alice.ID); !ok || m.Text != "done" {
		t.Errorf("reply %+v", m)
	}
	if n := len(s.Calls("getUpdates")) + len(s.Calls("deleteWebhook")); n != 0 {
		t.Errorf("%d getUpdates/deleteWebhook calls in webhook mode", n)
	}
}

// On shutdown the webhook server stops taking updates but answers the one
// in flight once it is handled.
func TestWebhookShutdownFinishesInFlight(t *testing.T) {
	s := telegramtest.New(t)
	release := make(chan struct{})
	eng := blockingEngine(alice.ID, release)
	b, _ := newBot(t, s, eng, WithWebhook("https://bot.example.test/telegram", "127.0.0.1:0", testSecret))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()
	if !s.WaitFor(wait, func() bool { return b.WebhookAddr() != "" }) {
		t.Fatal("not listening")
	}
	url := "http://" + b.WebhookAddr() + "/telegram"
	answered := make(chan int, 1)
	go func() { answered <- post(t, url, testSecret, s.UpdateJSON(s.SendText(alice, "hi"))).StatusCode }()
	recv(t, eng.inputs)
	cancel()
	// A new update is refused now: 503 (Telegram retries), or no connection.
	time.Sleep(100 * time.Millisecond)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(s.UpdateJSON(s.SendText(bob, "late"))))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", testSecret)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("an update during shutdown got %d", resp.StatusCode)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Start returned (%v) while an update was in flight", err)
	default:
	}
	close(release)
	if code := <-answered; code != http.StatusOK {
		t.Errorf("the in-flight update got %d", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, ok := s.LastMessage(alice.ID); !ok || m.Text != "done" {
		t.Errorf("reply %+v", m)
	}
	assertEmpty(t, eng.inputs)
}

// A hung update holds back the confirmation of later ones, but not their
// arrival: Telegram sends at most 100 updates from the offset, so with
// more than that behind it the poller lets the oldest go (confirms them
// while still handled) to make room, and tells the operator.
func TestHungUpdateDoesNotStopNewerOnes(t *testing.T) {
	s, eng, logs, unblock := startHeld(t)

	slow := s.SendText(alice, "slow")
	recv(t, eng.inputs)
	const others = 2 * pollLimit
	for i := range others {
		s.SendText(telegramtest.Chat{ID: int64(10000 + i), UserID: int64(10000 + i), FirstName: "U"}, "hi")
	}
	for range others {
		if in := recv(t, eng.inputs); in.ChatID == alice.ID {
			t.Fatal("alice's update was handled twice")
		}
	}
	if !strings.Contains(logs.String(), "confirming updates still being handled") {
		t.Error("no warning about updates confirmed while being handled")
	}
	unblock()
	if !s.WaitFor(wait, func() bool { m, ok := s.LastMessage(alice.ID); return ok && m.Text == "done" }) {
		t.Fatal("the hung update was not answered once it ended")
	}
	if !s.WaitConfirmed(slow, wait) {
		t.Fatal("not confirmed")
	}
	assertEmpty(t, eng.inputs)
}

// While an update is held, every getUpdates answers at once with it
// again. Each update that arrived or was handled meanwhile used to set off
// another call, about two per update under a steady stream (the load
// tool's open loop); the poller now asks no more often than every
// minRepoll.
func TestRepollSpacedWhileHeld(t *testing.T) {
	s, eng, _, unblock := startHeld(t)

	s.SendText(alice, "slow")
	recv(t, eng.inputs)
	from := time.Now()
	// A steady stream, one update every 250 µs, each handled at once.
	const others = 100
	chats := make([]telegramtest.Chat, others)
	tick := time.NewTicker(250 * time.Microsecond)
	for i := range chats {
		<-tick.C
		chats[i] = telegramtest.Chat{ID: int64(20000 + i), UserID: int64(20000 + i), FirstName: "U"}
		s.SendText(chats[i], "hi")
	}
	tick.Stop()
	for range others {
		recv(t, eng.inputs)
	}
	if !s.WaitFor(wait, func() bool {
		for _, c := range chats {
			if _, ok := s.LastMessage(c.ID); !ok {
				return false
			}
		}
		return true
	}) {
		t.Fatal("the other chats were not answered")
	}
	to := time.Now()
	// The poller makes one call at a time, so of the calls the server
	// received in [from, to] at most one started before from.
	n := 0
	for _, c := range s.Calls("getUpdates") {
		if !c.At.Before(from) && !c.At.After(to) {
			n++
		}
	}
	if most := int(to.Sub(from)/minRepoll) + 2; n > most {
		t.Errorf("%d getUpdates calls in %v while an update was held, want at most %d (one per %v)",
			n, to.Sub(from).Round(time.Millisecond), most, minRepoll)
	}
	unblock()
}
