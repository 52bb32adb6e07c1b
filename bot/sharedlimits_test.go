package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/bot/telegramtest"
)

// sharedFake is an in-memory SharedLimits, as adapters/redis keeps them
// (GCRA on this process's clock), that several bots can share as replicas
// share Redis; while down it fails every call.
type sharedFake struct {
	mu      sync.Mutex
	down    bool
	buckets map[string]*fakeBucket
	allows  []string    // keys asked by Allow
	reserve []string    // keys asked by Reserve
	turns   []time.Time // when each token taken may be used
}

type fakeBucket struct {
	tat    time.Time // when the bucket is full again
	lastID int64
	warned bool
}

func newSharedFake() *sharedFake { return &sharedFake{buckets: map[string]*fakeBucket{}} }

var errRedisDown = errors.New("redis: rate limit: connection refused")

func (f *sharedFake) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// take is the GCRA step: the token's wait, and whether it is within maxWait.
// A token taken is recorded with its turn (when it may be used).
func (f *sharedFake) take(key string, every time.Duration, burst int, maxWait time.Duration) (*fakeBucket, time.Duration, bool) {
	b := f.buckets[key]
	if b == nil {
		b = &fakeBucket{}
		f.buckets[key] = b
	}
	now := time.Now()
	next := now.Add(every)
	if b.tat.After(now) {
		next = b.tat.Add(every)
	}
	wait := next.Sub(now) - time.Duration(burst)*every
	if wait > maxWait {
		return b, wait, false
	}
	b.tat = next
	f.turns = append(f.turns, now.Add(max(wait, 0)))
	return b, max(wait, 0), true
}

func (f *sharedFake) Allow(_ context.Context, key string, id int64, every time.Duration, burst int) (ok, first bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allows = append(f.allows, key)
	if f.down {
		return false, false, errRedisDown
	}
	if b := f.buckets[key]; b != nil && b.lastID == id {
		return true, false, nil
	}
	b, _, ok := f.take(key, every, burst, 0)
	if !ok {
		first = !b.warned
		b.warned = true
		return false, first, nil
	}
	b.lastID, b.warned = id, false
	return true, false, nil
}

func (f *sharedFake) Reserve(_ context.Context, key string, every time.Duration, burst int, maxWait time.Duration) (time.Duration, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserve = append(f.reserve, key)
	if f.down {
		return 0, false, errRedisDown
	}
	_, wait, ok := f.take(key, every, burst, maxWait)
	return wait, ok, nil
}

func (f *sharedFake) keys() (allows, reserves []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.allows), slices.Clone(f.reserve)
}

// reservedTurns returns the turns of the tokens taken, in order.
func (f *sharedFake) reservedTurns() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.SortedFunc(slices.Values(f.turns), time.Time.Compare)
}

// limitObserver counts SharedLimitFailed by limit.
type limitObserver struct {
	nopObserver
	mu     sync.Mutex
	failed map[string]int
}

func (o *limitObserver) SharedLimitFailed(limit string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed == nil {
		o.failed = map[string]int{}
	}
	o.failed[limit]++
}

func (o *limitObserver) count(limit string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed[limit]
}

// TestSharedChatLimitHoldsAcrossReplicas: two replicas (two bots, each
// with its own Telegram connection) taking from the same shared buckets
// let a flooding chat through the limit once, not once each, and tell it
// once; the review group takes no token.
func TestSharedChatLimitHoldsAcrossReplicas(t *testing.T) {
	shared := newSharedFake()
	eng := newEngine()
	var servers [2]*telegramtest.Server
	var bots [2]*Bot
	for i := range servers {
		servers[i] = telegramtest.New(t, telegramtest.WithFirstUpdateID(int64(101+1000*i)))
		bots[i], _ = startBot(t, servers[i], eng, WithChatRate(rate.Every(time.Hour), 3),
			WithReviewChatID(group.ID), WithSharedLimits(shared))
	}
	var last [2]int64
	for i := range 8 {
		last[i%2] = servers[i%2].SendText(alice, strings.Repeat("x", i+1))
	}
	for i := range servers {
		if !servers[i].WaitConfirmed(last[i], wait) {
			t.Fatalf("replica %d: the flood was not confirmed", i)
		}
		waitIdle(t, bots[i])
	}
	for range 3 {
		recv(t, eng.inputs)
	}
	assertEmpty(t, eng.inputs)
	told := 0
	for _, s := range servers {
		for _, m := range s.Messages(alice.ID) {
			if strings.Contains(m.Text, "太快") {
				told++
			}
		}
	}
	if told != 1 {
		t.Errorf("the flooding chat was told %d times, want once across the replicas", told)
	}

	servers[0].SendText(group, "/pending")
	recv(t, eng.reviews)
	allows, _ := shared.keys()
	if len(allows) != 8 || slices.ContainsFunc(allows, func(k string) bool { return k != "chat:501" }) {
		t.Errorf("shared buckets asked: %q; want chat:501 for each of the 8 updates, the group never", allows)
	}
}

// TestSharedChatLimitFallsBack: while the shared buckets fail, this
// process's bucket decides (a flood is still limited, nobody is refused
// for the failure), the failure is logged once and counted each time;
// once they answer again they decide again.
func TestSharedChatLimitFallsBack(t *testing.T) {
	s := telegramtest.New(t)
	shared := newSharedFake()
	shared.setDown(true)
	eng := newEngine()
	obs := &limitObserver{}
	b, logs := newBot(t, s, eng, WithChatRate(rate.Every(time.Hour), 2), WithReviewChatID(group.ID),
		WithSharedLimits(shared), WithObserver(obs))
	b.shared.retry = 0 // ask the shared buckets every time
	run(t, b)

	var last int64
	for range 3 {
		last = s.SendText(alice, "x")
	}
	if !s.WaitConfirmed(last, wait) {
		t.Fatal("the flood was not confirmed")
	}
	waitIdle(t, b)
	recv(t, eng.inputs)
	recv(t, eng.inputs)
	assertEmpty(t, eng.inputs)
	if n := obs.count(limitChat); n != 3 {
		t.Errorf("SharedLimitFailed(chat) %d times, want 3", n)
	}
	if n := strings.Count(logs.String(), "shared rate limit failed"); n != 1 {
		t.Errorf("the failure logged %d times, want once:\n%s", n, logs)
	}

	// Back: the shared bucket (full) decides, not the process's (empty).
	shared.setDown(false)
	s.SendText(alice, "y")
	if in := recv(t, eng.inputs); in.Text != "y" {
		t.Errorf("input %q, want y", in.Text)
	}
	if !strings.Contains(logs.String(), "shared rate limit works again") {
		t.Error("the recovery was not logged")
	}
}

// TestSharedGroupBudgetAcrossReplicas: two replicas sending to the review
// group, one through the durable notices' group lane and one through the
// in-memory outbox, reserve their turns in the one shared bucket (which
// spaces the turns) and send each message no earlier than its turn: the
// k-th message the group gets comes after the k-th turn. (Comparing the
// messages' own gaps would depend on how long each takes to reach the fake
// server, as two senders run side by side.)
func TestSharedGroupBudgetAcrossReplicas(t *testing.T) {
	const every = 150 * time.Millisecond
	shared := newSharedFake()
	var servers [2]*telegramtest.Server
	for i := range servers {
		servers[i] = telegramtest.New(t, telegramtest.WithFirstUpdateID(int64(101+1000*i)))
	}
	store := newMemNotices()
	a, _ := newBot(t, servers[0], reviewingEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Every(every), 1),
		WithSharedLimits(shared), WithNotices(store, &renderer{}))
	a.notices.setPoll(time.Hour)
	run(t, a)
	startBot(t, servers[1], reviewingEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Every(every), 1),
		WithSharedLimits(shared))

	const each = 4
	for range each {
		servers[0].SendText(group, "/pending")
		servers[1].SendText(group, "/pending")
	}
	var calls []telegramtest.Call
	for i, s := range servers {
		if !s.WaitFor(2*wait, func() bool { return len(sentTo(s, "sendMessage", group.ID)) == each }) {
			t.Fatalf("replica %d sent %d of its %d messages to the group", i, len(sentTo(s, "sendMessage", group.ID)), each)
		}
		calls = append(calls, sentTo(s, "sendMessage", group.ID)...)
	}
	slices.SortFunc(calls, func(x, y telegramtest.Call) int { return x.At.Compare(y.At) })
	turns := shared.reservedTurns()
	if len(turns) != len(calls) {
		t.Fatalf("%d turns reserved for %d messages", len(turns), len(calls))
	}
	for i := range calls {
		if calls[i].At.Before(turns[i]) {
			t.Errorf("group message %d (of both replicas) sent %v before the %d. turn", i+1, turns[i].Sub(calls[i].At), i+1)
		}
		if i > 0 && turns[i].Sub(turns[i-1]) < every {
			t.Errorf("turns %d and %d %v apart, want %v", i, i+1, turns[i].Sub(turns[i-1]), every)
		}
	}
	if r := store.replies(); len(r) != each {
		t.Errorf("replica 0 stored %d replies notices, want %d (its lane sends through the shared bucket)", len(r), each)
	}
	_, reserves := shared.keys()
	if len(reserves) != 2*each || slices.ContainsFunc(reserves, func(k string) bool { return k != "group:-100123" }) {
		t.Errorf("turns reserved: %q; want group:-100123 for each of the %d messages", reserves, 2*each)
	}
}

// TestSharedGroupBudgetFallsBack: while the shared bucket fails, the
// process's own spaces the group's messages; nothing is lost.
func TestSharedGroupBudgetFallsBack(t *testing.T) {
	const every = 150 * time.Millisecond
	s := telegramtest.New(t)
	shared := newSharedFake()
	shared.setDown(true)
	obs := &limitObserver{}
	b, logs := newBot(t, s, reviewingEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Every(every), 1),
		WithSharedLimits(shared), WithObserver(obs))
	b.shared.retry = 0
	run(t, b)
	for range 3 {
		s.SendText(group, "/pending")
	}
	if !s.WaitFor(2*wait, func() bool { return len(sentTo(s, "sendMessage", group.ID)) == 3 }) {
		t.Fatalf("the group got %d of 3 messages", len(sentTo(s, "sendMessage", group.ID)))
	}
	calls := sentTo(s, "sendMessage", group.ID)
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].At.Sub(calls[i-1].At); gap < spaced(every) {
			t.Errorf("group messages %d and %d only %v apart, want %v", i-1, i, gap, every)
		}
	}
	if obs.count(limitGroup) != 3 || !strings.Contains(logs.String(), "shared rate limit failed") {
		t.Errorf("SharedLimitFailed(group) %d times, want 3, logged once", obs.count(limitGroup))
	}
}

// TestSharedGroupTurnPastDeadline: a notice whose turn in the shared bucket
// comes after its deadline is not sent now (the dispatcher retries it).
func TestSharedGroupTurnPastDeadline(t *testing.T) {
	s := telegramtest.New(t)
	shared := newSharedFake()
	b, _ := newBot(t, s, newEngine(), WithReviewChatID(group.ID), WithReviewRate(rate.Every(time.Hour), 1),
		WithSharedLimits(shared))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.outbox.take(ctx); err != nil {
		t.Fatalf("first token: %v", err)
	}
	if err := b.outbox.take(ctx); err == nil || !strings.Contains(err.Error(), "after the deadline") {
		t.Fatalf("a turn an hour away within a minute's deadline: %v", err)
	}
	_, reserves := shared.keys()
	if len(reserves) != 2 {
		t.Errorf("%d reservations asked, want 2", len(reserves))
	}
}
