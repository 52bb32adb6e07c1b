package redis

import "sync"

// sessionCache keeps the sessions that this process wrote last, so that
// the next update of such a chat skips the read: one round trip per
// update instead of two. It is safe only because every write is a
// compare-and-set on the version and the token of the write read (see
// updateScript): a cached session that someone else has changed since
// fails the write, and Update then drops it and reads the session.
//
// It holds at most size sessions in two generations of size/2: when the
// current one is full it becomes the previous one, and the old previous
// one is dropped; a session found in the previous generation moves to the
// current one. So the sessions used within the last size/2 writes are
// always kept, with no per-entry bookkeeping.
//
// A cache that does not hit only costs memory: when more chats are busy
// than it holds (chats come round again only after their sessions were
// dropped), fewer than a quarter of the lookups of a window of size/2
// hit. It then keeps only the sessions' versions, no JSON (a few dozen
// bytes each instead of ~2.2 KB), and goes on counting the lookups that
// would have hit; once half of a window's would, it keeps the JSON again.
type sessionCache struct {
	mu        sync.Mutex
	half      int
	cur, prev map[int64]cachedSession
	keepData  bool // sessions are kept with their JSON
	lookups   int  // in the current window
	hits      int  // lookups that found the chat (with or without JSON)
}

// cachedSession is a session as this process wrote it.
type cachedSession struct {
	version int64  // the version the write set
	token   string // the write's token (field n)
	last    int64  // the last update applied, 0 for none
	data    []byte // the Session as JSON (field d); nil while not kept
}

func newSessionCache(size int) *sessionCache {
	half := max(size/2, 1)
	return &sessionCache{half: half, cur: make(map[int64]cachedSession, half), keepData: true}
}

// get returns the chat's session if it is kept with its JSON.
func (c *sessionCache) get(chatID int64) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[chatID]
	if !ok {
		if e, ok = c.prev[chatID]; ok {
			delete(c.prev, chatID)
			c.putLocked(chatID, e)
		}
	}
	c.lookups++
	if ok {
		c.hits++
	}
	if c.lookups == c.half {
		switch {
		case c.keepData && c.hits*4 < c.lookups:
			c.keepData = false
			for _, m := range []map[int64]cachedSession{c.cur, c.prev} {
				for id, e := range m {
					e.data = nil
					m[id] = e
				}
			}
		case !c.keepData && c.hits*2 >= c.lookups:
			c.keepData = true
		}
		c.lookups, c.hits = 0, 0
	}
	return e, ok && e.data != nil
}

func (c *sessionCache) put(chatID int64, e cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.keepData {
		e.data = nil
	}
	delete(c.prev, chatID)
	c.putLocked(chatID, e)
}

func (c *sessionCache) putLocked(chatID int64, e cachedSession) {
	if _, ok := c.cur[chatID]; !ok && len(c.cur) >= c.half {
		c.prev, c.cur = c.cur, make(map[int64]cachedSession, c.half)
	}
	c.cur[chatID] = e
}

func (c *sessionCache) drop(chatID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, chatID)
	delete(c.prev, chatID)
}
