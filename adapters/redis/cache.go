package redis

import (
	"container/list"
	"sync"
)

// sessionCache keeps the sessions that this process wrote last, so that
// the next update of such a chat skips the read: one round trip per
// update instead of two. It is safe only because every write is a
// compare-and-set on the version and the token of the write read (see
// updateScript): a cached session that someone else has changed since
// fails the write, and Update then drops it and reads the session.
//
// It holds the size sessions used last (least recently used out first:
// applicants who answer at a similar pace come round in turn, and any
// scheme that drops sessions earlier than that misses them all).
//
// A cache that does not hit only costs memory: when more chats are busy
// than it holds, a chat comes round again only after its session was
// dropped, and fewer than a quarter of the lookups of a window of size/2
// hit. It then keeps only the sessions' versions, no JSON (a few dozen
// bytes each instead of ~2.2 KB), and goes on counting the lookups that
// would have hit; once half of a window's would, it keeps the JSON again.
type sessionCache struct {
	mu       sync.Mutex
	size     int
	chats    map[int64]*list.Element // of *cacheEntry
	order    list.List               // most recently used first
	keepData bool                    // sessions are kept with their JSON
	lookups  int                     // in the current window
	hits     int                     // lookups that found the chat (with or without JSON)
}

type cacheEntry struct {
	chatID int64
	s      cachedSession
}

// cachedSession is a session as this process wrote it.
type cachedSession struct {
	version int64  // the version the write set
	token   string // the write's token (field n)
	last    int64  // the last update applied, 0 for none
	data    []byte // the Session as JSON (field d); nil while not kept
}

func newSessionCache(size int) *sessionCache {
	return &sessionCache{size: max(size, 1), chats: make(map[int64]*list.Element, size), keepData: true}
}

// get returns the chat's session if it is kept with its JSON.
func (c *sessionCache) get(chatID int64) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s cachedSession
	el, ok := c.chats[chatID]
	if ok {
		c.order.MoveToFront(el)
		s = el.Value.(*cacheEntry).s
		c.hits++
	}
	c.lookups++
	if c.lookups >= max(c.size/2, 1) {
		switch {
		case c.keepData && c.hits*4 < c.lookups:
			c.keepData = false
			for el := c.order.Front(); el != nil; el = el.Next() {
				el.Value.(*cacheEntry).s.data = nil
			}
		case !c.keepData && c.hits*2 >= c.lookups:
			c.keepData = true
		}
		c.lookups, c.hits = 0, 0
	}
	return s, ok && s.data != nil
}

func (c *sessionCache) put(chatID int64, s cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.keepData {
		s.data = nil
	}
	if el, ok := c.chats[chatID]; ok {
		el.Value.(*cacheEntry).s = s
		c.order.MoveToFront(el)
		return
	}
	if len(c.chats) >= c.size {
		// The least recently used entry makes room, its element reused.
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		delete(c.chats, e.chatID)
		*e = cacheEntry{chatID: chatID, s: s}
		c.chats[chatID] = el
		c.order.MoveToFront(el)
		return
	}
	c.chats[chatID] = c.order.PushFront(&cacheEntry{chatID: chatID, s: s})
}

func (c *sessionCache) drop(chatID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.chats[chatID]; ok {
		c.order.Remove(el)
		delete(c.chats, chatID)
	}
}
