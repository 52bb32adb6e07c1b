package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbot/regbot/internal/devstack"
)

// clock is a settable clock for Limiter.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func mustAllow(t *testing.T, l *Limiter, key string, id int64, every time.Duration, burst int) (ok, first bool) {
	t.Helper()
	ok, first, err := l.Allow(context.Background(), key, id, every, burst)
	if err != nil {
		t.Fatal(err)
	}
	return ok, first
}

func TestLimiterBurstThenRate(t *testing.T) {
	c := mustOpen(t)
	clk := newClock()
	l := &Limiter{c: c, Now: clk.Now}
	const every, burst = time.Second, 3
	id := int64(0)
	next := func() int64 { id++; return id }

	for i := range burst {
		if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); !ok {
			t.Fatalf("token %d of a full bucket of %d refused", i+1, burst)
		}
	}
	if ok, first := mustAllow(t, l, "chat:1", next(), every, burst); ok || !first {
		t.Fatalf("past the burst: ok %v, first %v; want a first refusal", ok, first)
	}
	if ok, first := mustAllow(t, l, "chat:1", next(), every, burst); ok || first {
		t.Fatalf("second refusal: ok %v, first %v; want refused, not first", ok, first)
	}
	if ok, _ := mustAllow(t, l, "chat:2", next(), every, burst); !ok {
		t.Fatal("another chat's bucket was emptied too")
	}

	// Refill: a token per second, not before.
	clk.Add(every - time.Millisecond)
	if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); ok {
		t.Fatal("a token before its second had passed")
	}
	clk.Add(time.Millisecond)
	if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); !ok {
		t.Fatal("no token a second later")
	}
	if ok, first := mustAllow(t, l, "chat:1", next(), every, burst); ok || !first {
		t.Fatalf("after the refilled token: ok %v, first %v; want a first refusal again", ok, first)
	}

	// The rate: asking every 100 ms for a minute gets one a second.
	allowed := 0
	for range 600 {
		clk.Add(100 * time.Millisecond)
		if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); ok {
			allowed++
		}
	}
	if allowed != 60 {
		t.Errorf("asking 10 times a second for a minute: %d allowed, want 60", allowed)
	}

	// Idle, the bucket refills to its burst and no further.
	clk.Add(time.Hour)
	allowed = 0
	for range 10 {
		if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); ok {
			allowed++
		}
	}
	if allowed != burst {
		t.Errorf("after an hour idle: %d allowed at once, want the burst %d", allowed, burst)
	}
}

// An update taken by one replica and delivered to another too (or again)
// costs one token; the refusal of an update does not make it free.
func TestLimiterSameUpdateCountsOnce(t *testing.T) {
	c := mustOpen(t)
	clk := newClock()
	a, b := &Limiter{c: c, Now: clk.Now}, &Limiter{c: c, Now: clk.Now}
	const every, burst = time.Second, 2
	if ok, _ := mustAllow(t, a, "chat:1", 101, every, burst); !ok {
		t.Fatal("update 101 refused")
	}
	if ok, _ := mustAllow(t, b, "chat:1", 101, every, burst); !ok {
		t.Fatal("update 101 refused on the second replica")
	}
	if ok, _ := mustAllow(t, b, "chat:1", 102, every, burst); !ok {
		t.Fatal("update 102 refused: update 101 took two tokens")
	}
	if ok, _ := mustAllow(t, a, "chat:1", 102, every, burst); !ok {
		t.Fatal("update 102 refused on the second replica")
	}
	if ok, first := mustAllow(t, a, "chat:1", 103, every, burst); ok || !first {
		t.Fatalf("update 103: ok %v, first %v; want a first refusal", ok, first)
	}
	if ok, first := mustAllow(t, b, "chat:1", 103, every, burst); ok || first {
		t.Fatalf("update 103 on the second replica: ok %v, first %v; want refused, not first (one notice)", ok, first)
	}
}

// The key lives until the bucket is full again, no longer: an idle chat
// leaves nothing in Redis.
func TestLimiterKeyExpiresWhenFull(t *testing.T) {
	c := mustOpen(t)
	clk := newClock()
	l := &Limiter{c: c, Now: clk.Now}
	const every, burst = 10 * time.Second, 5
	for id := range int64(3) {
		mustAllow(t, l, "chat:7", id, every, burst)
	}
	ttl, err := c.rdb.PTTL(context.Background(), limiterKey("chat:7")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * every; ttl <= want-time.Second || ttl > want {
		t.Errorf("TTL after 3 tokens of a bucket refilling one every %v: %v, want just under %v", every, ttl, want)
	}
	if _, _, err := l.Reserve(context.Background(), "group:1", time.Minute, 1, 0); err != nil {
		t.Fatal(err)
	}
	ttl, err = c.rdb.PTTL(context.Background(), limiterKey("group:1")).Result()
	if err != nil || ttl <= 59*time.Second || ttl > time.Minute {
		t.Errorf("TTL after the only token of a 1/min bucket: %v (%v), want just under a minute", ttl, err)
	}
}

// A clock that steps back (the server's after an NTP step, or replicas'
// clocks in tests) makes the bucket look empty at worst, never for longer
// than a full bucket takes to refill; one that steps forward refills it,
// to its burst and no more.
func TestLimiterClockSteps(t *testing.T) {
	c := mustOpen(t)
	clk := newClock()
	l := &Limiter{c: c, Now: clk.Now}
	const every, burst = time.Second, 4
	id := int64(0)
	next := func() int64 { id++; return id }
	mustAllow(t, l, "chat:1", next(), every, burst)

	clk.Add(-time.Hour)
	// The bucket's time lies an hour ahead: clamped to an empty bucket.
	if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); ok {
		t.Fatal("a token right after the clock went back an hour (the bucket had 3 of 4: at most empty)")
	}
	clk.Add(every)
	if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); !ok {
		t.Fatal("still refused a second after the clock went back an hour: the step counted as a debt")
	}

	clk.Add(24 * time.Hour)
	allowed := 0
	for range 2 * burst {
		if ok, _ := mustAllow(t, l, "chat:1", next(), every, burst); ok {
			allowed++
		}
	}
	if allowed != burst {
		t.Errorf("after the clock jumped a day: %d allowed at once, want the burst %d", allowed, burst)
	}

	// Reservations are clamped too, to the furthest one could book.
	ctx := context.Background()
	for range 3 {
		if _, ok, err := l.Reserve(ctx, "group:1", every, 1, time.Minute); err != nil || !ok {
			t.Fatalf("Reserve = %v, %v", ok, err)
		}
	}
	clk.Add(-time.Hour)
	wait, ok, err := l.Reserve(ctx, "group:1", every, 1, time.Hour)
	if err != nil || ok || wait != reserveHorizon+every {
		t.Errorf("reserving after the clock went back an hour: wait %v, ok %v, %v; want refused, %v", wait, ok, err, reserveHorizon+every)
	}
	clk.Add(every)
	wait, ok, err = l.Reserve(ctx, "group:1", every, 1, time.Hour)
	if err != nil || !ok || wait != reserveHorizon {
		t.Errorf("a second later: wait %v, ok %v, %v; want %v", wait, ok, err, reserveHorizon)
	}
}

// Without Now the limiter uses the Redis server's clock: replicas agree
// however their own clocks are set.
func TestLimiterServerClock(t *testing.T) {
	c := mustOpen(t)
	l := NewLimiter(c)
	ctx := context.Background()
	if wait, ok, err := l.Reserve(ctx, "group:1", time.Minute, 1, 0); err != nil || !ok || wait != 0 {
		t.Fatalf("first token of a full bucket: wait %v, ok %v, %v", wait, ok, err)
	}
	wait, ok, err := l.Reserve(ctx, "group:1", time.Minute, 1, 2*time.Minute)
	if err != nil || !ok || wait <= 55*time.Second || wait > time.Minute {
		t.Fatalf("second token of a 1/min bucket: wait %v, ok %v, %v; want just under a minute", wait, ok, err)
	}
	// A replica whose own clock is a day off is not asked.
	skewed := &Limiter{c: c}
	wait, ok, err = skewed.Reserve(ctx, "group:1", time.Minute, 1, 3*time.Minute)
	if err != nil || !ok || wait <= 115*time.Second || wait > 2*time.Minute {
		t.Fatalf("third token: wait %v, ok %v, %v; want just under two minutes", wait, ok, err)
	}
}

// Reserve books the tokens in turn: the burst at once, then one per
// interval; a token beyond maxWait is not taken.
func TestLimiterReserve(t *testing.T) {
	c := mustOpen(t)
	clk := newClock()
	l := &Limiter{c: c, Now: clk.Now}
	ctx := context.Background()
	const every, burst = 4 * time.Second, 5
	for i := range burst {
		if wait, ok, err := l.Reserve(ctx, "group:-100", every, burst, time.Minute); err != nil || !ok || wait != 0 {
			t.Fatalf("token %d of the burst: wait %v, ok %v, %v; want at once", i+1, wait, ok, err)
		}
	}
	for i := 1; i <= 3; i++ {
		wait, ok, err := l.Reserve(ctx, "group:-100", every, burst, time.Minute)
		if err != nil || !ok || wait != time.Duration(i)*every {
			t.Fatalf("token %d past the burst: wait %v, ok %v, %v; want %v", i, wait, ok, err, time.Duration(i)*every)
		}
	}
	// The next is 16 s away: not within 10 s, and nothing is booked.
	for range 2 {
		wait, ok, err := l.Reserve(ctx, "group:-100", every, burst, 10*time.Second)
		if err != nil || ok || wait != 4*every {
			t.Fatalf("with 10 s to wait: wait %v, ok %v, %v; want refused, 16 s", wait, ok, err)
		}
	}
	if wait, ok, err := l.Reserve(ctx, "group:-100", every, burst, 0); err != nil || ok || wait != 4*every {
		t.Fatalf("with no time to wait: wait %v, ok %v, %v; want refused, 16 s", wait, ok, err)
	}
	clk.Add(13 * time.Second)
	if wait, ok, err := l.Reserve(ctx, "group:-100", every, burst, 10*time.Second); err != nil || !ok || wait != 3*time.Second {
		t.Fatalf("13 s later: wait %v, ok %v, %v; want 3 s", wait, ok, err)
	}
	if _, _, err := l.Reserve(ctx, "group:-100", 0, burst, 0); err == nil {
		t.Error("a bucket refilling every 0 s was accepted")
	}
}

// Two replicas (two clients) taking from one bucket at once get the
// burst between them, not each.
func TestLimiterSharedByReplicas(t *testing.T) {
	url := devstack.MustRedis(t)
	var replicas [2]*Limiter
	for i := range replicas {
		c, err := Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		replicas[i] = NewLimiter(c)
	}
	const burst = 10
	var allowed, told atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			ok, first, err := replicas[i%2].Allow(context.Background(), "chat:9", int64(i), time.Hour, burst)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
			if first {
				told.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != burst || told.Load() != 1 {
		t.Errorf("40 updates at once on two replicas: %d allowed, %d told; want %d and 1", allowed.Load(), told.Load(), burst)
	}
}
