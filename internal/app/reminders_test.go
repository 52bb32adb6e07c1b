package app

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
)

type fakeSource struct {
	mu  sync.Mutex
	due [][]conversation.Reminder
}

func (f *fakeSource) ClaimReminders(ctx context.Context, now time.Time, limit int) ([]conversation.Reminder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.due) == 0 {
		return nil, nil
	}
	d := f.due[0]
	f.due = f.due[1:]
	return d, nil
}

type fakeRemind struct{}

func (fakeRemind) Remind(ctx context.Context, r conversation.Reminder) ([]conversation.Reply, error) {
	if r.ChatID == 2 { // no draft in progress
		return nil, nil
	}
	return []conversation.Reply{{ChatID: r.ChatID, Text: string(r.Kind)}}, nil
}

func TestRemindLoop(t *testing.T) {
	src := &fakeSource{due: [][]conversation.Reminder{
		{{ChatID: 1, Kind: conversation.ReminderIdle}, {ChatID: 2, Kind: conversation.ReminderIdle}},
		{{ChatID: 3, Kind: conversation.ReminderExpiry}},
	}}
	ticks := make(chan time.Time)
	sent := make(chan conversation.Reply, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		remindLoop(ctx, ticks, src, fakeRemind{}, func(_ context.Context, rs []conversation.Reply) {
			for _, r := range rs {
				sent <- r
			}
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	ticks <- time.Now()
	ticks <- time.Now()
	ticks <- time.Now() // nothing due any more
	cancel()
	<-done
	close(sent)
	var got []string
	for r := range sent {
		got = append(got, string(r.Text))
	}
	if len(got) != 2 || got[0] != "idle" || got[1] != "expiry" {
		t.Fatalf("sent %v, want [idle expiry]", got)
	}
}
