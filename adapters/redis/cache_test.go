package redis

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/conversation"
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

func TestSessionCacheKeepsTheLastUsed(t *testing.T) {
	c := newSessionCache(4)
	for id := int64(1); id <= 5; id++ {
		c.put(id, cachedSession{version: id, data: []byte("{}")})
	}
	if _, ok := c.get(1); ok {
		t.Error("chat 1 kept after 4 more recent ones")
	}
	if e, ok := c.get(2); !ok || e.version != 2 {
		t.Errorf("get(2) = %+v, %v; want version 2", e, ok)
	}
	// 2 was used after 3: 3 makes room for 6.
	c.put(6, cachedSession{version: 6, data: []byte("{}")})
	if _, ok := c.get(2); !ok {
		t.Error("chat 2 dropped although it was used")
	}
	if _, ok := c.get(3); ok {
		t.Error("chat 3, the least recently used, kept")
	}
	c.put(2, cachedSession{version: 7, data: []byte("{}")})
	if e, _ := c.get(2); e.version != 7 {
		t.Errorf("chat 2 at version %d after a put of 7", e.version)
	}
	c.drop(2)
	if _, ok := c.get(2); ok {
		t.Error("chat 2 kept after drop")
	}
	if len(c.chats) != c.order.Len() || len(c.chats) > 4 {
		t.Errorf("%d chats, %d in order; want the same, at most 4", len(c.chats), c.order.Len())
	}
}

// Cycling through more chats than the cache holds, no lookup hits: the
// cache stops keeping JSON, and keeps it again once chats come back.
func TestSessionCacheDropsDataWhenItDoesNotHit(t *testing.T) {
	const size = 64
	c := newSessionCache(size)
	cycle := func(chats int) (hits int) {
		for id := range int64(chats) {
			if _, ok := c.get(id); ok {
				hits++
			}
			c.put(id, cachedSession{version: 1, token: strconv.FormatInt(id, 10), data: []byte(`{"s":"x"}`)})
		}
		return hits
	}
	for range 3 {
		cycle(4 * size)
	}
	if c.keepData {
		t.Fatal("still keeping JSON while no lookup hits")
	}
	var withData []int64
	for el := c.order.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*cacheEntry); e.s.data != nil {
			withData = append(withData, e.chatID)
		}
	}
	if len(withData) > 0 {
		slices.Sort(withData)
		t.Errorf("JSON kept for chats %v while no lookup hits", withData)
	}
	// Few chats: they hit without JSON (no session handed out) until the
	// window shows it, then with it again.
	cycle(size / 4)
	cycle(size / 4)
	if !c.keepData {
		t.Fatal("not keeping JSON again although every lookup finds its chat")
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
			if _, ok := c.get(id); ok {
				hits++
			}
			c.put(id, cachedSession{version: 1, data: []byte(`{}`)})
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
