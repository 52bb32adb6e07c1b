package marketing

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/domain"
)

// fastRetries keeps the tests quick: 3 attempts, 5 ms first backoff.
var fastRetries = WithRetries(3, 5*time.Millisecond, time.Second)

func TestQueryRetriesTransientFailures(t *testing.T) {
	for _, status := range []int{http.StatusBadGateway, http.StatusInternalServerError, http.StatusTooManyRequests} {
		sim, srv := mustSimServer(t)
		sim.FailNext(2, status)
		c := NewClient(srv.URL, fastRetries, WithBreaker(0, 0))
		points, err := c.Query(context.Background(), "5000000001", pw)
		if err != nil || len(points) == 0 {
			t.Fatalf("status %d twice, then fine: points %d, err %v", status, len(points), err)
		}
		if n := sim.Requests(); n != 3 {
			t.Errorf("status %d: requests = %d, want 3", status, n)
		}
	}
}

func TestQueryRetriesAreBounded(t *testing.T) {
	sim, srv := mustSimServer(t)
	sim.FailNext(100, http.StatusBadGateway)
	c := NewClient(srv.URL, fastRetries, WithBreaker(0, 0))
	if _, err := c.Query(context.Background(), "5000000001", pw); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if n := sim.Requests(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestQueryAnswersAreNotRetried(t *testing.T) {
	for _, tt := range []struct {
		account, pw string
		code        domain.Code
	}{
		{"5000000001", "654321", domain.CodeWrongPassword}, // a retry would burn the user's attempts
		{"5999999999", pw, domain.CodeNotFound},
	} {
		sim, srv := mustSimServer(t)
		c := NewClient(srv.URL, fastRetries)
		if _, err := c.Query(context.Background(), tt.account, tt.pw); domain.ErrorCode(err) != tt.code {
			t.Fatalf("err = %v, want %s", err, tt.code)
		}
		if n := sim.Requests(); n != 1 {
			t.Errorf("%s: requests = %d, want 1", tt.code, n)
		}
	}
}

func TestQueryBackoffGrowsAndHonoursRetryAfter(t *testing.T) {
	// 503 carries "Retry-After: 1": the pause is a second, not 5 ms.
	sim, srv := mustSimServer(t)
	sim.FailNext(1, http.StatusServiceUnavailable)
	c := NewClient(srv.URL, WithRetries(2, 5*time.Millisecond, 2*time.Second), WithBreaker(0, 0))
	start := time.Now()
	if _, err := c.Query(context.Background(), "5000000001", pw); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %v, want at least Retry-After (1s)", d)
	}

	// A Retry-After beyond the cap is not waited for.
	sim.FailNext(1, http.StatusServiceUnavailable)
	c = NewClient(srv.URL, WithRetries(3, 5*time.Millisecond, 500*time.Millisecond), WithBreaker(0, 0))
	before := sim.Requests()
	start = time.Now()
	if _, err := c.Query(context.Background(), "5000000001", pw); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if n := sim.Requests() - before; n != 1 || time.Since(start) > 500*time.Millisecond {
		t.Errorf("requests = %d in %v; want 1 at once", n, time.Since(start))
	}
}

func TestQueryTimeoutPerAttempt(t *testing.T) {
	sim, srv := mustSimServer(t)
	sim.Latency = time.Second
	c := NewClient(srv.URL, WithTimeout(50*time.Millisecond), WithRetries(2, 5*time.Millisecond, time.Second), WithBreaker(0, 0))
	start := time.Now()
	_, err := c.Query(context.Background(), "5000000001", pw)
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Errorf("two timed-out attempts took %v", d)
	}
	if n := sim.Requests(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestQueryStopsRetryingWhenCallerDeadlineIsNear(t *testing.T) {
	sim, srv := mustSimServer(t)
	sim.FailNext(100, http.StatusBadGateway)
	c := NewClient(srv.URL, WithRetries(5, 300*time.Millisecond, 2*time.Second), WithBreaker(0, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Query(ctx, "5000000001", pw); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("err = %v", err)
	}
	if n, d := sim.Requests(), time.Since(start); n != 1 || d > 90*time.Millisecond {
		t.Errorf("requests = %d in %v; want 1, and no pause past the deadline", n, d)
	}
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCircuitBreaker(t *testing.T) {
	sim, srv := mustSimServer(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := NewClient(srv.URL, WithRetries(1, 0, 0), WithBreaker(3, time.Minute))
	c.breaker.now = clk.now

	query := func() error {
		_, err := c.Query(context.Background(), "5000000001", pw)
		return err
	}
	sim.FailNext(3, http.StatusBadGateway)
	for i := 0; i < 3; i++ {
		if err := query(); domain.ErrorCode(err) != domain.CodeUnavailable || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Open: the system is fine again, but nobody asks it.
	err := query()
	if !errors.Is(err, ErrCircuitOpen) || domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("open circuit: err = %v, want ErrCircuitOpen (unavailable)", err)
	}
	if n := sim.Requests(); n != 3 {
		t.Fatalf("requests = %d while open, want 3", n)
	}

	// Half-open after the cooldown: a failing trial opens it again at once.
	clk.add(time.Minute)
	sim.FailNext(1, http.StatusBadGateway)
	if err := query(); errors.Is(err, ErrCircuitOpen) || domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("failing trial: %v", err)
	}
	if err := query(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("after a failed trial: err = %v, want ErrCircuitOpen", err)
	}

	// A successful trial closes it.
	clk.add(time.Minute)
	if err := query(); err != nil {
		t.Fatalf("trial: %v", err)
	}
	if err := query(); err != nil {
		t.Fatalf("closed again: %v", err)
	}
	if n := sim.Requests(); n != 6 {
		t.Errorf("requests = %d, want 6", n)
	}
}

func TestCircuitBreakerIgnoresAnswersAndCallerCancel(t *testing.T) {
	sim, srv := mustSimServer(t)
	c := NewClient(srv.URL, WithRetries(1, 0, 0), WithBreaker(2, time.Hour))
	for i := 0; i < 5; i++ { // wrong passwords are answers, not outages
		if _, err := c.Query(context.Background(), "5000000001", "000000"); domain.ErrorCode(err) != domain.CodeWrongPassword {
			t.Fatalf("err = %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 3; i++ {
		c.Query(ctx, "5000000001", pw)
	}
	if _, err := c.Query(context.Background(), "5000000001", pw); err != nil {
		t.Fatalf("breaker opened on answers or cancellations: %v (requests %d)", err, sim.Requests())
	}
}
