package bot

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// TestWebAppButton: a button with a Mini App's address is sent as a
// web_app button, beside the callback buttons.
func TestWebAppButton(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(context.Context, conversation.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{{Text: "登录名？", Buttons: [][]conversation.Button{
			{{Text: "cqmmgs", Data: "login|v:cqmmgs"}},
			{{Text: "📝 用表单填写", WebAppURL: "https://bot.example.test/webapp/"}},
		}}}, nil
	}
	startBot(t, s, eng)
	s.SendText(alice, "hi")
	var m telegramtest.Message
	if !s.WaitFor(wait, func() bool { var ok bool; m, ok = s.LastMessage(alice.ID); return ok && len(m.Buttons) == 2 }) {
		t.Fatalf("no message with two rows of buttons: %+v", m)
	}
	if b := m.Buttons[1][0]; b.WebAppURL != "https://bot.example.test/webapp/" || b.Data != "" {
		t.Errorf("web_app button = %+v", b)
	}
	if b := m.Buttons[0][0]; b.Data == "" || b.WebAppURL != "" {
		t.Errorf("callback button = %+v", b)
	}
}

// TestDeliver: replies no update asked for reach the chat after those of
// the update being handled.
func TestDeliver(t *testing.T) {
	s := telegramtest.New(t)
	release := make(chan struct{})
	eng := blockingEngine(alice.ID, release)
	b, _ := startBot(t, s, eng)
	s.SendText(alice, "hi")
	recv(t, eng.inputs) // the update is being handled
	b.Deliver(alice.ID, []conversation.Reply{{Text: "表单已保存"}, {Text: "下一个问题"}})
	close(release)
	if !s.WaitFor(wait, func() bool { return len(s.Messages(alice.ID)) >= 3 }) {
		t.Fatalf("messages %+v", s.Messages(alice.ID))
	}
	var texts []string
	for _, m := range s.Messages(alice.ID) {
		texts = append(texts, m.Text)
	}
	if len(texts) != 3 || texts[0] != "done" || texts[1] != "表单已保存" || texts[2] != "下一个问题" {
		t.Errorf("order %q", texts)
	}
}

// TestWebhookRoute: a route beside the webhook serves its prefix; every
// other path is the webhook's.
func TestWebhookRoute(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "form "+r.URL.Path) })
	b, _ := startBot(t, s, eng, WithWebhook("https://bot.example.test/telegram", "127.0.0.1:0", testSecret),
		WithWebhookRoute("/webapp/", page))
	if !s.WaitFor(wait, func() bool { url, _ := s.Webhook(); return url != "" }) {
		t.Fatal("no webhook")
	}
	resp, err := http.Get("http://" + b.WebhookAddr() + "/webapp/index.html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "form /webapp/index.html" {
		t.Errorf("route answered %q", body)
	}
	if resp := post(t, "http://"+b.WebhookAddr()+"/telegram", "wrong", s.UpdateJSON(s.SendText(alice, "hi"))); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("webhook beside the route: status %d", resp.StatusCode)
	}
}

// TestDeliverAfterStop: a form save that ends after Start stopped waiting
// for the chats' lanes (the form is still served until the process ends)
// gets its replies sent before Deliver returns, not queued on a lane that
// nobody waits for.
func TestDeliverAfterStop(t *testing.T) {
	s := telegramtest.New(t)
	b, _ := newBot(t, s, newEngine())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()
	if !s.WaitFor(wait, func() bool { return s.Counts()["getUpdates"].Calls > 0 }) {
		t.Fatal("the bot does not poll")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start: %v", err)
	}
	b.Deliver(alice.ID, []conversation.Reply{{Text: "表单已保存"}, {Text: "下一个问题"}})
	var texts []string
	for _, m := range s.Messages(alice.ID) {
		texts = append(texts, m.Text)
	}
	if len(texts) != 2 || texts[0] != "表单已保存" || texts[1] != "下一个问题" {
		t.Errorf("sent when Deliver returned: %q", texts)
	}
}
