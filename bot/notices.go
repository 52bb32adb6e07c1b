package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/review"
)

// The notices dispatcher: the durable half of the review group's outbox.
// The notices that must not be lost are rows of a store: those that
// Registrations wrote in the transaction of a change (the causes, not the
// texts: a new or resubmitted application for the review group, a decision
// or the account's creation for the applicant, the group's cards to edit
// after a change), and the review group's answer to a reviewer's action
// (a reason prompt, a /pending list: the rendered replies), which the
// handler records (AddReplies) before the update is confirmed to Telegram
// (polling: the offset stays below it; webhook: the 200 waits), so that a
// crash before then means the update comes again. The dispatcher claims
// due notices, asks the engine to render them, sends them (the group's
// messages through the group's token bucket, outbox.go) and marks them
// done once Telegram accepted every message.
//
// It runs two lanes, each claiming its own kinds of notice: the review
// group's (review.NoticeKind.ForGroup), which wait for the group's rate
// limit, and the applicants', which never wait behind them.
//
// Each lane is woken after every handled update (the update may have
// submitted, decided or answered a reviewer) and polls every noticePoll
// for notices it was not told about: those of other replicas, and those a
// crashed replica left claimed, which come due again when their lease runs
// out. Delivery is therefore at least once, with one window: each message
// Telegram accepts is recorded with the notice (Notices.Progress), and a
// later attempt (after a crash, a lease run out, or a failure of a later
// message) does not send it again; a process that dies between Telegram's
// answer and that record lets the message be sent twice. Edits (the cards)
// are made again, which changes nothing. If Telegram refuses the rest of
// a notice for good after part of it went out, the notice counts as sent,
// with a warning. A notice that fails is retried with a growing delay,
// after Telegram's retry_after if it asked for one; a chat that refuses the
// bot (403: the applicant blocked it) or maxNoticeAttempts failures give it
// up, logged by ids only.

// Notices is the store of notices to send; *postgres.DB implements it.
type Notices interface {
	// Claim leases up to limit due notices of the kinds (nil: any),
	// oldest first, for lease and counts the attempt (Notice.Attempts).
	// No other Claim returns them until the lease runs out, then they are
	// due again. Safe to call from several replicas at once: each notice
	// goes to one claimer at a time.
	Claim(ctx context.Context, kinds []review.NoticeKind, limit int, lease time.Duration) ([]review.Notice, error)
	// Progress records how far the sending of a claimed notice got: an
	// entry per reply Telegram accepted (Notice.Sent, which later claims
	// return).
	Progress(ctx context.Context, id int64, sent []int) error
	// Done marks the notice sent; it is never claimed again.
	Done(ctx context.Context, id int64) error
	// Retry ends the lease of a notice that was not sent: due again after delay.
	Retry(ctx context.Context, id int64, delay time.Duration) error
	// GiveUp marks the notice as never to be sent.
	GiveUp(ctx context.Context, id int64) error
	// AddReplies records the review group's replies to an update as a
	// notice of kind review.NoticeReplies, due at once, unless a notice
	// with the same key was recorded before (the update delivered again,
	// or to two replicas): then it changes nothing.
	AddReplies(ctx context.Context, key string, replies []conversation.Reply) error
}

// NoticeRenderer renders a notice's messages when they are sent;
// *review.Desk implements it.
type NoticeRenderer interface {
	RenderNotice(ctx context.Context, n review.Notice) ([]conversation.Reply, error)
}

const (
	// noticeBatch notices are claimed at once. One: at the group's rate a
	// notice and its documents take ~10 s, and a notice waiting for its
	// turn in a batch would use up its lease unsent.
	noticeBatch = 1
	// defaultNoticeLease is how long a claimed notice is the claimer's;
	// its sending must end within three quarters of it.
	defaultNoticeLease = time.Minute
	// noticePoll is how often the dispatcher looks for notices it was not
	// woken for (other replicas', a crashed replica's).
	noticePoll = 2 * time.Second
	// noticeMinGap spaces the claims that wake-ups trigger: a busy bot
	// handles many updates a second, most of them without a notice.
	noticeMinGap = 100 * time.Millisecond
	// maxNoticeAttempts bounds the claims of one notice.
	maxNoticeAttempts = 10
	// noticeStoreTimeout bounds Progress, Done, Retry and GiveUp.
	noticeStoreTimeout = 10 * time.Second
)

// WithNotices makes the bot send the notices in store, rendered by r, and
// record the review group's replies to updates there.
func WithNotices(store Notices, r NoticeRenderer) Option {
	return func(c *config) { c.notices, c.noticeRenderer = store, r }
}

// WithNoticeLease sets how long a claimed notice is reserved for this
// replica (default 1 min): another replica sends it only after the lease
// ran out, so a longer lease delays a crashed replica's notices and a
// shorter one risks sending a slow notice twice.
func WithNoticeLease(d time.Duration) Option { return func(c *config) { c.noticeLease = d } }

// noticeLanes are the dispatcher's two lanes.
type noticeLanes struct {
	store      Notices
	group      *dispatcher // the review group's notices
	applicants *dispatcher // everyone else's
}

func newNoticeLanes(b *Bot, store Notices, r NoticeRenderer, lease time.Duration) *noticeLanes {
	var group, applicants []review.NoticeKind
	for _, k := range review.NoticeKinds {
		if k.ForGroup() {
			group = append(group, k)
		} else {
			applicants = append(applicants, k)
		}
	}
	return &noticeLanes{store: store, group: newDispatcher(b, "group", group, store, r, lease),
		applicants: newDispatcher(b, "applicants", applicants, store, r, lease)}
}

func (l *noticeLanes) signal() {
	l.group.signal()
	l.applicants.signal()
}

func (l *noticeLanes) start() {
	l.group.start()
	l.applicants.start()
}

// drain drains both lanes at once, for at most timeout.
func (l *noticeLanes) drain(timeout time.Duration) {
	var wg sync.WaitGroup
	wg.Go(func() { l.group.drain(timeout) })
	wg.Go(func() { l.applicants.drain(timeout) })
	wg.Wait()
}

type dispatcher struct {
	b      *Bot
	lane   string              // for logs
	kinds  []review.NoticeKind // what it claims
	store  Notices
	render NoticeRenderer
	lease  time.Duration
	poll   time.Duration

	wake chan struct{} // capacity 1: "there may be a new notice"
	stop chan struct{} // closed by drain: send what is due, then return
	done chan struct{} // closed when run returns

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
}

func newDispatcher(b *Bot, lane string, kinds []review.NoticeKind, store Notices, r NoticeRenderer, lease time.Duration) *dispatcher {
	if r == nil {
		panic("bot: WithNotices without a renderer")
	}
	if lease <= 0 {
		lease = defaultNoticeLease
	}
	return &dispatcher{b: b, lane: lane, kinds: kinds, store: store, render: r, lease: lease, poll: noticePoll,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// signal wakes the dispatcher; it never blocks.
func (d *dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// start runs the dispatcher. Its context is not the caller's: due notices
// are still sent after polling stopped, until drain gives up.
func (d *dispatcher) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.mu.Lock()
	d.started, d.cancel = true, cancel
	d.mu.Unlock()
	go d.run(ctx)
}

func (d *dispatcher) run(ctx context.Context) {
	defer close(d.done)
	tick := time.NewTicker(d.poll)
	defer tick.Stop()
	stop := d.stop
	var last time.Time
	for {
		if wait := noticeMinGap - time.Since(last); wait > 0 && stop != nil {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		last = time.Now()
		n := d.round(ctx)
		if ctx.Err() != nil {
			return
		}
		if n == noticeBatch {
			continue // more may be due
		}
		if stop == nil {
			return // draining, and nothing more is due
		}
		select {
		case <-d.wake:
		case <-tick.C:
		case <-stop:
			stop = nil
		case <-ctx.Done():
			return
		}
	}
}

// drain stops waiting for new notices, sends those due for at most
// timeout, and returns. Notices left unsent stay in the store for the
// next process or another replica.
func (d *dispatcher) drain(timeout time.Duration) {
	d.mu.Lock()
	started := d.started
	d.mu.Unlock()
	if !started {
		return
	}
	close(d.stop)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-d.done:
	case <-t.C:
		d.b.log.Warn("bot: notices still due at the drain deadline are left for the next process", "lane", d.lane)
		d.cancel()
		<-d.done
	}
	d.cancel()
}

// round claims one batch of due notices and delivers them in order; it
// returns how many it claimed.
func (d *dispatcher) round(ctx context.Context) int {
	ns, err := d.store.Claim(ctx, d.kinds, noticeBatch, d.lease)
	if err != nil {
		if ctx.Err() == nil {
			d.b.log.Warn("bot: claiming notices failed", "lane", d.lane, "err", err)
		}
		return 0
	}
	// Each notice must be sent well within the lease, else another replica
	// may claim and send it too.
	deadline := time.Now().Add(d.lease * 3 / 4)
	for _, n := range ns {
		if ctx.Err() != nil || time.Until(deadline) < d.lease/4 {
			d.settle(n, nil, errors.New("not sent within the lease"), true)
			continue
		}
		d.deliver(ctx, n, deadline)
	}
	return len(ns)
}

// deliver renders and sends one notice, then records the outcome.
func (d *dispatcher) deliver(parent context.Context, n review.Notice, deadline time.Time) {
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()
	var replies []conversation.Reply
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		replies, err = d.render.RenderNotice(ctx, n)
		if err != nil {
			return fmt.Errorf("render: %w", err)
		}
		sent, err := d.send(ctx, n, replies)
		if err != nil && sent > 0 && permanent(err) {
			// Part went out and the rest never will (a document Telegram
			// refuses): sending it all again would only repeat that part.
			d.b.log.Warn("bot: notice partly sent", "notice", n.ID, "kind", string(n.Kind),
				"application", n.ApplicationID, "sent", sent, "of", len(replies), "err", d.b.redact(err))
			return nil
		}
		return err
	}()
	// Cut short by the shutdown: due again at once, for another replica.
	d.settle(n, replies, err, err != nil && parent.Err() != nil)
}

// permanent reports whether sending again cannot help: Telegram refused
// the request itself (400) or the chat refuses the bot (403).
func permanent(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) || errors.Is(err, tgbot.ErrorForbidden)
}

// send sends a notice's replies in order, from the first that an earlier
// attempt did not get through (n.Sent), and returns how many went out
// (those of earlier attempts included) and the first failure, at which it
// stops. Those for the review group go through its bucket, the others
// directly. Each reply Telegram accepts is recorded with the notice
// (Progress) before the next is sent.
func (d *dispatcher) send(ctx context.Context, n review.Notice, replies []conversation.Reply) (int, error) {
	for _, r := range replies {
		if r.ChatID == 0 {
			return 0, errors.New("a notice's reply has no chat")
		}
	}
	progress := slices.Clone(n.Sent[:min(len(n.Sent), len(replies))])
	rest := resume(replies, progress)
	onSent := func(messageID int) {
		progress = append(progress, messageID)
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeStoreTimeout)
		defer cancel()
		if err := d.store.Progress(pctx, n.ID, progress); err != nil {
			// A later attempt sends this message again.
			d.b.log.Warn("bot: a notice's progress not recorded", "notice", n.ID, "sent", len(progress), "err", err)
		}
	}
	// A run of replies to one side (the group, or not) is rendered at
	// once, so that a document replies to the text before it.
	for len(rest) > 0 {
		group := d.b.isReviewChat(rest[0].ChatID)
		run := 1
		for run < len(rest) && d.b.isReviewChat(rest[run].ChatID) == group {
			run++
		}
		do := direct
		if group && d.b.outbox != nil {
			do = d.b.outbox.attempt
		}
		_, err := d.b.render(ctx, event{chatID: rest[0].ChatID}, rest[:run], do, true, onSent)
		if err != nil {
			return len(progress), err
		}
		rest = rest[run:]
	}
	return len(progress), nil
}

// resume returns the replies after the first len(sent), which an earlier
// attempt got through; a document among them whose text was one of those
// replies to that text's message, recorded in sent.
func resume(replies []conversation.Reply, sent []int) []conversation.Reply {
	done := len(sent)
	if done == 0 {
		return replies
	}
	rest := slices.Clone(replies[done:])
	for i := range rest {
		if rest[i].Document == nil || rest[i].ReplyTo != 0 {
			continue
		}
		// The text this document follows: the last one before it in its chat.
		for j := done + i - 1; j >= 0; j-- {
			r := replies[j]
			if r.ChatID != rest[i].ChatID || r.Text == "" || r.EditMessageID != 0 {
				continue
			}
			if j < done {
				rest[i].ReplyTo = sent[j]
			}
			break
		}
	}
	return rest
}

// settle records a notice's outcome: done, retried later or given up.
// released marks a notice handed back unsent (shutdown, lease running out).
func (d *dispatcher) settle(n review.Notice, replies []conversation.Reply, err error, released bool) {
	ctx, cancel := context.WithTimeout(context.Background(), noticeStoreTimeout)
	defer cancel()
	log := d.b.log.With("notice", n.ID, "kind", string(n.Kind), "application", n.ApplicationID, "attempts", n.Attempts)
	var tmr *tgbot.TooManyRequestsError
	var serr error
	switch {
	case err == nil:
		if serr = d.store.Done(ctx, n.ID); serr == nil {
			log.Debug("bot: notice sent", "messages", len(replies))
		}
	case released:
		serr = d.store.Retry(ctx, n.ID, 0)
	case errors.Is(err, tgbot.ErrorForbidden) || n.Attempts >= maxNoticeAttempts:
		// The chat refuses the bot (blocked, or the bot left the group),
		// or the notice keeps failing: it must not hold up the others.
		if serr = d.store.GiveUp(ctx, n.ID); serr == nil {
			log.Error("bot: notice given up", "err", d.b.redact(err))
		}
	default:
		delay := min(5*time.Second<<min(n.Attempts-1, 10), 10*time.Minute)
		if errors.As(err, &tmr) {
			delay = max(delay, time.Duration(tmr.RetryAfter)*time.Second)
		}
		if serr = d.store.Retry(ctx, n.ID, delay); serr == nil {
			log.Warn("bot: notice not sent, will retry", "delay", delay, "err", d.b.redact(err))
		}
	}
	if serr != nil {
		// The lease runs out and the notice is claimed again.
		log.Warn("bot: recording a notice's outcome failed", "sent", err == nil, "err", serr)
	}
}
