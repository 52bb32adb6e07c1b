package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"golang.org/x/time/rate"

	"github.com/regbot/regbot/conversation"
)

// The review group's outbox. Telegram lets a bot post about 20 messages a
// minute into one group and answers 429 with retry_after beyond that. Every
// message, edit and document for the review group therefore takes a token
// of the group's bucket first (attempt): with WithSharedLimits a bucket in
// Redis that every replica takes from, each waiting for the turn it
// reserved, so that N replicas together keep to the one budget; otherwise
// (long polling: one process) a bucket of this process; and this
// process's bucket too while the shared one cannot be reached (then each
// replica keeps to the budget on its own, and Telegram's 429, which
// attempt waits out, absorbs the excess). The messages that answer a
// reviewer's action (a reason prompt, a /pending list) and the notices (a
// new application, the cards edited after a decision) are stored in
// Postgres and sent by the dispatcher's group lane (notices.go), through
// this bucket: a crash loses none of them. The in-memory queue below is
// what is left for the group's replies that cannot be stored (no notices
// store configured, or the store failing): they are queued here and the
// handler returns at once (an applicant's chat never waits for the group);
// one worker sends them in order, spaced by the bucket, waiting out
// retry_after when Telegram still says 429. On shutdown Start drains the
// queue for up to the drain timeout; a crash loses what it holds.

const (
	// groupPerMinute is Telegram's limit for one group.
	groupPerMinute = 20
	// groupBurst messages may go out back to back (a notice and its two
	// documents); the steady rate leaves room for it, so that no minute
	// holds more than groupPerMinute: 5 at once, then one every 4 s.
	groupBurst = 5
	// maxOutboxJobs bounds the queue (a job is one update's replies); past
	// it new jobs are dropped and logged.
	maxOutboxJobs = 1000
	// maxOutboxRetries bounds how often one reply is retried after a 429.
	maxOutboxRetries = 5
	// defaultDrainTimeout is how long Start keeps sending queued messages
	// after polling stopped.
	defaultDrainTimeout = 30 * time.Second
	// groupMaxReserve is the furthest ahead a turn in the shared bucket is
	// reserved; a sender whose turn is further waits and asks again.
	groupMaxReserve = time.Minute
)

// errDropped is the error of a reply still queued when the drain deadline
// passed: it is logged and lost (the queue is in memory).
var errDropped = errors.New("dropped: the review group's queue was not drained in time")

// defaultGroupRate is the steady rate of the review group's bucket.
var defaultGroupRate = rate.Every(time.Minute / (groupPerMinute - groupBurst))

type outbox struct {
	b       *Bot
	limiter *rate.Limiter // this process's bucket
	key     string        // the group's bucket among the shared ones

	mu      sync.Mutex
	jobs    []outJob
	closed  bool
	started bool
	wake    chan struct{} // capacity 1: "the queue changed"
	done    chan struct{} // closed when the worker returns
	cancel  context.CancelFunc
}

// outJob is the review group's share of one update's replies.
type outJob struct {
	ev      event
	replies []conversation.Reply
}

func newOutbox(b *Bot, limit rate.Limit, burst int) *outbox {
	return &outbox{b: b, limiter: rate.NewLimiter(limit, max(burst, 1)), key: "group:" + strconv.FormatInt(b.reviewChatID, 10),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// enqueue adds replies for the group and returns without waiting.
func (o *outbox) enqueue(ev event, replies []conversation.Reply) {
	o.mu.Lock()
	if o.closed || len(o.jobs) >= maxOutboxJobs {
		n, closed := len(o.jobs), o.closed
		o.mu.Unlock()
		o.b.log.Error("bot: review group message dropped", "update_id", ev.updateID,
			"replies", len(replies), "queued", n, "closed", closed)
		return
	}
	o.jobs = append(o.jobs, outJob{ev: ev, replies: replies})
	o.mu.Unlock()
	o.signal()
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// start runs the worker. Its context is not the caller's: queued messages
// are still sent after polling stopped, until drain gives up.
func (o *outbox) start() {
	ctx, cancel := context.WithCancel(context.Background())
	o.mu.Lock()
	o.started, o.cancel = true, cancel
	o.mu.Unlock()
	go o.run(ctx)
}

func (o *outbox) run(ctx context.Context) {
	defer close(o.done)
	for {
		o.mu.Lock()
		if len(o.jobs) == 0 {
			closed := o.closed
			o.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-o.wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		if ctx.Err() != nil {
			n := len(o.jobs)
			o.jobs = nil
			o.mu.Unlock()
			o.b.log.Error("bot: review group messages dropped at shutdown", "jobs", n)
			return
		}
		j := o.jobs[0]
		o.jobs[0] = outJob{}
		o.jobs = o.jobs[1:]
		o.mu.Unlock()
		o.b.render(ctx, j.ev, j.replies, o.attempt, false, nil)
	}
}

// drain stops accepting jobs and waits for the queued ones to be sent, for
// at most timeout; then it drops the rest.
func (o *outbox) drain(timeout time.Duration) {
	o.mu.Lock()
	o.closed = true
	started, n := o.started, len(o.jobs)
	o.mu.Unlock()
	if !started {
		return
	}
	o.signal()
	if n > 0 {
		o.b.log.Info("bot: draining the review group's queue", "jobs", n)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-o.done:
	case <-t.C:
		o.cancel()
		<-o.done
	}
	o.cancel()
}

// take waits for a token of the group's bucket: the shared one's turn it
// reserves, or this process's. It fails when ctx ends first, or when the
// turn would come after ctx's deadline (a notice: the dispatcher sends it
// later).
func (o *outbox) take(ctx context.Context) error {
	if o.limiter.Limit() == rate.Inf {
		return nil
	}
	s := o.b.shared
	for s != nil && s.usable(limitGroup) {
		maxWait := groupMaxReserve
		deadline, bounded := ctx.Deadline()
		if bounded {
			maxWait = max(min(maxWait, time.Until(deadline)), 0)
		}
		rctx, cancel := context.WithTimeout(ctx, sharedLimitTimeout)
		wait, ok, err := s.l.Reserve(rctx, o.key, interval(o.limiter.Limit()), o.limiter.Burst(), maxWait)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.failed(limitGroup, err)
			break
		}
		s.worked(limitGroup)
		if !ok && bounded && wait > time.Until(deadline) {
			return fmt.Errorf("bot: the review group's next turn is %v away, after the deadline", wait.Round(time.Millisecond))
		}
		if !ok {
			wait -= maxWait // then the turn is within reach
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return o.limiter.Wait(ctx)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt makes one call for the group: it waits for the bucket, bounds
// the call by the update timeout and, on a 429 that the call's own retries
// did not absorb (retry_after beyond them), waits retry_after and calls
// again. Nothing else is sent to the group meanwhile, so order holds.
func (o *outbox) attempt(ctx context.Context, call func(context.Context) error) error {
	for try := 0; ; try++ {
		if err := o.take(ctx); err != nil {
			if ctx.Err() != nil {
				return errDropped
			}
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, o.b.updateTimeout)
		err := call(cctx)
		cancel()
		var tmr *tgbot.TooManyRequestsError
		if err == nil || !errors.As(err, &tmr) || try == maxOutboxRetries {
			return err
		}
		wait := time.Duration(max(tmr.RetryAfter, 1)) * time.Second
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err // a notice: the dispatcher retries it after retry_after
		}
		o.b.log.Warn("bot: review group rate limited", "retry_after", tmr.RetryAfter, "attempt", try+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
