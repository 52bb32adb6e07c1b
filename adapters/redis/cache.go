package redis

import (
	"container/list"
	"sync"

	"github.com/regbot/regbot/conversation"
)

// sessionCache keeps the sessions that this process wrote last, so that
// the next update of such a chat skips the read: one round trip per
// update instead of two, and no decoding. It is safe only because every
// write is a compare-and-set on the version and the token of the write
// read (see updateScript): a cached session that someone else has changed
// since fails the write, and Update then drops it and reads the session.
//
// A session is kept decoded, a copy of what the update that wrote it
// wrote (shared with nothing), and handed out to one Update at a time
// (take): that Update owns it, changes it in place and puts a copy back
// once written. An Update that fails puts
// nothing back, so a session half changed by a failed fn is never seen
// again, and a second Update of the chat at the same time (a reminder, a
// review decision) finds none and reads the session from Redis.
//
// It holds the size sessions used last (least recently used out first:
// applicants who answer at a similar pace come round in turn, and any
// scheme that drops sessions earlier than that misses them all).
//
// A cache that does not hit only costs memory: when more chats are busy
// than it holds, a chat comes round again only after its session was
// dropped, and fewer than a quarter of the lookups of a window of size/2
// hit. It then keeps only the sessions' versions, no sessions (a few dozen
// bytes each instead of ~3.3 KB decoded), and goes on counting the lookups
// that would have hit; once half of a window's would, it keeps the
// sessions again.
type sessionCache struct {
	mu       sync.Mutex
	size     int
	chats    map[int64]*list.Element // of *cacheEntry
	order    list.List               // most recently used first
	keepData bool                    // sessions are kept, not only their versions
	lookups  int                     // in the current window
	hits     int                     // lookups that found the chat (with or without its session)
}

type cacheEntry struct {
	chatID int64
	s      cachedSession
}

// cachedSession is a session as this process wrote it.
type cachedSession struct {
	version int64                 // the version the write set
	token   string                // the write's token (field n)
	last    int64                 // the last update applied, 0 for none
	sess    *conversation.Session // as written (field d, decoded); nil while not kept or handed out
}

func newSessionCache(size int) *sessionCache {
	return &sessionCache{size: max(size, 1), chats: make(map[int64]*list.Element, size), keepData: true}
}

// take hands out the chat's session for update updateID (0: none), if it
// is kept, not handed out already, and the update is newer than the last
// one applied (an older one may be a redelivery, which only a read tells
// from an orphan). The caller owns the session from then on; the cache
// keeps only its version until the next put.
func (c *sessionCache) take(chatID, updateID int64) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s cachedSession
	el, ok := c.chats[chatID]
	if ok {
		c.order.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		c.hits++
		if updateID != 0 && updateID <= e.s.last {
			ok = false
		} else {
			s = e.s
			e.s.sess = nil
		}
	}
	c.lookups++
	if c.lookups >= max(c.size/2, 1) {
		switch {
		case c.keepData && c.hits*4 < c.lookups:
			c.keepData = false
			for el := c.order.Front(); el != nil; el = el.Next() {
				el.Value.(*cacheEntry).s.sess = nil
			}
		case !c.keepData && c.hits*2 >= c.lookups:
			c.keepData = true
		}
		c.lookups, c.hits = 0, 0
	}
	return s, ok && s.sess != nil
}

// keeps reports whether put keeps sessions, not only their versions.
func (c *sessionCache) keeps() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keepData
}

// put records the chat's session as this process wrote it. s.sess must
// be the cache's own (shared with nobody): the next take hands it out.
func (c *sessionCache) put(chatID int64, s cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.keepData {
		s.sess = nil
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
