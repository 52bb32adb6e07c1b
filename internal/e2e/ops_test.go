package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/regbot/regbot/internal/app"
)

const webhookSecret = "ops-test-secret_0123456789"

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postUpdate(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestWebhookModeEndToEnd boots Main in webhook mode with the operations
// server: Telegram's setWebhook gets the URL and secret, an update posted
// to the webhook is answered 200 only after the reply went out, a wrong
// secret is refused, and /healthz, /readyz and /metrics report it.
func TestWebhookModeEndToEnd(t *testing.T) {
	w := NewWorld(t)
	w.Cfg.WebhookURL = "https://bot.example.test/telegram"
	w.Cfg.WebhookListen = "127.0.0.1:0"
	w.Cfg.WebhookSecret = webhookSecret
	w.Cfg.HTTPListen = "127.0.0.1:0"
	w.Boot()
	b := w.Main.Bot
	if !w.TG.WaitFor(WaitTime, func() bool { return b.WebhookAddr() != "" }) {
		t.Fatal("the webhook server is not listening")
	}
	// The bot listens first and then tells Telegram: wait for the call.
	w.TG.WaitFor(WaitTime, func() bool { url, _ := w.TG.Webhook(); return url != "" })
	if url, secret := w.TG.Webhook(); url != w.Cfg.WebhookURL || secret != webhookSecret {
		t.Errorf("setWebhook(%q, %q)", url, secret)
	}
	hook := "http://" + b.WebhookAddr() + "/telegram"

	upd := w.TG.UpdateJSON(w.TG.SendText(w.User, "/start"))
	if code := postUpdate(t, hook, "wrong-secret-0123456789", upd); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", code)
	}
	if _, ok := w.TG.LastMessage(w.User.ID); ok {
		t.Fatal("an update with a wrong secret was handled")
	}
	if code := postUpdate(t, hook, webhookSecret, upd); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if m, ok := w.TG.LastMessage(w.User.ID); !ok || !strings.Contains(Shown(m), "开始注册") {
		t.Fatalf("the webhook answered before the reply was sent: %+v", m)
	}
	// Telegram redelivers it (say the 200 was lost): answered, no second reply.
	n := len(w.TG.Messages(w.User.ID))
	if code := postUpdate(t, hook, webhookSecret, upd); code != http.StatusOK {
		t.Errorf("redelivery: status %d", code)
	}
	if got := len(w.TG.Messages(w.User.ID)); got != n {
		t.Errorf("a redelivered update was answered again: %d messages, want %d", got, n)
	}
	if len(w.TG.Calls("getUpdates")) != 0 {
		t.Error("polling in webhook mode")
	}

	ops := "http://" + w.Main.OpsAddr
	if code, body := get(t, ops+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get(t, ops+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	code, body := get(t, ops+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`regbot_updates_total{kind="message",result="ok"} 2`,
		`regbot_update_duration_seconds_count{kind="message"} 2`,
		`regbot_telegram_requests_total{method="sendMessage",result="ok"}`,
		`regbot_telegram_requests_total{method="setWebhook",result="ok"} 1`,
		`regbot_redis_command_duration_seconds_count{command="evalsha",result="ok"}`,
		`regbot_postgres_query_duration_seconds_count{result="ok",statement="select"}`,
		`regbot_sessions{state="start"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A chat id would be a label value; the bare digits also turn up in
	// the runtime's figures (1.5001e+06).
	if strings.Contains(body, w.TG.Token) || strings.Contains(body, `"5001"`) {
		t.Error("/metrics carries the token or a chat id")
	}
}

// TestChatRateLimitConfigured: CHAT_RATE_LIMIT reaches the transport.
func TestChatRateLimitConfigured(t *testing.T) {
	w := NewWorld(t)
	w.BotOpts = nil // the world lifts the limit by default
	w.Cfg.ChatLimit = &app.ChatLimit{Rate: 0.001, Burst: 2}
	w.Boot()
	before := w.Snapshot(w.User.ID)
	for range 3 {
		w.TG.SendText(w.User, "/help")
	}
	w.Await(w.User.ID, before, "太快")
}
