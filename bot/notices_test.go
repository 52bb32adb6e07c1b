package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/review"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// memNotices is an in-memory Notices that records what the dispatcher did
// with each notice. A notice retried with a delay is not due again, unless
// ignoreDelays is set: then it is due at once (no test waits minutes).
type memNotices struct {
	mu           sync.Mutex
	rows         []*memNotice
	changed      chan struct{} // closed and replaced on every change
	ignoreDelays bool
	// addReplies, if set, runs at the start of AddReplies; an error fails it.
	addReplies func(key string) error
	addCalls   int // AddReplies calls that got past addReplies
}

type memNotice struct {
	n        review.Notice
	key      string // a replies notice's
	leased   bool
	done     bool
	gaveUp   bool
	delays   []time.Duration
	released int  // Retry calls
	later    bool // retried with a delay not yet over
	sent     []int
}

func newMemNotices() *memNotices { return &memNotices{changed: make(chan struct{})} }

func (m *memNotices) bumpLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// add records a notice, as Registrations does in a transaction.
func (m *memNotices) add(kind review.NoticeKind, appID int64) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := int64(len(m.rows) + 1)
	m.rows = append(m.rows, &memNotice{n: review.Notice{ID: id, Kind: kind, ApplicationID: appID, Version: 1}})
	m.bumpLocked()
	return id
}

// AddReplies records a replies notice, unless one with key exists.
func (m *memNotices) AddReplies(_ context.Context, key string, replies []conversation.Reply) error {
	if m.addReplies != nil {
		if err := m.addReplies(key); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addCalls++
	m.bumpLocked()
	for _, r := range m.rows {
		if r.key == key {
			return nil
		}
	}
	id := int64(len(m.rows) + 1)
	m.rows = append(m.rows, &memNotice{n: review.Notice{ID: id, Kind: review.NoticeReplies, Replies: slices.Clone(replies)}, key: key})
	m.bumpLocked()
	return nil
}

// expireDelays makes every retry delay run out, as if time passed.
func (m *memNotices) expireDelays() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		r.later = false
	}
	m.bumpLocked()
}

// calls returns how many AddReplies calls got past the hook.
func (m *memNotices) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addCalls
}

// replies returns the replies notices recorded, oldest first.
func (m *memNotices) replies() []memNotice {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []memNotice
	for _, r := range m.rows {
		if r.n.Kind == review.NoticeReplies {
			out = append(out, *r)
		}
	}
	return out
}

func (m *memNotices) Claim(_ context.Context, kinds []review.NoticeKind, limit int, _ time.Duration) ([]review.Notice, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []review.Notice
	for _, r := range m.rows {
		if len(out) == limit {
			break
		}
		if r.leased || r.done || r.gaveUp || r.later || kinds != nil && !slices.Contains(kinds, r.n.Kind) {
			continue
		}
		r.leased = true
		r.n.Attempts++
		r.n.Sent = slices.Clone(r.sent)
		out = append(out, r.n)
	}
	if len(out) > 0 {
		m.bumpLocked()
	}
	return out, nil
}

func (m *memNotices) update(id int64, f func(r *memNotice)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.rows[id-1])
	m.bumpLocked()
	return nil
}

func (m *memNotices) Progress(_ context.Context, id int64, sent []int) error {
	return m.update(id, func(r *memNotice) { r.sent = slices.Clone(sent) })
}

func (m *memNotices) Done(_ context.Context, id int64) error {
	return m.update(id, func(r *memNotice) { r.done, r.leased = true, false })
}

func (m *memNotices) Retry(_ context.Context, id int64, delay time.Duration) error {
	return m.update(id, func(r *memNotice) {
		r.leased, r.released, r.delays = false, r.released+1, append(r.delays, delay)
		r.later = delay > 0 && !m.ignoreDelays
	})
}

func (m *memNotices) GiveUp(_ context.Context, id int64) error {
	return m.update(id, func(r *memNotice) { r.gaveUp, r.leased = true, false })
}

// get returns a copy of notice id's state (zero if not recorded yet).
func (m *memNotices) get(id int64) memNotice {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(id) > len(m.rows) {
		return memNotice{}
	}
	return *m.rows[id-1]
}

// waitFor re-evaluates cond on every change of the store until it holds
// or wait passes.
func (m *memNotices) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		ch := m.changed
		m.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, wait)
		}
	}
}

// renderer renders a notice as the engine would: a submission as the
// group's notice and two documents, a decision as the applicant's message.
type renderer struct {
	mu    sync.Mutex
	fail  error // returned by every render while set
	calls int
}

func (r *renderer) RenderNotice(_ context.Context, n review.Notice) ([]conversation.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		return nil, r.fail
	}
	if n.Kind == review.NoticeReplies {
		return n.Replies, nil
	}
	if n.Kind == review.NoticeDecided {
		return []conversation.Reply{{ChatID: alice.ID, Text: fmt.Sprintf("已审核通过 %d", n.ApplicationID)}}, nil
	}
	return []conversation.Reply{
		groupNotice(fmt.Sprintf("新注册申请 %d", n.ApplicationID)),
		{ChatID: group.ID, Document: &conversation.OutDocument{BlobKey: "k1", FileName: "准入目录.pdf"}},
		{ChatID: group.ID, Document: &conversation.OutDocument{BlobKey: "k1", FileName: "营业执照.pdf"}},
	}, nil
}

// submitting is an engine whose "submit" records a submitted notice, as
// Registrations.Submit does, and answers the applicant.
func submitting(store *memNotices) *fakeEngine {
	eng := newEngine()
	var app int64
	var mu sync.Mutex
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.Text == "submit" {
			mu.Lock()
			app++
			store.add(review.NoticeSubmitted, app)
			mu.Unlock()
			return []conversation.Reply{{Text: "submitted"}}, nil
		}
		return []conversation.Reply{{Text: "status"}}, nil
	}
	return eng
}

// setPoll sets how often both lanes poll.
func (l *noticeLanes) setPoll(d time.Duration) { l.group.poll, l.applicants.poll = d, d }

// TestNoticesSentThroughTheGroupBucket: a notice recorded while handling
// an update is sent at once (the dispatcher is woken, not polling), in
// order, its documents replying to its text, spaced by the group's bucket
// like the rest of the outbox, and marked done.
func TestNoticesSentThroughTheGroupBucket(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	const every = 150 * time.Millisecond
	b, _ := newBot(t, s, submitting(store), WithReviewChatID(group.ID), WithReviewRate(rate.Every(every), 1),
		WithNotices(store, &renderer{}))
	b.notices.setPoll(time.Hour) // only the wake-up can send it
	run(t, b)
	s.SendText(alice, "submit")
	s.SendText(bob, "submit")
	store.waitFor(t, "both notices done", func() bool { return store.get(1).done && store.get(2).done })
	msgs := s.Messages(group.ID)
	if len(msgs) != 6 {
		t.Fatalf("group has %d messages, want 2 notices with 2 documents each", len(msgs))
	}
	for i := 0; i < 6; i += 3 {
		if msgs[i].Text != "新注册申请 1" && msgs[i].Text != "新注册申请 2" || len(msgs[i].Buttons) == 0 {
			t.Errorf("group message %d = %q, want a notice with buttons", i, msgs[i].Text)
		}
		if msgs[i+1].ReplyTo != msgs[i].ID || msgs[i+2].ReplyTo != msgs[i].ID {
			t.Errorf("documents %d and %d do not reply to their notice", i+1, i+2)
		}
	}
	var calls []telegramtest.Call
	for _, m := range []string{"sendMessage", "sendDocument"} {
		calls = append(calls, sentTo(s, m, group.ID)...)
	}
	for i := range calls {
		for j := range calls {
			if gap := calls[j].At.Sub(calls[i].At); i != j && gap >= 0 && gap < spaced(every) {
				t.Errorf("group calls %d and %d only %v apart, want %v", i, j, gap, every)
			}
		}
	}
	for _, c := range []telegramtest.Chat{alice, bob} {
		if n := len(sentTo(s, "sendMessage", c.ID)); n != 1 {
			t.Errorf("chat %d got %d messages, want its answer", c.ID, n)
		}
	}
}

// TestNoticesOfOthersArePolled: a notice this process was not woken for
// (recorded by another replica, or left by a crashed one) is found by
// polling.
func TestNoticesOfOthersArePolled(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	b, _ := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1), WithNotices(store, &renderer{}))
	b.notices.setPoll(50 * time.Millisecond)
	run(t, b)
	id := store.add(review.NoticeDecided, 7)
	store.waitFor(t, "the notice done", func() bool { return store.get(id).done })
	if m, ok := s.LastMessage(alice.ID); !ok || m.Text != "已审核通过 7" {
		t.Errorf("applicant got %+v, want the decision", m)
	}
}

// TestApplicantNoticeNotBehindTheGroup: while the group's lane waits out
// a 429 (30 s, within the lease), an applicant's decision is sent at once
// by the other lane.
func TestApplicantNoticeNotBehindTheGroup(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	b, _ := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1),
		WithNotices(store, &renderer{}), WithDrainTimeout(10*time.Millisecond))
	b.notices.setPoll(20 * time.Millisecond)
	s.FailNextIn("sendMessage", group.ID, 1, 429, 30)
	stop := startStoppable(t, b)
	defer stop()
	held := store.add(review.NoticeSubmitted, 1)
	if _, ok := s.WaitFailed("sendMessage", group.ID, 429, wait); !ok {
		t.Fatal("the group's notice was never attempted")
	}
	decided := store.add(review.NoticeDecided, 2)
	store.waitFor(t, "the applicant's notice sent", func() bool { return store.get(decided).done })
	if store.get(held).done || len(sentTo(s, "sendMessage", group.ID)) != 0 {
		t.Fatal("the group's notice went out within its 429")
	}
	if m, ok := s.LastMessage(alice.ID); !ok || m.Text != "已审核通过 2" {
		t.Errorf("applicant got %+v", m)
	}
}

// TestNoticeResumedWhereItStopped: a notice whose text went out and whose
// document was refused with a 429 beyond the lease is sent again from the
// document, which replies to the text sent by the first attempt; the text
// is not sent twice.
func TestNoticeResumedWhereItStopped(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	store.ignoreDelays = true
	b, _ := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1),
		WithNotices(store, &renderer{}), WithNoticeLease(2*time.Second))
	b.notices.setPoll(20 * time.Millisecond)
	s.FailNextIn("sendDocument", group.ID, 1, 429, 60)
	run(t, b)
	id := store.add(review.NoticeSubmitted, 7)
	store.waitFor(t, "the notice done", func() bool { return store.get(id).done })
	r := store.get(id)
	if r.released != 1 || r.n.Attempts != 2 {
		t.Errorf("notice released %d times in %d attempts; want once, then sent", r.released, r.n.Attempts)
	}
	msgs := s.Messages(group.ID)
	if len(msgs) != 3 {
		t.Fatalf("group got %d messages, want the notice once and its 2 documents: %+v", len(msgs), msgs)
	}
	if msgs[0].Text != "新注册申请 7" || msgs[1].ReplyTo != msgs[0].ID || msgs[2].ReplyTo != msgs[0].ID {
		t.Errorf("documents do not reply to the notice sent by the first attempt: %+v", msgs)
	}
	if fmt.Sprint(r.sent) != fmt.Sprintf("[%d 0 0]", msgs[0].ID) {
		t.Errorf("progress recorded %v", r.sent)
	}
}

// TestNotice429 checks that a 429 to the group is waited out when
// retry_after fits in the notice's lease, and otherwise hands the notice
// back to the store, due again after retry_after; either way it is sent
// once and an applicant is answered meanwhile.
func TestNotice429(t *testing.T) {
	t.Run("within the lease", func(t *testing.T) {
		s := telegramtest.New(t)
		store := newMemNotices()
		b, _ := newBot(t, s, submitting(store), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1),
			WithNotices(store, &renderer{}), WithUpdateTimeout(500*time.Millisecond))
		run(t, b)
		s.FailNextIn("sendMessage", group.ID, 1, 429, 1)
		s.SendText(alice, "submit")
		failed, limited := s.WaitFailed("sendMessage", 0, 429, wait)
		if !limited {
			t.Fatal("no 429")
		}
		s.SendText(alice, "/status")
		if !s.WaitFor(wait, func() bool { return len(sentTo(s, "sendMessage", alice.ID)) == 2 }) {
			t.Fatal("applicant not answered")
		}
		store.waitFor(t, "the notice done", func() bool { return store.get(1).done })
		ok := sentTo(s, "sendMessage", group.ID)
		if len(ok) != 1 || ok[0].At.Sub(failed.At) < 950*time.Millisecond {
			t.Errorf("group got %d notices, the first %v after the 429; want 1 after retry_after (1 s)", len(ok), ok[0].At.Sub(failed.At))
		}
		if r := store.get(1); r.released != 0 || r.n.Attempts != 1 {
			t.Errorf("notice released %d times in %d attempts, want waited out in 1", r.released, r.n.Attempts)
		}
	})
	t.Run("beyond the lease", func(t *testing.T) {
		s := telegramtest.New(t)
		store := newMemNotices()
		b, _ := newBot(t, s, submitting(store), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1),
			WithNotices(store, &renderer{}), WithNoticeLease(2*time.Second))
		b.notices.setPoll(50 * time.Millisecond)
		store.ignoreDelays = true
		run(t, b)
		s.FailNextIn("sendMessage", group.ID, 1, 429, 60)
		s.SendText(alice, "submit")
		store.waitFor(t, "the notice done", func() bool { return store.get(1).done })
		r := store.get(1)
		if r.released != 1 || r.delays[0] < time.Minute || r.n.Attempts != 2 {
			t.Errorf("notice released %d times with delays %v in %d attempts; want once, after retry_after (60 s), then sent",
				r.released, r.delays, r.n.Attempts)
		}
		if n := len(sentTo(s, "sendMessage", group.ID)); n != 1 {
			t.Errorf("group got %d notices, want 1", n)
		}
	})
}

// TestNoticesGivenUp: a chat that blocked the bot gives its notice up at
// once; a notice that keeps failing gives up after maxNoticeAttempts. The
// others still go out, and the logs name ids only.
func TestNoticesGivenUp(t *testing.T) {
	s := telegramtest.New(t)
	store := newMemNotices()
	store.ignoreDelays = true
	r := &renderer{}
	b, logs := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Inf, 1), WithNotices(store, r))
	b.notices.setPoll(20 * time.Millisecond)
	s.FailNextIn("sendMessage", alice.ID, 1, 403, 0)
	blocked := store.add(review.NoticeDecided, 1)
	run(t, b)
	store.waitFor(t, "the blocked chat's notice given up", func() bool { return store.get(blocked).gaveUp })
	if n := store.get(blocked).n.Attempts; n != 1 {
		t.Errorf("blocked chat's notice given up after %d attempts, want 1", n)
	}

	r.mu.Lock()
	r.fail = errors.New("postgres: get: unavailable")
	r.mu.Unlock()
	failing := store.add(review.NoticeDecided, 2)
	store.waitFor(t, "the failing notice given up", func() bool { return store.get(failing).gaveUp })
	if n := store.get(failing).n.Attempts; n != maxNoticeAttempts {
		t.Errorf("failing notice given up after %d attempts, want %d", n, maxNoticeAttempts)
	}
	r.mu.Lock()
	r.fail = nil
	r.mu.Unlock()
	fine := store.add(review.NoticeSubmitted, 3)
	store.waitFor(t, "the next notice done", func() bool { return store.get(fine).done })
	if got := strings.Count(logs.String(), "notice given up"); got != 2 {
		t.Errorf("%d give-ups logged, want 2:\n%s", got, logs.String())
	}
	if strings.Contains(logs.String(), "已审核通过") {
		t.Error("a notice's text was logged")
	}
}

func TestNoticesDrainedOnShutdown(t *testing.T) {
	for _, tt := range []struct {
		name  string
		every time.Duration
		drain time.Duration
		done  int
	}{
		{"within the deadline", 50 * time.Millisecond, wait, 3},
		{"past the deadline", 400 * time.Millisecond, 200 * time.Millisecond, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := telegramtest.New(t)
			store := newMemNotices()
			b, _ := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Every(tt.every), 1),
				WithDrainTimeout(tt.drain), WithNotices(store, &renderer{}))
			// Use up the burst: the first message waits for the next token.
			b.outbox.limiter.Allow()
			for i := range 3 {
				store.add(review.NoticeSubmitted, int64(i+1))
			}
			stop := startStoppable(t, b)
			if !s.WaitFor(wait, func() bool { return len(s.Calls("setMyCommands")) > 0 }) {
				t.Fatal("bot not started")
			}
			stop()
			sent, due := 0, 0
			for id := int64(1); id <= 3; id++ {
				r := store.get(id)
				switch {
				case r.done:
					sent++
				case !r.leased && !r.gaveUp && !r.later:
					due++ // handed back for the next process at once
				}
			}
			if sent != tt.done || sent+due != 3 {
				t.Errorf("after shutdown %d notices sent, %d due again; want %d sent, the rest due", sent, due, tt.done)
			}
			if n := len(sentTo(s, "sendMessage", group.ID)); n != tt.done {
				t.Errorf("%d group notices sent, want %d", n, tt.done)
			}
		})
	}
}
