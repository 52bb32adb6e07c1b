package bot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/review"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

const wait = 5 * time.Second

var (
	alice = telegramtest.Chat{ID: 501, UserID: 501, FirstName: "Alice", LanguageCode: "zh-hans"}
	bob   = telegramtest.Chat{ID: 502, UserID: 502, FirstName: "Bob", LanguageCode: "en"}
	group = telegramtest.Chat{ID: -100123, UserID: 77, Type: "supergroup", FirstName: "Rita", LastName: "Reviewer"}
)

// fakeEngine records every input on a channel (before running the script)
// and answers with the scripted functions, or nothing.
type fakeEngine struct {
	inputs  chan conversation.Input
	reviews chan review.Input
	handle  func(context.Context, conversation.Input) ([]conversation.Reply, error)
	review  func(context.Context, review.Input) ([]conversation.Reply, error)
}

func newEngine() *fakeEngine {
	return &fakeEngine{inputs: make(chan conversation.Input, 1000), reviews: make(chan review.Input, 1000)}
}

func (e *fakeEngine) Handle(ctx context.Context, in conversation.Input) ([]conversation.Reply, error) {
	e.inputs <- in
	if e.handle == nil {
		return nil, nil
	}
	return e.handle(ctx, in)
}

func (e *fakeEngine) Replied(context.Context, conversation.Input) {}

// fakeDesk is the fakeEngine's review side.
type fakeDesk struct{ e *fakeEngine }

func (d fakeDesk) Handle(ctx context.Context, in review.Input) ([]conversation.Reply, error) {
	d.e.reviews <- in
	if d.e.review == nil {
		return nil, nil
	}
	return d.e.review(ctx, in)
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		var zero T
		t.Fatalf("nothing received within %v", wait)
		return zero
	}
}

func assertEmpty[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Errorf("unexpected %+v", v)
	default:
	}
}

// syncBuffer collects log output for assertions.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newBot creates a bot on the fake server; logs go to the test output and
// to the returned buffer.
func newBot(t *testing.T, s *telegramtest.Server, eng Engine, opts ...Option) (*Bot, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithServerURL(s.URL()), WithLogger(logger), WithFiles(blobs{})}, opts...)
	if fe, ok := eng.(*fakeEngine); ok {
		opts = append([]Option{WithReviewDesk(fakeDesk{fe})}, opts...)
	}
	b, err := New(s.Token, eng, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b, logs
}

// startBot creates a bot and runs it until the test ends.
func startBot(t *testing.T, s *telegramtest.Server, eng Engine, opts ...Option) (*Bot, *syncBuffer) {
	t.Helper()
	b, logs := newBot(t, s, eng, opts...)
	run(t, b)
	return b, logs
}

// blobs is a fake blob store.
type blobs map[string][]byte

var blobData = []byte("%PDF-1.7 stored blob\n%%EOF\n")

func (blobs) Get(_ context.Context, key string) ([]byte, error) {
	if key == "k1" {
		return blobData, nil
	}
	return nil, errors.New("no such blob")
}

// run starts b until the test ends.
func run(t *testing.T, b *Bot) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start: %v", err)
		}
	})
}

// startStoppable starts b; stop stops it and fails the test unless Start
// returns without an error within wait.
func startStoppable(t *testing.T, b *Bot) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(wait):
			t.Fatal("Start did not return")
		}
	}
}
