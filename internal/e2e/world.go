package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/bot"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/devstack"
)

// The world's fixed values.
const (
	ReviewChat = -100777              // the review group's chat id
	Reviewer   = 42                   // the authorised reviewer's user id
	IDNumber   = "500103197001010011" // a valid ID number
	Password   = "Cq2024!abcd"        // a valid platform password
	// WaitTime bounds every wait for something the bot does.
	WaitTime = 20 * time.Second
)

// TestKey is a key of the right shape for every key setting; TestDataKeys
// is DATA_KEYS with it. For tests only.
var (
	TestKey      = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	TestDataKeys = "k1:" + TestKey
	// TestRecipient is PLATFORM_RECIPIENT in tests: the public key of
	// conversationtest.PlatformIdentity, which opens what is sealed to it
	// (conversationtest.OpenPassword).
	TestRecipient = conversationtest.PlatformIdentity.Recipient().String()
)

// World is one end-to-end run: a fake Telegram, real Redis and Postgres,
// and regbot's Main booted against them (possibly several times in a row).
type World struct {
	t     *testing.T
	TG    *telegramtest.Server
	Cfg   app.Config
	User  telegramtest.Chat
	Group telegramtest.Chat
	Main  *app.Main
	stop  func()
	// botOpts are extra transport options: by default the review group's
	// rate limit and the per-chat limit are lifted, so that tests do not
	// wait 4 s per message nor get throttled for replying at machine speed.
	BotOpts []bot.Option
	// logs, if set, receives every log line, debug included; otherwise
	// warnings and errors go to the test log.
	Logs io.Writer
}

// NewWorld returns a world for t: a fake Telegram, a fresh Redis database
// and Postgres database, the marketing simulator with its fixture accounts,
// and a complete production configuration pointing at them. Nothing runs
// until Boot; t's cleanup stops it all.
func NewWorld(t *testing.T) *World {
	t.Helper()
	tg := telegramtest.New(t)
	sim := httptest.NewServer(marketingsim.New(marketingsim.DefaultAccounts()))
	t.Cleanup(sim.Close)
	w := &World{
		t:       t,
		TG:      tg,
		BotOpts: []bot.Option{bot.WithReviewRate(rate.Inf, 1), bot.WithChatRate(rate.Inf, 0)},
		User:    telegramtest.Chat{ID: 5001, UserID: 5001, FirstName: "申请人", LanguageCode: "zh-hans"},
		Group:   telegramtest.Chat{ID: ReviewChat, UserID: Reviewer, Type: "supergroup", FirstName: "王审核", Title: "审核群"},
		Cfg: app.Config{
			TelegramToken:     tg.Token,
			TelegramAPIURL:    tg.URL(),
			RedisURL:          devstack.MustRedis(t),
			DatabaseURL:       devstack.MustPostgres(t),
			MarketingURL:      sim.URL,
			ReviewChatID:      ReviewChat,
			ReviewerIDs:       []int64{Reviewer},
			DataKeys:          TestDataKeys,
			IDHashKey:         TestKey,
			CallbackKey:       TestKey,
			PlatformRecipient: TestRecipient,
			SessionTTL:        time.Hour,
			SessionCache:      1024,
			NoticeLease:       time.Minute,
			DataDir:           t.TempDir(),
		},
	}
	t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
		}
	})
	return w
}

// Boot starts Main and waits until it is wired.
func (w *World) Boot() {
	w.t.Helper()
	m := app.NewMain(w.Cfg)
	m.Ready = make(chan struct{})
	m.BotOptions = w.BotOpts
	m.Logger = slog.New(slog.NewJSONHandler(testWriter{w.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if w.Logs != nil {
		m.Logger = slog.New(slog.NewJSONHandler(w.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready:
	case err := <-done:
		w.t.Fatalf("Main.Run: %v", err)
	}
	w.Main = m
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				w.t.Errorf("Main.Run: %v", err)
			}
			if err := m.Close(); err != nil {
				w.t.Errorf("Main.Close: %v", err)
			}
		})
	}
}

// Restart stops the running Main and boots a new one on the same stores.
func (w *World) Restart() {
	w.t.Helper()
	w.stop()
	w.Boot()
}

// Snapshot remembers the texts of a chat's messages, to spot what is new.
func (w *World) Snapshot(chat int64) map[int]string {
	seen := map[int]string{}
	for _, m := range w.TG.Messages(chat) {
		seen[m.ID] = Shown(m)
	}
	return seen
}

// Shown is what a person sees of a message: its text and its buttons.
func Shown(m telegramtest.Message) string {
	s := m.Text
	for _, row := range m.Buttons {
		for _, b := range row {
			s += "\n[" + b.Text + "]"
		}
	}
	return s
}

// await waits for a new or changed bot message in chat containing want.
func (w *World) Await(chat int64, before map[int]string, want string) telegramtest.Message {
	w.t.Helper()
	var got telegramtest.Message
	ok := w.TG.WaitFor(WaitTime, func() bool {
		for _, m := range w.TG.Messages(chat) {
			if old, seen := before[m.ID]; (!seen || old != Shown(m)) && !m.Deleted && strings.Contains(Shown(m), want) {
				got = m
				return true
			}
		}
		return false
	})
	if !ok {
		var last string
		if m, ok := w.TG.LastMessage(chat); ok {
			last = m.Text
		}
		w.t.Fatalf("no message containing %q in chat %d; last: %q", want, chat, last)
	}
	return got
}

// say sends text and waits for a reply containing want.
func (w *World) Say(text, want string) int64 {
	w.t.Helper()
	before := w.Snapshot(w.User.ID)
	id := w.TG.SendText(w.User, text)
	w.Await(w.User.ID, before, want)
	return id
}

// button finds the newest message in chat with a button containing label.
func (w *World) Button(chat int64, label string) (telegramtest.Message, telegramtest.Button) {
	w.t.Helper()
	msgs := w.TG.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) && !msgs[i].Deleted {
					return msgs[i], b
				}
			}
		}
	}
	w.t.Fatalf("no button %q in chat %d", label, chat)
	return telegramtest.Message{}, telegramtest.Button{}
}

// press taps a button of the user's chat and waits for a reply containing want.
func (w *World) Press(label, want string) int64 {
	w.t.Helper()
	m, b := w.Button(w.User.ID, label)
	before := w.Snapshot(w.User.ID)
	id := w.TG.Press(w.User, m.ID, b.Data)
	w.Await(w.User.ID, before, want)
	return id
}

func (w *World) Document(name string, data []byte, want string) {
	w.t.Helper()
	before := w.Snapshot(w.User.ID)
	w.TG.SendDocument(w.User, name, "application/pdf", data)
	w.Await(w.User.ID, before, want)
}

// testWriter sends log lines to the test's log, shown only on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func contains(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func countDocs(ms []telegramtest.Message) int {
	n := 0
	for _, m := range ms {
		if m.Document != nil {
			n++
		}
	}
	return n
}

// answered reports whether a callback query was answered with text.
func answered(tg *telegramtest.Server, text string) bool {
	for _, c := range tg.Calls("answerCallbackQuery") {
		if strings.Contains(c.Fields["text"], text) {
			return true
		}
	}
	return false
}

// Metrics is the booted Main's /metrics page.
func (w *World) Metrics() string {
	w.t.Helper()
	rec := httptest.NewRecorder()
	w.Main.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// AwaitReady waits until the booted Main's /readyz answers 200: its Redis
// and Postgres clients reach their servers again (after a restart, go-redis
// redials only once a second). It needs Cfg.HTTPListen.
func (w *World) AwaitReady() {
	w.t.Helper()
	if w.Main.OpsAddr == "" {
		w.t.Fatal("AwaitReady needs Cfg.HTTPListen (the operations server)")
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(WaitTime)
	for {
		resp, err := http.Get("http://" + w.Main.OpsAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			w.t.Fatalf("/readyz not ready within %v", WaitTime)
		}
	}
}

// Message returns the message id of chat as it stands now.
func (w *World) Message(chat int64, id int) (telegramtest.Message, bool) {
	for _, m := range w.TG.Messages(chat) {
		if m.ID == id {
			return m, true
		}
	}
	return telegramtest.Message{}, false
}
