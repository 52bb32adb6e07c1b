package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

func TestMain(m *testing.M) { devstack.Main(m) }

// mustOpen connects to a fresh database of the test binary's redis-server.
func mustOpen(tb testing.TB) *Client {
	tb.Helper()
	c, err := Open(context.Background(), devstack.MustRedis(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func TestSessionStore(t *testing.T) {
	testSessionStore(t, func(t *testing.T) conversation.SessionStore {
		return NewSessionStore(mustOpen(t), 0)
	})
}

// testSessionStore checks the conversation.SessionStore contract against
// the stores that newStore returns, a new one for each subtest.
func testSessionStore(t *testing.T, newStore func(t *testing.T) conversation.SessionStore) {
	const chat = 42

	t.Run("new chat gets a zero session", func(t *testing.T) {
		store := newStore(t)
		calls := 0
		err := store.Update(t.Context(), chat, 1, func(s *conversation.Session) error {
			calls++
			if diff := cmp.Diff(conversation.Session{}, *s); diff != "" {
				t.Errorf("session of a new chat (-want +got):\n%s", diff)
			}
			return nil
		})
		if err != nil || calls != 1 {
			t.Fatalf("Update = %v after %d calls of fn; want nil after 1", err, calls)
		}
	})

	t.Run("saved session round-trips", func(t *testing.T) {
		store := newStore(t)
		want := conversation.Session{
			State:     "await_name",
			Lang:      "zh",
			History:   []conversation.State{"start", "notice"},
			DraftID:   "d-1",
			UpdatedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
			App: domain.Application{
				Basic:    domain.Basic{EnterpriseName: "重庆银行股份有限公司", CreditCode: "91500000202869177Y"},
				Accounts: []domain.MarketingAccount{{Number: "5000123", Units: []domain.Unit{{MeteringPoint: domain.MeteringPoint{ID: "MP1"}}}}},
			},
			Scratch: conversation.Scratch{Keyword: "银行", Page: 2},
		}
		var saved *conversation.Session
		err := store.Update(t.Context(), chat, 7, func(s *conversation.Session) error {
			*s = want
			saved = s
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if saved.Version != 1 || saved.LastUpdateID != 7 {
			t.Errorf("after the first save: Version, LastUpdateID = %d, %d; want 1, 7", saved.Version, saved.LastUpdateID)
		}
		store.Replied(t.Context(), chat, 7)
		want.Version, want.LastUpdateID = 1, 7
		err = store.Update(t.Context(), chat, 8, func(s *conversation.Session) error {
			if diff := cmp.Diff(want, *s); diff != "" {
				t.Errorf("loaded session (-saved +loaded):\n%s", diff)
			}
			saved = s
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if saved.Version != 2 || saved.LastUpdateID != 8 {
			t.Errorf("after the second save: Version, LastUpdateID = %d, %d; want 2, 8", saved.Version, saved.LastUpdateID)
		}
	})

	t.Run("redelivered update is refused without calling fn", func(t *testing.T) {
		store := newStore(t)
		setState(t, store, chat, 10, "a")
		err := store.Update(t.Context(), chat, 10, func(s *conversation.Session) error {
			t.Error("fn called for update 10 again")
			return nil
		})
		if !errors.Is(err, conversation.ErrDuplicateUpdate) {
			t.Errorf("Update(10) again = %v; want ErrDuplicateUpdate", err)
		}
		if got := state(t, store, chat); got != "a" {
			t.Errorf("state = %q; want a", got)
		}
	})

	t.Run("a late update is applied, not dropped", func(t *testing.T) {
		store := newStore(t)
		setState(t, store, chat, 10, "a")
		setState(t, store, chat, 9, "b") // delivered after 10, never applied
		if got := state(t, store, chat); got != "b" {
			t.Errorf("state = %q; want b", got)
		}
		for _, id := range []int64{9, 10} {
			err := store.Update(t.Context(), chat, id, func(*conversation.Session) error { return nil })
			if !errors.Is(err, conversation.ErrDuplicateUpdate) {
				t.Errorf("Update(%d) again = %v; want ErrDuplicateUpdate", id, err)
			}
		}
	})

	t.Run("only the last ids are remembered", func(t *testing.T) {
		store := newStore(t)
		for id := int64(100); id < 120; id++ {
			setState(t, store, chat, id, "a")
		}
		// 50 is older than every remembered id: taken as applied.
		err := store.Update(t.Context(), chat, 50, func(*conversation.Session) error { return nil })
		if !errors.Is(err, conversation.ErrDuplicateUpdate) {
			t.Errorf("Update(50) after 100…119 = %v; want ErrDuplicateUpdate", err)
		}
	})

	t.Run("update ID 0 skips the redelivery check", func(t *testing.T) {
		store := newStore(t)
		setState(t, store, chat, 10, "a")
		setState(t, store, chat, 0, "b")
		var last int64
		err := store.Update(t.Context(), chat, 0, func(s *conversation.Session) error {
			last = s.LastUpdateID
			return nil
		})
		if err != nil || last != 10 {
			t.Errorf("after updates 10 and 0: Update = %v, LastUpdateID %d; want nil, 10", err, last)
		}
		if err := store.Update(t.Context(), chat, 10, func(*conversation.Session) error { return nil }); !errors.Is(err, conversation.ErrDuplicateUpdate) {
			t.Errorf("update 10 again = %v; want ErrDuplicateUpdate", err)
		}
	})

	t.Run("error from fn saves nothing", func(t *testing.T) {
		store := newStore(t)
		setState(t, store, chat, 1, "a")
		errFn := errors.New("fn failed")
		err := store.Update(t.Context(), chat, 2, func(s *conversation.Session) error {
			s.State = "b"
			return errFn
		})
		if err != errFn {
			t.Errorf("Update = %v; want fn's error as is", err)
		}
		if got := state(t, store, chat); got != "a" {
			t.Errorf("state = %q; want a", got)
		}
		// Update 2 was not applied, so it may come again.
		setState(t, store, chat, 2, "b")
	})

	t.Run("concurrent updates all land", func(t *testing.T) {
		store := newStore(t)
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = store.Update(t.Context(), chat, 0, func(s *conversation.Session) error {
					s.History = append(s.History, conversation.State(strconv.Itoa(i)))
					return nil
				})
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		var got []conversation.State
		var version int64
		store.Update(t.Context(), chat, 0, func(s *conversation.Session) error {
			got, version = s.History, s.Version
			return nil
		})
		slices.Sort(got)
		want := make([]conversation.State, n)
		for i := range want {
			want[i] = conversation.State(strconv.Itoa(i))
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ticked after %d concurrent updates (-want +got):\n%s", n, diff)
		}
		if version != n {
			t.Errorf("Version = %d; want %d", version, n)
		}
	})

	t.Run("chats are separate", func(t *testing.T) {
		store := newStore(t)
		setState(t, store, chat, 5, "a")
		setState(t, store, chat+1, 5, "b")
		if got := state(t, store, chat); got != "a" {
			t.Errorf("state = %q; want a", got)
		}
	})

	t.Run("delete forgets the session", func(t *testing.T) {
		store := newStore(t)
		setState(t, store, chat, 5, "a")
		if err := store.Delete(t.Context(), chat); err != nil {
			t.Fatal(err)
		}
		if got := state(t, store, chat); got != "" {
			t.Errorf("state after Delete = %q; want none", got)
		}
		if err := store.Delete(t.Context(), chat+1); err != nil {
			t.Errorf("Delete of a chat without session: %v", err)
		}
	})
}

func setState(t *testing.T, store conversation.SessionStore, chat, updateID int64, st conversation.State) {
	t.Helper()
	err := store.Update(t.Context(), chat, updateID, func(s *conversation.Session) error {
		s.State = st
		return nil
	})
	if err != nil {
		t.Fatalf("set state %s: %v", st, err)
	}
	store.Replied(t.Context(), chat, updateID)
}

// state returns the chat's state, through an update with ID 0.
func state(t *testing.T, store conversation.SessionStore, chat int64) conversation.State {
	t.Helper()
	var st conversation.State
	err := store.Update(t.Context(), chat, 0, func(s *conversation.Session) error {
		st = s.State
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestTTLIsSetAndRefreshed(t *testing.T) {
	c := mustOpen(t)
	store := NewSessionStore(c, 0)
	ctx := t.Context()
	setState(t, store, 1, 1, "a")
	key := sessionKey(1)
	if ttl := c.rdb.PTTL(ctx, key).Val(); ttl < DefaultTTL-time.Minute || ttl > DefaultTTL {
		t.Errorf("TTL after a write = %v; want about %v", ttl, DefaultTTL)
	}
	c.rdb.PExpire(ctx, key, time.Minute)
	setState(t, store, 1, 2, "b")
	if ttl := c.rdb.PTTL(ctx, key).Val(); ttl < DefaultTTL-time.Minute {
		t.Errorf("TTL after another write = %v; want it refreshed to about %v", ttl, DefaultTTL)
	}

	store = NewSessionStore(c, 90*time.Second)
	setState(t, store, 2, 1, "a")
	if ttl := c.rdb.PTTL(ctx, sessionKey(2)).Val(); ttl < 89*time.Second || ttl > 90*time.Second {
		t.Errorf("TTL with a 90s store = %v", ttl)
	}
}

func TestKeyLayout(t *testing.T) {
	c := mustOpen(t)
	store := NewSessionStore(c, 0)
	setState(t, store, -1001234, 3, "a")
	h, err := c.rdb.HGetAll(t.Context(), "regbot:sess:{-1001234}").Result()
	if err != nil {
		t.Fatal(err)
	}
	if h["v"] != "1" || h["u"] != "3" || !strings.Contains(h["d"], `"s":"a"`) {
		t.Errorf("hash = %v; want v=1, u=3 and the JSON in d", h)
	}
}

// Another process applies the same update while fn runs (it takes this
// one for gone, as a restarted poller would): the write is refused as a
// duplicate, not retried.
func TestDuplicateFromAnotherReplica(t *testing.T) {
	c := mustOpen(t)
	store := NewSessionStore(c, 0)
	other := NewSessionStore(c, 0)
	other.SingleConsumer = true
	calls := 0
	err := store.Update(t.Context(), 1, 5, func(s *conversation.Session) error {
		calls++
		setState(t, other, 1, 5, "other")
		s.State = "mine"
		return nil
	})
	if !errors.Is(err, conversation.ErrDuplicateUpdate) || calls != 1 {
		t.Errorf("Update = %v after %d calls of fn; want ErrDuplicateUpdate after 1", err, calls)
	}
	if got := state(t, store, 1); got != "other" {
		t.Errorf("state = %q; want the other replica's", got)
	}
}

// inFlight reports whether an update of chat is registered as in flight.
func inFlight(t *testing.T, c *Client, chat, updateID int64) bool {
	t.Helper()
	ok, err := c.rdb.HExists(t.Context(), inflightKey(chat), strconv.FormatInt(updateID, 10)).Result()
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// waitUntil polls cond (a condition on Redis, not a timer) until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Two replicas get two updates of one chat at once: the later one waits
// while the earlier one is in flight, and then sees its effect.
func TestLaterUpdateWaitsForEarlierInFlight(t *testing.T) {
	c := mustOpen(t)
	a, b := NewSessionStore(c, 0), NewSessionStore(c, 0)
	hb, stop := context.WithCancel(t.Context())
	defer stop()
	go a.Heartbeat(hb)
	waitUntil(t, "a's heartbeat", func() bool { return c.rdb.Exists(t.Context(), aliveKey+a.Instance).Val() == 1 })

	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	errA := make(chan error, 1)
	go func() {
		errA <- a.Update(t.Context(), 1, 10, func(s *conversation.Session) error {
			once.Do(func() { close(started) })
			<-release
			s.History = append(s.History, "10")
			return nil
		})
	}()
	<-started
	errB := make(chan error, 1)
	var (
		seen  []conversation.State
		doneB atomic.Bool
	)
	go func() {
		err := b.Update(t.Context(), 1, 11, func(s *conversation.Session) error {
			seen = slices.Clone(s.History)
			s.History = append(s.History, "11")
			return nil
		})
		doneB.Store(true)
		errB <- err
	}()
	// Without the wait, update 11 would be applied before 10 is released.
	waitUntil(t, "update 11 is registered", func() bool { return inFlight(t, c, 1, 11) || doneB.Load() })
	close(release)
	if err := <-errA; err != nil {
		t.Fatalf("update 10: %v", err)
	}
	// Applied but not yet answered: 11 still waits, so that its answer
	// cannot overtake 10's.
	if !inFlight(t, c, 1, 10) || doneB.Load() {
		t.Error("update 10 left the in-flight set before its replies were sent")
	}
	a.Replied(t.Context(), 1, 10)
	if err := <-errB; err != nil {
		t.Fatalf("update 11: %v", err)
	}
	b.Replied(t.Context(), 1, 11)
	if diff := cmp.Diff([]conversation.State{"10"}, seen); diff != "" {
		t.Errorf("update 11 ran on (-want +got):\n%s", diff)
	}
	if inFlight(t, c, 1, 10) || inFlight(t, c, 1, 11) {
		t.Error("an applied update is still registered as in flight")
	}
}

// An update in flight on a process that died does not hold the chat back:
// with a single consumer (polling) any other instance is an earlier
// incarnation; with several, one without a heartbeat is gone, and one
// with a heartbeat counts until its lease ends.
func TestInFlightOfGoneInstanceIsIgnored(t *testing.T) {
	c := mustOpen(t)
	dead := NewSessionStore(c, 0)
	register := func(chat, updateID int64, lease time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), lease)
		defer cancel()
		if err := loadScript.Run(ctx, c.rdb, []string{sessionKey(chat), inflightKey(chat)}, dead.Instance, "0", updateID,
			time.Now().UnixMilli(), lease.Milliseconds(), "crashed").Err(); err != nil {
			t.Fatal(err)
		}
		if !inFlight(t, c, chat, updateID) {
			t.Fatal("not registered")
		}
	}
	t.Run("single consumer", func(t *testing.T) {
		register(1, 10, time.Hour)
		s := NewSessionStore(c, 0)
		s.SingleConsumer = true
		setState(t, s, 1, 10, "a") // the redelivered update itself
		register(1, 20, time.Hour)
		setState(t, s, 1, 21, "b")
	})
	t.Run("no heartbeat", func(t *testing.T) {
		register(2, 10, time.Hour)
		setState(t, NewSessionStore(c, 0), 2, 11, "a")
	})
	t.Run("heartbeat until the lease ends", func(t *testing.T) {
		if err := c.rdb.Set(t.Context(), aliveKey+dead.Instance, 1, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		register(3, 10, 300*time.Millisecond)
		s := NewSessionStore(c, 0)
		var waited bool
		s.Now = func() time.Time {
			waited = waited || inFlight(t, c, 3, 11)
			return time.Now()
		}
		setState(t, s, 3, 11, "a")
		if !waited {
			t.Error("update 11 did not wait for the live instance's update 10")
		}
	})
}

// A redelivered update is orphaned when it was the last one applied and the
// instance that applied it is gone; otherwise it is a plain duplicate.
func TestOrphanedUpdate(t *testing.T) {
	c := mustOpen(t)
	first := NewSessionStore(c, 0)
	setState(t, first, 1, 5, "a")
	restarted := NewSessionStore(c, 0)
	restarted.SingleConsumer = true
	replica := NewSessionStore(c, 0)
	noop := func(*conversation.Session) error { return nil }

	if err := first.Update(t.Context(), 1, 5, noop); !errors.Is(err, conversation.ErrDuplicateUpdate) || errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("same instance: %v; want a plain ErrDuplicateUpdate", err)
	}
	if err := restarted.Update(t.Context(), 1, 5, noop); !errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("after a restart: %v; want ErrOrphanedUpdate", err)
	}
	if err := restarted.Update(t.Context(), 1, 5, noop); !errors.Is(err, conversation.ErrDuplicateUpdate) || errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("after a restart, again: %v; want a plain ErrDuplicateUpdate (it was answered)", err)
	}
	setState(t, first, 1, 6, "b")
	if err := replica.Update(t.Context(), 1, 6, noop); !errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("another replica, first without heartbeat: %v; want ErrOrphanedUpdate", err)
	}
	setState(t, first, 1, 7, "c")
	if err := c.rdb.Set(t.Context(), aliveKey+first.Instance, 1, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := replica.Update(t.Context(), 1, 7, noop); !errors.Is(err, conversation.ErrDuplicateUpdate) || errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("another replica, first alive: %v; want a plain ErrDuplicateUpdate", err)
	}
	setState(t, first, 1, 8, "d")
	if err := restarted.Update(t.Context(), 1, 7, noop); !errors.Is(err, conversation.ErrDuplicateUpdate) || errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("not the last update: %v; want a plain ErrDuplicateUpdate", err)
	}
}

// An update that is not applied (fn failed) leaves nothing in flight.
func TestFailedUpdateIsReleased(t *testing.T) {
	c := mustOpen(t)
	store := NewSessionStore(c, 0)
	errFn := errors.New("fn failed")
	if err := store.Update(t.Context(), 1, 7, func(*conversation.Session) error { return errFn }); !errors.Is(err, errFn) {
		t.Fatalf("Update = %v; want fn's error", err)
	}
	if inFlight(t, c, 1, 7) {
		t.Error("update 7 is still in flight after fn failed")
	}
}

// A change between read and write makes Update call fn again on the new
// session.
func TestConflictRetriesOnFreshSession(t *testing.T) {
	store := NewSessionStore(mustOpen(t), 0)
	var seen []conversation.State
	err := store.Update(t.Context(), 1, 0, func(s *conversation.Session) error {
		seen = append(seen, s.State)
		if len(seen) == 1 {
			setState(t, store, 1, 0, "other")
		}
		s.History = append(s.History, "mine")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]conversation.State{"", "other"}, seen); diff != "" {
		t.Errorf("states fn saw (-want +got):\n%s", diff)
	}
}

func TestEndlessConflictGivesUp(t *testing.T) {
	store := NewSessionStore(mustOpen(t), 0)
	calls := 0
	err := store.Update(t.Context(), 1, 0, func(s *conversation.Session) error {
		calls++
		setState(t, store, 1, 0, conversation.State(fmt.Sprint("other", calls)))
		return nil
	})
	if domain.ErrorCode(err) != domain.CodeConflict || calls != maxTries {
		t.Errorf("Update = %v after %d calls of fn; want CodeConflict after %d", err, calls, maxTries)
	}
}

// go-redis may send the script again when the reply to the first run was
// lost; the repetition must count as the same write.
func TestRepeatedScriptIsTheSameWrite(t *testing.T) {
	c := mustOpen(t)
	run := func(token string) int64 {
		t.Helper()
		n, err := updateScript.Run(t.Context(), c.rdb, []string{sessionKey(1), remindersKey, inflightKey(1)},
			"inst", "0", 0, 5, `{}`, 60000, token, 1, 2, 1, "call", "", "").Int64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := run("t1"); n != 1 {
		t.Fatalf("first run = %d; want version 1", n)
	}
	if n := run("t1"); n != 1 {
		t.Errorf("same write again = %d; want version 1", n)
	}
	if n := run("t2"); n != replyDuplicate {
		t.Errorf("another write of update 5 = %d; want %d", n, replyDuplicate)
	}
}

func TestServerDownIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	srv, err := devstack.StartRedis(t.Context(), dir, devstack.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	store := NewSessionStore(c, 0)
	setState(t, store, 1, 1, "a")
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	defer func() { t.Logf("took %v", time.Since(start)) }()
	err = store.Update(ctx, 1, 2, func(*conversation.Session) error { return nil })
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeUnavailable || de.Err == nil {
		t.Errorf("Update with the server down = %v; want a *domain.Error with CodeUnavailable", err)
	}
	if err := store.Delete(ctx, 1); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Delete with the server down = %v; want CodeUnavailable", err)
	}
	if err := c.Ping(ctx); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Ping with the server down = %v; want CodeUnavailable", err)
	}
	if _, err := Open(ctx, srv.URL); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("Open with the server down = %v; want CodeUnavailable", err)
	}
}

func TestOpenBadURLHidesPassword(t *testing.T) {
	_, err := Open(t.Context(), "redis://u:s3cret@127.0.0.1:bad/0")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open with a bad URL = %v; want an error without the password", err)
	}
}

func BenchmarkUpdate(b *testing.B) {
	store := NewSessionStore(mustOpen(b), 0)
	ctx := context.Background()
	app := domain.Application{Basic: domain.Basic{EnterpriseName: "重庆银行股份有限公司", CreditCode: "91500000202869177Y"}}
	b.ReportAllocs()
	var id int64
	for b.Loop() {
		id++
		err := store.Update(ctx, 1, id, func(s *conversation.Session) error {
			s.State = "await_name"
			s.App = app
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		store.Replied(ctx, 1, id) // as the bot does once the replies are sent
	}
}

func TestReminders(t *testing.T) {
	c := mustOpen(t)
	store := NewSessionStore(c, 30*24*time.Hour)
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	store.Now = func() time.Time { return t0 }
	ctx := t.Context()
	setState(t, store, 1, 1, "a")
	setState(t, store, 2, 1, "a")
	claim := func(at time.Time) []conversation.Reminder {
		t.Helper()
		rs, err := store.ClaimReminders(ctx, at, 100)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if rs := claim(t0.Add(23 * time.Hour)); len(rs) != 0 {
		t.Fatalf("reminders before a day: %v", rs)
	}
	// Chat 2 is active again later: its reminder moves with it.
	store.Now = func() time.Time { return t0.Add(20 * time.Hour) }
	setState(t, store, 2, 2, "b")
	want := []conversation.Reminder{{ChatID: 1, Kind: conversation.ReminderIdle}}
	if rs := claim(t0.Add(25 * time.Hour)); !reflect.DeepEqual(rs, want) {
		t.Fatalf("after 25h: %v, want %v", rs, want)
	}
	if rs := claim(t0.Add(26 * time.Hour)); len(rs) != 0 {
		t.Fatalf("reminded twice: %v", rs)
	}
	// 27 days idle: the expiry warning, once, for both.
	rs := claim(t0.Add(28 * 24 * time.Hour))
	if len(rs) != 2 || rs[0].Kind != conversation.ReminderExpiry || rs[1].Kind != conversation.ReminderExpiry {
		t.Fatalf("after 28 days: %v", rs)
	}
	if rs := claim(t0.Add(29 * 24 * time.Hour)); len(rs) != 0 {
		t.Fatalf("warned twice: %v", rs)
	}
	// A deleted session is dropped from the schedule.
	store.Now = func() time.Time { return t0 }
	setState(t, store, 3, 1, "a")
	if err := store.Delete(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if rs := claim(t0.Add(48 * time.Hour)); len(rs) != 0 {
		t.Fatalf("deleted chat reminded: %v", rs)
	}
	// Peek reads without writing.
	s, err := store.Peek(ctx, 1)
	if err != nil || s.State != "a" || s.Version != 1 {
		t.Fatalf("Peek = %+v, %v", s, err)
	}
}

func TestQueryGuard(t *testing.T) {
	c := mustOpen(t)
	g := NewQueryGuard(c)
	ctx := t.Context()
	for i := 1; i <= 4; i++ {
		locked, err := g.Failed(ctx, "5000000001")
		if err != nil || locked {
			t.Fatalf("failure %d: locked=%v err=%v", i, locked, err)
		}
	}
	if locked, _ := g.Locked(ctx, "5000000001"); locked {
		t.Fatal("locked before the fifth failure")
	}
	if locked, _ := g.Failed(ctx, "5000000001"); !locked {
		t.Fatal("fifth failure did not lock")
	}
	if locked, _ := g.Locked(ctx, "5000000001"); !locked {
		t.Fatal("account not locked")
	}
	if locked, _ := g.Locked(ctx, "5000000002"); locked {
		t.Fatal("another account locked")
	}
	ttl, err := c.rdb.PTTL(ctx, guardKeys("5000000001")[1]).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("lock TTL = %v, %v; want about an hour", ttl, err)
	}
}

// The query lock of the account asked for its query password comes with the
// session, read afresh by each update; at other questions there is none.
func TestUpdateReadsTheQueryLock(t *testing.T) {
	c := mustOpen(t)
	store, guard := NewSessionStore(c, 0), NewQueryGuard(c)
	store.SingleConsumer = true // no Replied needed between updates
	const chat, acct, other = 7, "5000000001", "5000000002"
	ctx := t.Context()
	update := int64(0)
	// seen runs an update that changes the session by set (if not nil) and
	// returns the AccountLocked that fn saw, as "nil", "true" or "false".
	seen := func(set func(*conversation.Session)) string {
		t.Helper()
		update++
		got := "unset"
		err := store.Update(ctx, chat, update, func(s *conversation.Session) error {
			got = "nil"
			if s.AccountLocked != nil {
				got = strconv.FormatBool(*s.AccountLocked)
			}
			if set != nil {
				set(s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	ask := func(account string) func(*conversation.Session) {
		return func(s *conversation.Session) {
			s.State, s.Scratch = conversation.StMktPwd, conversation.Scratch{Account: account}
		}
	}

	if got := seen(ask(acct)); got != "nil" {
		t.Errorf("new session: AccountLocked %s; want nil", got)
	}
	if got := seen(nil); got != "false" {
		t.Errorf("at the query password of an unlocked account: AccountLocked %s; want false", got)
	}
	for range guard.MaxFailures {
		if _, err := guard.Failed(ctx, acct); err != nil {
			t.Fatal(err)
		}
	}
	if got := seen(nil); got != "true" {
		t.Errorf("after the guard locked the account: AccountLocked %s; want true", got)
	}
	if got := seen(ask(other)); got != "true" {
		t.Errorf("AccountLocked %s; want true (still the locked account's question)", got)
	}
	if got := seen(nil); got != "false" {
		t.Errorf("at another, unlocked account: AccountLocked %s; want false", got)
	}

	// A g that does not name the session's account (as an older store
	// that does not write g would leave it) gives no reading.
	if err := c.rdb.HSet(ctx, sessionKey(chat), "g", acct).Err(); err != nil {
		t.Fatal(err)
	}
	if got := seen(func(s *conversation.Session) { s.State = conversation.StPoints }); got != "nil" {
		t.Errorf("with g naming another account: AccountLocked %s; want nil", got)
	}
	if got := seen(nil); got != "nil" {
		t.Errorf("at another question: AccountLocked %s; want nil", got)
	}
	if n := c.rdb.HExists(ctx, sessionKey(chat), "g").Val(); n {
		t.Error("field g kept after leaving the query password question")
	}
}

// The query-password step, lock included, costs the two round trips of
// any update.
func TestQueryPasswordStepTakesTwoRoundTrips(t *testing.T) {
	c := mustOpen(t)
	store := NewSessionStore(c, 0)
	// With several consumers Replied is one more round trip per update,
	// after the replies are sent; this counts Update alone.
	store.SingleConsumer = true
	const chat = 8
	setState(t, store, chat, 1, "a") // loads both scripts into the server
	err := store.Update(t.Context(), chat, 2, func(s *conversation.Session) error {
		s.State, s.Scratch = conversation.StMktPwd, conversation.Scratch{Account: "5000000001"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	commands := recordCommands(c)
	var locked *bool
	err = store.Update(t.Context(), chat, 3, func(s *conversation.Session) error {
		locked = s.AccountLocked
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if locked == nil {
		t.Error("no AccountLocked at the query password question")
	}
	if cmds := commands(); len(cmds) != 2 {
		t.Errorf("commands of the update: %v; want 2 (the load and the write scripts)", cmds)
	}
}

// A session far larger than a connection's buffers (connBuffer) is written
// and read back whole.
func TestSessionLargerThanBuffers(t *testing.T) {
	ctx := context.Background()
	store := NewSessionStore(mustOpen(t), 0)
	store.SingleConsumer = true // else update 2 would wait for update 1's Replied
	var big []domain.CatalogEntry
	for i := range 400 {
		big = append(big, domain.CatalogEntry{Name: fmt.Sprintf("重庆某某第%d机械制造有限公司", i), CreditCode: "91500000MA5U000000"})
	}
	if err := store.Update(ctx, 77, 1, func(s *conversation.Session) error {
		s.State = conversation.StEnterprise
		s.Scratch.Candidates = big
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var size int
	if err := store.Update(ctx, 77, 2, func(s *conversation.Session) error {
		b, _ := json.Marshal(s)
		size = len(b)
		if len(s.Scratch.Candidates) != len(big) || s.Scratch.Candidates[399] != big[399] {
			t.Errorf("read back %d candidates, the last %+v", len(s.Scratch.Candidates), s.Scratch.Candidates[len(s.Scratch.Candidates)-1])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if size < 4*connBuffer {
		t.Fatalf("the session is %d bytes: not larger than the buffers (%d)", size, connBuffer)
	}
}

// recordCommands records every command c runs from now on; the returned
// function hands over those recorded since its last call.
func recordCommands(c *Client) (take func() []string) {
	var (
		mu   sync.Mutex
		cmds []string
	)
	c.Observe(func(cmd string, _ time.Duration, _ bool) {
		mu.Lock()
		defer mu.Unlock()
		cmds = append(cmds, cmd)
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		got := cmds
		cmds = nil
		return got
	}
}

// Open loads both session scripts, so that the first update runs them by
// their hash (EVALSHA) without a NOSCRIPT round trip.
func TestOpenLoadsTheSessionScripts(t *testing.T) {
	url := devstack.MustRedis(t)
	// Scripts are the server's, shared by every database: forget them
	// first (other tests' scripts fall back to EVAL once).
	first, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	err = first.rdb.ScriptFlush(t.Context()).Err()
	first.Close()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.rdb.ScriptExists(t.Context(), loadScript.Hash(), updateScript.Hash()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !got[0] || !got[1] {
		t.Fatalf("scripts loaded after Open: load %v, update %v; want both", got[0], got[1])
	}
}

// A redelivery of an update that a live instance applied but has not
// answered yet (its in-flight entry is still there) waits: for the
// instance to answer (then it is a plain duplicate), or to be gone (then
// it is orphaned, whatever the heartbeat's TTL had left). Without the
// wait, a replica dying right after saving left the update answered by
// nobody when Telegram redelivered it within the heartbeat's TTL.
func TestRedeliveryWaitsForTheAnswer(t *testing.T) {
	c := mustOpen(t)
	first := NewSessionStore(c, 0)
	if err := c.rdb.Set(t.Context(), aliveKey+first.Instance, 1, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	apply := func(updateID int64) { // applied, not answered yet
		t.Helper()
		if err := first.Update(t.Context(), 1, updateID, func(s *conversation.Session) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if !inFlight(t, c, 1, updateID) {
			t.Fatal("an applied, unanswered update is not in flight")
		}
	}
	// then runs the redelivery on another replica; meanwhile, once the
	// replica has read the session and found it must wait, happen runs.
	then := func(updateID int64, happen func()) error {
		replica := NewSessionStore(c, 0)
		if err := c.rdb.Set(t.Context(), aliveKey+replica.Instance, 1, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		reads := 0
		replica.Now = func() time.Time {
			if reads++; reads == 2 {
				happen()
			}
			return time.Now()
		}
		err := replica.Update(t.Context(), 1, updateID, func(*conversation.Session) error {
			t.Error("fn ran for an applied update")
			return nil
		})
		if reads < 2 {
			t.Errorf("update %d did not wait", updateID)
		}
		return err
	}

	apply(10)
	err := then(10, func() { first.Replied(t.Context(), 1, 10) })
	if !errors.Is(err, conversation.ErrDuplicateUpdate) || errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("answered while the redelivery waited: %v; want a plain ErrDuplicateUpdate", err)
	}

	apply(11)
	err = then(11, func() { c.rdb.Del(t.Context(), aliveKey+first.Instance) }) // it died
	if !errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("died while the redelivery waited: %v; want ErrOrphanedUpdate", err)
	}
	if inFlight(t, c, 1, 11) {
		t.Error("the dead instance's entry is left after the take-over")
	}
	// The taker answered it: a further redelivery is a plain duplicate.
	if err := NewSessionStore(c, 0).Update(t.Context(), 1, 11, func(*conversation.Session) error { return nil }); !errors.Is(err, conversation.ErrDuplicateUpdate) ||
		errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("after the take-over: %v; want a plain ErrDuplicateUpdate", err)
	}
}

// A replica applies an update and dies before answering it; the applicant
// has the answer (or the deletion of the message was what was left) and
// sends the next update, which another replica applies without waiting
// for the dead one. Telegram's redelivery of the first update comes after
// that: it must still be taken over (the message it carried may never have
// been deleted), not taken for answered because a later update was applied
// in between. The later update does not wait for the dead instance's entry.
func TestRedeliveryAfterALaterUpdate(t *testing.T) {
	c := mustOpen(t)
	dead := NewSessionStore(c, 0) // no heartbeat: gone
	if err := dead.Update(t.Context(), 1, 10, func(s *conversation.Session) error { s.State = "a"; return nil }); err != nil {
		t.Fatal(err)
	}
	if !inFlight(t, c, 1, 10) {
		t.Fatal("an applied, unanswered update is not in flight")
	}
	replica := NewSessionStore(c, 0)
	reads := 0
	replica.Now = func() time.Time { reads++; return time.Now() }
	setState(t, replica, 1, 11, "b")
	if reads != 1 {
		t.Errorf("update 11 read the session %d times; want 1 (no wait for a gone instance)", reads)
	}
	err := replica.Update(t.Context(), 1, 10, func(*conversation.Session) error {
		t.Error("fn ran for an applied update")
		return nil
	})
	if !errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("redelivery after a later update: %v; want ErrOrphanedUpdate", err)
	}
	if inFlight(t, c, 1, 10) {
		t.Error("the dead instance's entry is left after the take-over")
	}
	if err := replica.Update(t.Context(), 1, 10, func(*conversation.Session) error { return nil }); !errors.Is(err, conversation.ErrDuplicateUpdate) ||
		errors.Is(err, conversation.ErrOrphanedUpdate) {
		t.Errorf("after the take-over: %v; want a plain ErrDuplicateUpdate", err)
	}
}

// An earlier update that reaches Redis after a later one of its chat was
// applied (two replicas, within a millisecond) is applied after it: the
// order is that of arrival, and nothing is lost. SECURITY.md lists this as
// a known gap; the test fails if it is closed (then say so there) or if
// the earlier update is dropped.
func TestEarlierUpdateArrivingLaterIsAppliedAfter(t *testing.T) {
	store := NewSessionStore(mustOpen(t), 0)
	var order []int64
	for _, upd := range []int64{11, 10} {
		err := store.Update(t.Context(), 1, upd, func(s *conversation.Session) error {
			order = append(order, upd)
			s.State += conversation.State(strconv.FormatInt(upd, 10) + ";")
			return nil
		})
		if err != nil {
			t.Fatalf("update %d: %v", upd, err)
		}
		store.Replied(t.Context(), 1, upd)
	}
	if got := state(t, store, 1); got != "11;10;" || !slices.Equal(order, []int64{11, 10}) {
		t.Errorf("applied %v, state %q; want 11 then 10", order, got)
	}
}
