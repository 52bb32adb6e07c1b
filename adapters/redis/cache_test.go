package redis

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// cachedStore is a store as long polling runs it: a single consumer that
// keeps the sessions it wrote.
func cachedStore(c *Client) *SessionStore {
	s := NewSessionStore(c, 0)
	s.SingleConsumer = true
	s.CacheSessions(64)
	return s
}

func TestSessionStoreCached(t *testing.T) {
	testSessionStore(t, func(t *testing.T) conversation.SessionStore {
		return cachedStore(mustOpen(t))
	})
}

// The next update of a chat whose session the store wrote is one round
// trip, the write; fn gets the session as written.
func TestCachedUpdateTakesOneRoundTrip(t *testing.T) {
	c := mustOpen(t)
	store := cachedStore(c)
	const chat = 3
	setState(t, store, chat, 1, "a")
	commands := recordCommands(c)
	var got conversation.Session
	err := store.Update(t.Context(), chat, 2, func(s *conversation.Session) error {
		got = *s
		s.State = "b"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cmds := commands(); len(cmds) != 1 {
		t.Errorf("commands of the update: %v; want 1 (the write script)", cmds)
	}
	if got.State != "a" || got.Version != 1 || got.LastUpdateID != 1 {
		t.Errorf("fn saw state %q, version %d, last update %d; want a, 1, 1", got.State, got.Version, got.LastUpdateID)
	}
	if st := state(t, NewSessionStore(c, 0), chat); st != "b" {
		t.Errorf("stored state %q; want b", st)
	}
}

// A session changed by someone else after this store wrote it (another
// process, or one that deleted it and wrote it again up to the same
// version) is read again: fn runs once more on the fresh session, and
// the other write is kept.
func TestCachedSessionChangedElsewhere(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, other *SessionStore)
	}{
		{"written", func(t *testing.T, other *SessionStore) {
			setState(t, other, 1, 2, "other")
		}},
		{"deleted and written to the same version", func(t *testing.T, other *SessionStore) {
			if err := other.Delete(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			setState(t, other, 1, 2, "other")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustOpen(t)
			store, other := cachedStore(c), NewSessionStore(c, 0)
			other.SingleConsumer = true
			setState(t, store, 1, 1, "mine")
			tc.change(t, other)
			var seen []conversation.State
			err := store.Update(t.Context(), 1, 3, func(s *conversation.Session) error {
				seen = append(seen, s.State)
				s.History = append(s.History, s.State)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]conversation.State{"mine", "other"}, seen); diff != "" {
				t.Errorf("states fn saw (-want +got):\n%s", diff)
			}
			var hist []conversation.State
			_ = other.Update(t.Context(), 1, 0, func(s *conversation.Session) error { hist = s.History; return nil })
			if diff := cmp.Diff([]conversation.State{"other"}, hist); diff != "" {
				t.Errorf("stored history (-want +got):\n%s", diff)
			}
		})
	}
}

// An update not newer than the last one applied may be a redelivery: the
// store reads the session (and so tells an orphan) instead of trusting
// the cache.
func TestCachedStoreReadsForOldUpdates(t *testing.T) {
	c := mustOpen(t)
	store := cachedStore(c)
	setState(t, store, 1, 10, "a")
	commands := recordCommands(c)
	err := store.Update(t.Context(), 1, 10, func(*conversation.Session) error {
		t.Error("fn called for update 10 again")
		return nil
	})
	if !errors.Is(err, conversation.ErrDuplicateUpdate) {
		t.Errorf("Update(10) again = %v; want ErrDuplicateUpdate", err)
	}
	if cmds := commands(); len(cmds) != 1 || cmds[0] != "evalsha" {
		t.Errorf("commands: %v; want the load script alone", cmds)
	}
}

// While a session waits at an account's query password, the store reads
// it (the read brings the account's query lock) even if it wrote it.
func TestCachedStoreReadsAtAccountQuestions(t *testing.T) {
	c := mustOpen(t)
	store, guard := cachedStore(c), NewQueryGuard(c)
	const acct = "5000000001"
	err := store.Update(t.Context(), 1, 1, func(s *conversation.Session) error {
		s.State, s.Scratch = conversation.StMktPwd, conversation.Scratch{Account: acct}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range guard.MaxFailures {
		if _, err := guard.Failed(t.Context(), acct); err != nil {
			t.Fatal(err)
		}
	}
	var locked *bool
	err = store.Update(t.Context(), 1, 2, func(s *conversation.Session) error {
		locked = s.AccountLocked
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if locked == nil || !*locked {
		t.Errorf("AccountLocked = %v after the guard locked the account; want true", locked)
	}
}

// kept is a cachedSession with a session of its own.
func kept(version int64) cachedSession {
	return cachedSession{version: version, token: strconv.FormatInt(version, 10), sess: &conversation.Session{State: "x"}}
}

func TestSessionCacheKeepsTheLastUsed(t *testing.T) {
	c := newSessionCache(4)
	for id := int64(1); id <= 5; id++ {
		c.put(id, kept(id))
	}
	if _, ok := c.take(1, 0); ok {
		t.Error("chat 1 kept after 4 more recent ones")
	}
	e, ok := c.take(2, 0)
	if !ok || e.version != 2 {
		t.Errorf("take(2) = %+v, %v; want version 2", e, ok)
	}
	c.put(2, e)
	// 2 was used after 3: 3 makes room for 6.
	c.put(6, kept(6))
	if _, ok := c.take(3, 0); ok {
		t.Error("chat 3, the least recently used, kept")
	}
	if e, ok := c.take(2, 0); !ok {
		t.Error("chat 2 dropped although it was used")
	} else {
		c.put(2, e)
	}
	c.put(2, kept(7))
	if e, _ := c.take(2, 0); e.version != 7 {
		t.Errorf("chat 2 at version %d after a put of 7", e.version)
	}
	c.put(2, kept(8))
	c.drop(2)
	if _, ok := c.take(2, 0); ok {
		t.Error("chat 2 kept after drop")
	}
	if len(c.chats) != c.order.Len() || len(c.chats) > 4 {
		t.Errorf("%d chats, %d in order; want the same, at most 4", len(c.chats), c.order.Len())
	}
}

// A session is handed out once: a second update of the chat at the same
// time reads it from Redis, and the one that took it owns it until it
// puts what it wrote. An update not newer than the last one applied does
// not take it (it may be a redelivery, which only the read tells from an
// orphan), and leaves it for the next one.
func TestSessionCacheHandsASessionOutOnce(t *testing.T) {
	c := newSessionCache(4)
	s := kept(1)
	s.last = 10
	c.put(1, s)
	if _, ok := c.take(1, 10); ok {
		t.Error("take for update 10 after update 10 was applied: the session was handed out")
	}
	if _, ok := c.take(1, 9); ok {
		t.Error("take for an older update: the session was handed out")
	}
	got, ok := c.take(1, 11)
	if !ok || got.sess != s.sess {
		t.Fatalf("take(11) = %+v, %v; want the session put", got, ok)
	}
	if _, ok := c.take(1, 12); ok {
		t.Error("the session was handed out twice")
	}
	if _, ok := c.take(1, 0); ok {
		t.Error("the session was handed out twice (to an update without ID)")
	}
	c.put(1, kept(2))
	if got, ok := c.take(1, 0); !ok || got.version != 2 {
		t.Errorf("take after put = %+v, %v; want version 2", got, ok)
	}
}

// Cycling through more chats than the cache holds, no lookup hits: the
// cache stops keeping sessions, and keeps them again once chats come back.
func TestSessionCacheDropsDataWhenItDoesNotHit(t *testing.T) {
	const size = 64
	c := newSessionCache(size)
	cycle := func(chats int) (hits int) {
		for id := range int64(chats) {
			if _, ok := c.take(id, 0); ok {
				hits++
			}
			c.put(id, kept(1))
		}
		return hits
	}
	for range 3 {
		cycle(4 * size)
	}
	if c.keeps() {
		t.Fatal("still keeping sessions while no lookup hits")
	}
	var withData []int64
	for el := c.order.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*cacheEntry); e.s.sess != nil {
			withData = append(withData, e.chatID)
		}
	}
	if len(withData) > 0 {
		slices.Sort(withData)
		t.Errorf("sessions kept for chats %v while no lookup hits", withData)
	}
	// Few chats: they hit without a session (none handed out) until the
	// window shows it, then with it again.
	cycle(size / 4)
	cycle(size / 4)
	if !c.keeps() {
		t.Fatal("not keeping sessions again although every lookup finds its chat")
	}
	cycle(size / 4)
	if hits := cycle(size / 4); hits != size/4 {
		t.Errorf("%d of %d lookups hit; want all", hits, size/4)
	}
}

// Applicants at a similar pace come round in turn: a cycle through as
// many chats as the cache holds finds every one of them (a cache that
// dropped sessions earlier than the least recently used would miss all).
func TestSessionCacheHitsACycleAsLargeAsItself(t *testing.T) {
	const size = 64
	c := newSessionCache(size)
	hits := 0
	for range 4 {
		hits = 0
		for id := range int64(size) {
			if _, ok := c.take(id, 0); ok {
				hits++
			}
			c.put(id, kept(1))
		}
	}
	if hits != size {
		t.Errorf("%d of %d lookups hit in the fourth cycle; want all", hits, size)
	}
}

// fn failing on a cached session costs no round trip: nothing was
// registered in flight, so there is nothing to release.
func TestCachedFailedUpdateTakesNoRoundTrip(t *testing.T) {
	c := mustOpen(t)
	store := cachedStore(c)
	setState(t, store, 1, 1, "a")
	commands := recordCommands(c)
	errFn := errors.New("fn failed")
	if err := store.Update(t.Context(), 1, 2, func(*conversation.Session) error { return errFn }); !errors.Is(err, errFn) {
		t.Fatalf("Update = %v; want fn's error", err)
	}
	if cmds := commands(); len(cmds) != 0 {
		t.Errorf("commands: %v; want none", cmds)
	}
	// Update 2 was not applied: it may come again, from the cache.
	setState(t, store, 1, 2, "b")
	if got := state(t, NewSessionStore(c, 0), 1); got != "b" {
		t.Errorf("state = %q; want b", got)
	}
}

// withUnit is a session at state st with one unit of type ut.
func withUnit(st conversation.State, ut string) func(*conversation.Session) error {
	return func(s *conversation.Session) error {
		s.State = st
		s.History = append(s.History, st)
		s.App.Accounts = []domain.MarketingAccount{{Number: "1", Units: []domain.Unit{{UnitType: ut}}}}
		return nil
	}
}

// sawUnit is an fn that records the state, history and unit type it saw.
func sawUnit(st *conversation.State, hist *[]conversation.State, ut *string) func(*conversation.Session) error {
	return func(s *conversation.Session) error {
		*st, *hist, *ut = s.State, slices.Clone(s.History), s.App.Accounts[0].Units[0].UnitType
		return nil
	}
}

// The cached session is nobody else's: neither the session fn changed
// and its caller may keep, nor a session changed in place by an fn that
// then failed, nor one whose write lost the compare-and-set. Each next
// update sees what is stored.
func TestCachedSessionSharesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		// spoil changes chat 1, written as "a" with unit type "u", without
		// a successful write of its own.
		spoil func(t *testing.T, store, other *SessionStore)
		want  conversation.State
		hist  []conversation.State
	}{
		{"the caller changes fn's session afterwards", func(t *testing.T, store, _ *SessionStore) {
			var mine *conversation.Session
			if err := store.Update(t.Context(), 1, 2, func(s *conversation.Session) error {
				mine = s
				return withUnit("b", "v")(s)
			}); err != nil {
				t.Fatal(err)
			}
			mine.History[0], mine.App.Accounts[0].Units[0].UnitType = "spoilt", "spoilt"
		}, "b", []conversation.State{"a", "b"}},
		{"fn changes the session in place and fails", func(t *testing.T, store, _ *SessionStore) {
			errFn := errors.New("fn failed")
			err := store.Update(t.Context(), 1, 2, func(s *conversation.Session) error {
				s.State, s.History[0], s.App.Accounts[0].Units[0].UnitType = "spoilt", "spoilt", "spoilt"
				s.History = append(s.History, "spoilt")
				return errFn
			})
			if !errors.Is(err, errFn) {
				t.Fatalf("Update = %v; want fn's error", err)
			}
		}, "a", []conversation.State{"a"}},
		{"the write loses to another process's", func(t *testing.T, store, other *SessionStore) {
			first := true
			err := store.Update(t.Context(), 1, 2, func(s *conversation.Session) error {
				if first {
					first = false
					// fn on the cached session; another process writes meanwhile.
					s.History[0], s.App.Accounts[0].Units[0].UnitType = "spoilt", "spoilt"
					if err := other.Update(t.Context(), 1, 0, withUnit("o", "w")); err != nil {
						t.Fatal(err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}, "o", []conversation.State{"a", "o"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustOpen(t)
			store, other := cachedStore(c), NewSessionStore(c, 0)
			other.SingleConsumer = true
			if err := store.Update(t.Context(), 1, 1, withUnit("a", "u")); err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, store, other)
			for _, s := range []*SessionStore{store, other} {
				var (
					st   conversation.State
					hist []conversation.State
					ut   string
				)
				if err := s.Update(t.Context(), 1, 0, sawUnit(&st, &hist, &ut)); err != nil {
					t.Fatal(err)
				}
				wantUT := map[conversation.State]string{"a": "u", "b": "v", "o": "w"}[tc.want]
				if st != tc.want || ut != wantUT || !slices.Equal(hist, tc.hist) {
					t.Errorf("next update (cached: %v) saw state %q, unit type %q, history %v; want %q, %q, %v",
						s == store, st, ut, hist, tc.want, wantUT, tc.hist)
				}
			}
		})
	}
}

// A second update of a chat while the first has its session from the
// cache (a reminder, a review decision) reads the session from Redis; the
// first then loses its compare-and-set, reads, and runs fn again on the
// second's result.
func TestCachedSessionTakenTwiceAtOnce(t *testing.T) {
	c := mustOpen(t)
	store := cachedStore(c)
	if err := store.Update(t.Context(), 1, 1, withUnit("a", "u")); err != nil {
		t.Fatal(err)
	}
	commands := recordCommands(c)
	var seen []conversation.State
	err := store.Update(t.Context(), 1, 2, func(s *conversation.Session) error {
		seen = append(seen, s.State)
		if len(seen) == 1 {
			var inner conversation.State
			err := store.Update(t.Context(), 1, 0, func(s *conversation.Session) error {
				inner = s.State
				s.State = "reminded"
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if inner != "a" {
				t.Errorf("the second update saw %q; want a", inner)
			}
			if cmds := commands(); len(cmds) != 2 {
				t.Errorf("commands of the second update: %v; want 2 (it reads)", cmds)
			}
		}
		s.State = "b"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]conversation.State{"a", "reminded"}, seen); diff != "" {
		t.Errorf("states the first update's fn saw (-want +got):\n%s", diff)
	}
	if st := state(t, NewSessionStore(c, 0), 1); st != "b" {
		t.Errorf("stored state %q; want b", st)
	}
}
