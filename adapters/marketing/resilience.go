package marketing

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/regbot/regbot/domain"
)

// Defaults of the retry policy and the circuit breaker.
const (
	// DefaultAttempts is how many requests one Query may send.
	DefaultAttempts = 3
	// DefaultBackoff is the pause before the first retry; it doubles for
	// each further one, with ±50 % jitter so that replicas do not retry in
	// step.
	DefaultBackoff = 200 * time.Millisecond
	// DefaultMaxWait caps one pause, Retry-After included: a server asking
	// for longer gets no retry (the user is told to try again later).
	DefaultMaxWait = 2 * time.Second
	// DefaultBreakerThreshold consecutive failed requests open the circuit.
	DefaultBreakerThreshold = 5
	// DefaultBreakerCooldown is how long an open circuit refuses queries
	// before it lets one trial request through.
	DefaultBreakerCooldown = 30 * time.Second
)

// ErrCircuitOpen is wrapped by the CodeUnavailable error Query returns
// without sending a request, because the marketing system failed
// DefaultBreakerThreshold times in a row and the cooldown has not passed.
var ErrCircuitOpen = errors.New("marketing: circuit open: the system failed repeatedly; not calling it for a while")

// WithRetries sets how many requests one Query may send (attempts >= 1;
// 1 disables retrying), the first backoff, and the cap on one pause.
// Non-positive values keep the defaults.
func WithRetries(attempts int, backoff, maxWait time.Duration) Option {
	return func(c *Client) {
		if attempts > 0 {
			c.retry.attempts = attempts
		}
		if backoff > 0 {
			c.retry.backoff = backoff
		}
		if maxWait > 0 {
			c.retry.maxWait = maxWait
		}
	}
}

// WithBreaker sets the circuit breaker: threshold consecutive failed
// requests open it for cooldown. threshold < 1 disables the breaker.
func WithBreaker(threshold int, cooldown time.Duration) Option {
	return func(c *Client) {
		if threshold < 1 {
			c.breaker = nil
			return
		}
		c.breaker = newBreaker(threshold, cooldown, c.breakerNow())
	}
}

func (c *Client) breakerNow() func() time.Time {
	if c.breaker != nil && c.breaker.now != nil {
		return c.breaker.now
	}
	return time.Now
}

type retryPolicy struct {
	attempts int
	backoff  time.Duration
	maxWait  time.Duration
}

var defaultRetry = retryPolicy{attempts: DefaultAttempts, backoff: DefaultBackoff, maxWait: DefaultMaxWait}

// withRetries runs once until it succeeds, fails for good, the attempts
// are used up, or the caller's context would end during the pause. Only
// transient failures are retried; the breaker sees every request.
func (c *Client) withRetries(ctx context.Context, once func(context.Context) outcome) ([]domain.MeteringPoint, error) {
	var err error
	for attempt := 1; ; attempt++ {
		if !c.breaker.allow() {
			if err != nil { // opened by this query's own failures
				return nil, err
			}
			return nil, unavailable("%w", ErrCircuitOpen)
		}
		o := once(ctx)
		err = o.err
		c.breaker.record(!o.transient || ctx.Err() != nil)
		if !o.transient || attempt >= c.retry.attempts || ctx.Err() != nil {
			return o.points, err
		}
		pause := jitter(c.retry.backoff << (attempt - 1))
		if o.wait > pause {
			pause = o.wait
		}
		if pause > c.retry.maxWait {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause {
			return nil, err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
	}
}

// jitter returns d scaled by a random factor in [0.5, 1.5).
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// breaker is a consecutive-failure circuit breaker: closed, it counts
// failed requests and opens at threshold; open, it refuses until cooldown
// has passed, then lets one trial request through (half-open), whose
// success closes it and whose failure opens it again. A nil *breaker
// allows everything.
type breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu       sync.Mutex
	failures int
	openedAt time.Time // zero when closed
	trial    bool      // a half-open trial request is in flight
}

func newBreaker(threshold int, cooldown time.Duration, now func() time.Time) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown, now: now}
}

// allow reports whether a request may go out now.
func (b *breaker) allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openedAt.IsZero() {
		return true
	}
	if b.trial || b.now().Sub(b.openedAt) < b.cooldown {
		return false
	}
	b.trial = true
	return true
}

// record notes the outcome of a request that allow let through. A request
// cut short by the caller counts as a success: it says nothing about the
// system.
func (b *breaker) record(ok bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.failures, b.openedAt, b.trial = 0, time.Time{}, false
		return
	}
	b.failures++
	if b.trial || b.failures >= b.threshold {
		b.openedAt, b.trial = b.now(), false
	}
}
