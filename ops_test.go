package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
	"github.com/regbot/regbot/internal/devstack"
)

const opsSecret = "ops-test-secret_0123456789"

func TestOpsConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tg := []string{"TELEGRAM_BOT_TOKEN", "1:x", "REVIEW_CHAT_ID", "-1", "REVIEWER_IDS", "2"}
	with := func(kv ...string) func(string) string { return env(append(append([]string{}, tg...), kv...)...) }
	for _, tt := range []struct {
		name    string
		getenv  func(string) string
		wantErr []string // all must be reported
		check   func(Config) bool
	}{
		{"defaults", env(), nil, func(c Config) bool {
			return c.WebhookURL == "" && c.WebhookListen == ":8443" && c.HTTPListen == "127.0.0.1:9090"
		}},
		{"metrics off", env("HTTP_LISTEN", "off"), nil, func(c Config) bool { return c.HTTPListen == "" }},
		{"webhook", with("WEBHOOK_URL", "https://bot.example.com/tg", "WEBHOOK_SECRET", opsSecret, "WEBHOOK_LISTEN", "0.0.0.0:8080",
			"HTTP_LISTEN", "0.0.0.0:9090"), nil, func(c Config) bool {
			return c.WebhookURL == "https://bot.example.com/tg" && c.WebhookSecret == opsSecret && c.WebhookListen == "0.0.0.0:8080" &&
				c.HTTPListen == "0.0.0.0:9090"
		}},
		{"webhook without secret", with("WEBHOOK_URL", "https://bot.example.com/tg"), []string{"WEBHOOK_SECRET: required"}, nil},
		{"everything wrong at once", env("WEBHOOK_URL", "http://bot.example.com/tg", "WEBHOOK_SECRET", "short!",
			"WEBHOOK_LISTEN", "8443", "HTTP_LISTEN", "nowhere", "LOG_LEVEL", "loud"),
			[]string{"WEBHOOK_URL: want an https", "WEBHOOK_URL: needs TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET: want 16-256",
				"WEBHOOK_LISTEN", "HTTP_LISTEN", "LOG_LEVEL"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(tt.getenv)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want one about %q", err, want)
				}
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.check != nil && !tt.check(cfg) {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, env(), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"WEBHOOK_URL", "WEBHOOK_LISTEN", "WEBHOOK_SECRET", "HTTP_LISTEN", "regbot migrate"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("--help does not mention %s", v)
		}
	}
}

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
	w := newWorld(t)
	w.cfg.WebhookURL = "https://bot.example.test/telegram"
	w.cfg.WebhookListen = "127.0.0.1:0"
	w.cfg.WebhookSecret = opsSecret
	w.cfg.HTTPListen = "127.0.0.1:0"
	w.boot()
	b := w.main.Bot
	if !w.tg.WaitFor(waitTime, func() bool { return b.WebhookAddr() != "" }) {
		t.Fatal("the webhook server is not listening")
	}
	// The bot listens first and then tells Telegram: wait for the call.
	w.tg.WaitFor(waitTime, func() bool { url, _ := w.tg.Webhook(); return url != "" })
	if url, secret := w.tg.Webhook(); url != w.cfg.WebhookURL || secret != opsSecret {
		t.Errorf("setWebhook(%q, %q)", url, secret)
	}
	hook := "http://" + b.WebhookAddr() + "/telegram"

	upd := w.tg.UpdateJSON(w.tg.SendText(w.user, "/start"))
	if code := postUpdate(t, hook, "wrong-secret-0123456789", upd); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", code)
	}
	if _, ok := w.tg.LastMessage(w.user.ID); ok {
		t.Fatal("an update with a wrong secret was handled")
	}
	if code := postUpdate(t, hook, opsSecret, upd); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if m, ok := w.tg.LastMessage(w.user.ID); !ok || !strings.Contains(shown(m), "开始注册") {
		t.Fatalf("the webhook answered before the reply was sent: %+v", m)
	}
	// Telegram redelivers it (say the 200 was lost): answered, no second reply.
	n := len(w.tg.Messages(w.user.ID))
	if code := postUpdate(t, hook, opsSecret, upd); code != http.StatusOK {
		t.Errorf("redelivery: status %d", code)
	}
	if got := len(w.tg.Messages(w.user.ID)); got != n {
		t.Errorf("a redelivered update was answered again: %d messages, want %d", got, n)
	}
	if len(w.tg.Calls("getUpdates")) != 0 {
		t.Error("polling in webhook mode")
	}

	ops := "http://" + w.main.OpsAddr
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
	if strings.Contains(body, w.tg.Token) || strings.Contains(body, `"5001"`) {
		t.Error("/metrics carries the token or a chat id")
	}
}

type fakePinger struct {
	err   error
	delay time.Duration
}

func (p fakePinger) Ping(ctx context.Context) error {
	select {
	case <-time.After(p.delay):
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestReadyz(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name string
		deps map[string]pinger
		code int
		body string
	}{
		{"all up", map[string]pinger{"redis": fakePinger{}, "postgres": fakePinger{}}, 200, "ok"},
		{"redis down", map[string]pinger{"redis": fakePinger{err: errors.New("refused")}, "postgres": fakePinger{}}, 503, "redis"},
		{"postgres hangs", map[string]pinger{"redis": fakePinger{}, "postgres": fakePinger{delay: time.Hour}}, 503, "postgres"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stop, addr, err := serveOps("127.0.0.1:0", opsHandler(metrics.New(), tt.deps, log), log)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			start := time.Now()
			code, body := get(t, "http://"+addr+"/readyz")
			if code != tt.code || !strings.Contains(body, tt.body) {
				t.Errorf("/readyz = %d %q, want %d with %q", code, body, tt.code, tt.body)
			}
			if d := time.Since(start); d > readyTimeout+time.Second {
				t.Errorf("/readyz took %v", d)
			}
			if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
				t.Errorf("/healthz = %d", code)
			}
		})
	}
}

func TestMigrateCommand(t *testing.T) {
	dsn := devstack.MustPostgres(t)
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return dsn
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "up to date") {
		t.Errorf("output %q", out.String())
	}
	if err := run(context.Background(), []string{"migrate"}, func(string) string { return "" }, nil, io.Discard, io.Discard); err == nil {
		t.Error("migrate without DATABASE_URL succeeded")
	}
}
