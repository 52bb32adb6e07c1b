package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
	"github.com/regbot/regbot/review"
)

// TestReasonPrompts runs the prompts against a real Redis: recorded per
// reviewer, latest first, replaced per application, answered once across
// racing callers, kept for keep after the latest Ask, and survive a new
// client (a restart, another replica).
func TestReasonPrompts(t *testing.T) {
	ctx := context.Background()
	url := devstack.MustRedis(t)
	open := func() *Client {
		c, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := open()
	r := NewReasonPrompts(c)
	const chat, rita, li = -100500, 77, 78
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a := review.ReasonPrompt{ApplicationID: 1, Version: 2, MessageID: 30, Reference: "CQ-20261125-000001", AskedAt: at}
	b := review.ReasonPrompt{ApplicationID: 4, Version: 1, MessageID: 31, Reference: "CQ-20261125-000004", AskedAt: at.Add(time.Minute)}

	if got, err := r.Asked(ctx, chat, rita); err != nil || len(got) != 0 {
		t.Fatalf("Asked before any prompt = %v, %v", got, err)
	}
	for _, p := range []review.ReasonPrompt{a, b} {
		if err := r.Ask(ctx, chat, rita, p, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Ask(ctx, chat, li, a, time.Hour); err != nil {
		t.Fatal(err)
	}
	// Another client of the same server: what a restarted process or
	// another replica sees.
	other := NewReasonPrompts(open())
	got, err := other.Asked(ctx, chat, rita)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]review.ReasonPrompt{b, a}, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
		t.Errorf("Asked (-want +got):\n%s", diff)
	}
	ttl, err := c.rdb.PTTL(ctx, promptKey(chat, rita)).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL = %v, %v; want about an hour", ttl, err)
	}

	// Asked again for application 1: replaced, not doubled.
	a2 := a
	a2.Version, a2.AskedAt = 3, at.Add(2*time.Minute)
	if err := r.Ask(ctx, chat, rita, a2, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Asked(ctx, chat, rita); len(got) != 2 || got[0].ApplicationID != 1 || got[0].Version != 3 {
		t.Errorf("after asking again: %+v", got)
	}

	// Ten replicas race to take one reason: one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := r.Answered(ctx, chat, rita, 1); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d callers took the prompt, want 1", wins.Load())
	}
	if got, _ := r.Asked(ctx, chat, rita); len(got) != 1 || got[0].ApplicationID != 4 {
		t.Errorf("after answering 1: %+v", got)
	}
	if got, _ := r.Asked(ctx, chat, li); len(got) != 1 {
		t.Errorf("another reviewer's prompt went too: %+v", got)
	}

	// keep: the reviewer's prompts are forgotten after it.
	if err := r.Ask(ctx, chat, rita, b, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := c.rdb.PTTL(ctx, promptKey(chat, rita)).Result(); ttl > 50*time.Millisecond || ttl <= 0 {
		t.Errorf("TTL after asking with keep 50ms = %v", ttl)
	}

	c.Close()
	if _, err := r.Asked(ctx, chat, rita); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Asked on a closed client: %v, want CodeUnavailable", err)
	}
}
