package bot

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
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
