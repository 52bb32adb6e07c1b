package botapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/bot/telegramtest"
)

const testSecret = "s3cret-token_0123456789"

// webhook serves a Webhook whose updates go to dispatch until the test ends.
func webhook(t *testing.T, dispatch Dispatch) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	srv := httptest.NewServer(NewWebhook(testSecret, dispatch, log))
	t.Cleanup(srv.Close)
	return srv
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
	d := newDispatcher(0)
	srv := webhook(t, d.dispatch)
	upd := s.UpdateJSON(s.SendText(alice, "hi"))
	for _, secret := range []string{"", "wrong", testSecret + "x", strings.ToUpper(testSecret)} {
		if resp := post(t, srv.URL, secret, upd); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, resp.StatusCode)
		}
	}
	time.Sleep(50 * time.Millisecond)
	assertEmpty(t, d.received)
	if resp := post(t, srv.URL, testSecret, upd); resp.StatusCode != http.StatusOK {
		t.Errorf("right secret: status %d", resp.StatusCode)
	}
	recv(t, d.received)
}

func TestWebhookLimitsBody(t *testing.T) {
	d := newDispatcher(0)
	srv := webhook(t, d.dispatch)
	big := append([]byte(`{"update_id":1,"message":{"text":"`), bytes.Repeat([]byte("a"), 1<<20)...)
	big = append(big, `"}}`...)
	if resp := post(t, srv.URL, testSecret, big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	if resp := post(t, srv.URL, testSecret, []byte("not json")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage: status %d, want 400", resp.StatusCode)
	}
	assertEmpty(t, d.received)
}

// TestWebhookAnswersTheOutcome: the answer waits for done and says how the
// handling ended; an update not taken (shutdown) is 503.
func TestWebhookAnswersTheOutcome(t *testing.T) {
	s := telegramtest.New(t)
	outcome := make(chan error)
	srv := webhook(t, func(ctx context.Context, upd *models.Update, done func(error)) bool {
		if upd.Message.Text == "closed" {
			return false
		}
		go func() { done(<-outcome) }()
		return true
	})
	for _, c := range []struct {
		text string
		err  error
		want int
	}{
		{"ok", nil, http.StatusOK},
		{"fails", errors.New("redis: down"), http.StatusInternalServerError},
		{"closed", nil, http.StatusServiceUnavailable},
	} {
		answered := make(chan int, 1)
		go func() { answered <- post(t, srv.URL, testSecret, s.UpdateJSON(s.SendText(alice, c.text))).StatusCode }()
		if c.text != "closed" {
			select {
			case code := <-answered:
				t.Fatalf("%s: answered %d before the update was handled", c.text, code)
			case <-time.After(100 * time.Millisecond):
			}
			outcome <- c.err
		}
		select {
		case code := <-answered:
			if code != c.want {
				t.Errorf("%s: status %d, want %d", c.text, code, c.want)
			}
		case <-time.After(wait):
			t.Fatalf("%s: no answer", c.text)
		}
	}
}
