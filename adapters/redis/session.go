package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

var _ conversation.SessionStore = (*SessionStore)(nil)

// DefaultTTL is how long an untouched session is kept.
const DefaultTTL = 30 * 24 * time.Hour

// maxTries bounds how often Update reads and tries to write a session that
// others keep changing.
const maxTries = 10

// SessionStore implements conversation.SessionStore. Each chat's session is
// one hash, regbot:sess:{<chat ID>}, with the fields
//
//	v  version, incremented by every write (compare-and-set)
//	u  IDs of the last updates applied, oldest first, comma-separated
//	   (redelivery check; at most appliedIDs of them)
//	o  the instance that applied the last of them (see orphans below)
//	d  the Session as JSON
//	n  a random token naming the write that set v (see updateScript)
//	a  time of the last write, Unix milliseconds
//	g  the session's GuardedAccount(), if any: loadScript reads that
//	   account's query lock (QueryGuard) along with the session, and
//	   Update hands it to fn as Session.AccountLocked
//
// and it expires after the store's TTL without writes. Every write also
// (re)schedules the chat in the sorted set regbot:reminders (score: when
// the idle reminder is due); ClaimReminders hands due chats out once.
//
// Order across replicas. Each update being applied is registered in the
// chat's in-flight hash regbot:infl:{<chat ID>} (update ID → lease
// deadline, instance, call token) by the same script that reads the
// session; Replied removes it once the update's replies are sent (with a
// single consumer, the write that applies it does: the process answers a
// chat's updates in order anyway). An update waits while an earlier update
// of its chat (or the same one, delivered twice) is in flight elsewhere,
// so updates that reach several replicas at once are applied and answered
// one at a time in update-ID order, none dropped. An entry stops
// counting when its lease ends (the handler's deadline) or when its
// instance is gone: with SingleConsumer any other instance is gone (long
// polling has one consumer, so another one is an earlier incarnation of
// this process), otherwise an instance is alive while its heartbeat key
// regbot:alive:<instance> exists (Heartbeat keeps it).
//
// Orphans. A redelivered update is normally ignored: whoever applied it
// answered it. But the instance that applied it keeps its in-flight entry
// until its replies are sent (Replied), so a redelivery that finds the
// entry of a live instance waits for it, and one that finds the entry of
// a gone instance (or, without an entry, finds the update the last one
// applied by a gone instance) takes it over: that instance may have died
// between saving and replying. Update then returns
// conversation.ErrOrphanedUpdate so that the engine asks the question
// again and deletes the message if it may hold a secret. A redelivery
// soon after the death, within the heartbeat's TTL, thus waits out the
// TTL instead of being answered with nothing. A later update of the chat
// does not wait for such an entry (its instance is gone) but leaves it in
// place: the applicant may have had the answer and gone on before the
// redelivery came, and the message it carried may still be undeleted.
//
// Scripts touch the reminder set, the heartbeat keys, the query locks
// (whose hash tag is the account, not the chat; loadScript builds the
// lock's key from field g, so it is not among the script's KEYS) and a
// chat's hashes together, so under Redis Cluster all of them need to live
// on one node (a single Redis or Sentinel setup is what the project runs).
type SessionStore struct {
	c     *Client
	ttlMS int64
	// RemindAfter is the idleness after which a reminder is due (24h).
	RemindAfter time.Duration
	// WarnBefore is how long before expiry the last warning goes out (3 days).
	WarnBefore time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Instance names this process in in-flight entries and applied
	// updates; NewSessionStore makes a random one.
	Instance string
	// SingleConsumer says that no other live process handles updates
	// (long polling); see the type's comment.
	SingleConsumer bool
	// Logger gets the store's warnings (slog.Default when nil).
	Logger *slog.Logger

	cache *sessionCache // see CacheSessions
}

// CacheSessions makes Update keep the last size sessions this process
// wrote (decoded: about 3.3 KB each, a complete draft) and take the next update of
// such a chat from there, without reading it: one round trip per update
// instead of two. Only for a single consumer (SingleConsumer): with
// several, updates of a chat reach all of them and must be registered in
// flight, which is the read's other job. A session waiting at an
// account question (GuardedAccount) is not kept: its read brings the
// account's query lock. Call it before the store is used; size 0 keeps
// none.
func (s *SessionStore) CacheSessions(size int) {
	s.cache = nil
	if size > 0 {
		s.cache = newSessionCache(size)
	}
}

func (s *SessionStore) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

const (
	remindersKey = "regbot:reminders"
	aliveKey     = "regbot:alive:"
	// appliedIDs is how many applied update IDs a session remembers. An
	// update older than all of them is taken as applied: Telegram
	// redelivers only the last few unconfirmed ones.
	appliedIDs = 8
	// defaultLease bounds an in-flight entry when the context has no
	// deadline.
	defaultLease = time.Minute
	// heartbeatEvery and heartbeatTTL: an instance counts as gone within
	// heartbeatTTL of its last beat.
	heartbeatEvery = time.Second
	heartbeatTTL   = 3 * time.Second
)

func (s *SessionStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewSessionStore returns a store that keeps sessions in c for ttl after
// their last change (DefaultTTL if ttl is not positive).
func NewSessionStore(c *Client, ttl time.Duration) *SessionStore {
	if c == nil {
		panic("redis: NewSessionStore with a nil Client")
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &SessionStore{c: c, ttlMS: max(ttl.Milliseconds(), 1), RemindAfter: 24 * time.Hour, WarnBefore: 3 * 24 * time.Hour,
		Instance: strconv.FormatUint(rand.Uint64(), 36)}
}

func sessionKey(chatID int64) string {
	// The braces make a hash tag: every key of a chat stays in one cluster slot.
	return "regbot:sess:{" + strconv.FormatInt(chatID, 10) + "}"
}

func inflightKey(chatID int64) string {
	return "regbot:infl:{" + strconv.FormatInt(chatID, 10) + "}"
}

// Heartbeat keeps this instance's heartbeat key until ctx is done, so that
// other replicas count its in-flight updates and do not take its applied
// ones for orphans. Only needed without SingleConsumer.
func (s *SessionStore) Heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		if err := s.c.rdb.Set(ctx, aliveKey+s.Instance, 1, heartbeatTTL).Err(); err != nil && ctx.Err() == nil {
			s.log().Warn("redis: heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Replies of updateScript besides the new version (always positive).
const (
	replyDuplicate = -1 // the update was applied already
	replyConflict  = -2 // the version changed since it was read
)

// luaCommon are the helpers of loadScript and updateScript.
//
//	applied(list, upd)  whether upd is in the comma-separated list, or
//	                    older than every ID of a full list
//	alive(inst)         whether the instance may still be working
//	                    (ARGV[1] this instance, ARGV[2] '1' single consumer)
var luaCommon = `
local function applied(list, upd)
	if not list then return false end
	local n, lowest = 0, nil
	for id in string.gmatch(list, '%d+') do
		id = tonumber(id)
		if id == upd then return true end
		n = n + 1
		if not lowest or id < lowest then lowest = id end
	end
	return n >= ` + strconv.Itoa(appliedIDs) + ` and upd < lowest
end
local function alive(inst)
	if inst == ARGV[1] then return true end
	if ARGV[2] == '1' then return false end
	return redis.call('EXISTS', '` + aliveKey + `' .. inst) == 1
end
`

// loadScript reads a session and registers an update as in flight.
//
//	KEYS[1] the session hash     KEYS[2] the chat's in-flight hash
//	ARGV[1] this instance        ARGV[2] '1' if single consumer
//	ARGV[3] update ID, 0 for none (then nothing is registered)
//	ARGV[4] now, Unix ms         ARGV[5] lease in ms
//	ARGV[6] token of this Update call
//
// It returns {status, v, d, n, u, g, locked}, locked 1 if g names an
// account whose query lock exists (only looked up with status ok), and
// status
//
//	ok      go ahead
//	dup     applied already, and answered
//	orphan  applied already by an instance now gone, which may have died
//	        before its replies went out (its in-flight entry is still
//	        there, or the update is the last applied and nothing says it
//	        was answered); this instance takes it over (the caller
//	        answers it)
//	wait    an earlier update of the chat (or this one, by another
//	        call) is in flight, or this one was applied by a live
//	        instance that has not sent its replies yet: read again later
var loadScript = goredis.NewScript(luaCommon + `
local h = redis.call('HMGET', KEYS[1], 'v', 'd', 'n', 'u', 'o', 'g')
local upd = tonumber(ARGV[3])
local status = 'ok'
if upd > 0 then
	if applied(h[4], upd) then
		status = 'dup'
		local e = redis.call('HGET', KEYS[2], ARGV[3])
		if e then
			-- Applied, but its replies are not known to be sent: the
			-- instance that applied it removes the entry once they are
			-- (Replied). While that instance may still be sending them,
			-- wait; once it is gone, take the update over.
			local dl, inst, tok = string.match(e, '^(%d+)|([^|]*)|(.*)$')
			if tok == ARGV[6] then
				status = 'dup'
			elseif tonumber(dl) >= tonumber(ARGV[4]) and alive(inst) then
				status = 'wait'
			else
				status = 'orphan'
			end
		else
			local last = string.match(h[4], '(%d+)$')
			if tonumber(last) == upd and h[5] and not alive(h[5]) then
				status = 'orphan'
			end
		end
		if status == 'orphan' then
			-- The caller answers it: the next redelivery is a plain one.
			redis.call('HDEL', KEYS[2], ARGV[3])
			redis.call('HSET', KEYS[1], 'o', ARGV[1])
		end
	else
		local now = tonumber(ARGV[4])
		local all = redis.call('HGETALL', KEYS[2])
		local mine = true
		for i = 1, #all, 2 do
			local id = tonumber(all[i])
			local dl, inst, tok = string.match(all[i+1], '^(%d+)|([^|]*)|(.*)$')
			if id <= upd and tok ~= ARGV[6] then
				if not alive(inst) and applied(h[4], id) then
					-- Applied by an instance now gone, perhaps never
					-- answered: nothing to wait for, but the entry stays
					-- for the update's redelivery to find and take over
					-- (it goes with the hash's expiry otherwise).
				elseif tonumber(dl) < now or not alive(inst) then
					redis.call('HDEL', KEYS[2], all[i])
				else
					status = 'wait'
					if id == upd then mine = false end
				end
			end
		end
		if mine then
			local lease = tonumber(ARGV[5])
			redis.call('HSET', KEYS[2], ARGV[3], (now + lease) .. '|' .. ARGV[1] .. '|' .. ARGV[6])
			if redis.call('PTTL', KEYS[2]) < lease then
				redis.call('PEXPIRE', KEYS[2], lease)
			end
		end
	end
end
local locked = 0
if status == 'ok' and h[6] then
	locked = redis.call('EXISTS', '` + lockKeyPrefix + `' .. h[6] .. '` + lockKeySuffix + `')
end
return {status, h[1], h[2], h[3], h[4], h[6], locked}
`)

// updateScript writes a session if its version is still the one read.
//
//	KEYS[1] the session hash  KEYS[2] the reminder schedule
//	KEYS[3] the chat's in-flight hash
//	ARGV[1] this instance     ARGV[2] '1' if single consumer: the update's
//	        in-flight entry is removed (else Replied removes it)
//	ARGV[3] version read, 0 for none
//	ARGV[4] update ID, 0 for none
//	ARGV[5] session JSON      ARGV[6] TTL in milliseconds
//	ARGV[7] token of this write
//	ARGV[8] now, Unix ms      ARGV[9] when the idle reminder is due, Unix ms
//	ARGV[10] the chat ID (member of KEYS[2])
//	ARGV[11] token of the Update call (names its in-flight entry)
//	ARGV[12] the session's GuardedAccount(), "" for none
//	ARGV[13] the token of the write that set the version read ("" for
//	         none): with it a session deleted and written again up to the
//	         same version is still a conflict
//
// The token makes the write safe to repeat: when go-redis retries the script
// after a timeout although the first run got through, the second run finds
// its own token and reports success instead of a conflict (which would make
// Update apply fn twice) or a duplicate (which would drop the replies).
var updateScript = goredis.NewScript(luaCommon + `
local cur = redis.call('HMGET', KEYS[1], 'v', 'u', 'n')
local v = tonumber(cur[1]) or 0
if cur[3] == ARGV[7] then
	return v
end
local upd = tonumber(ARGV[4])
if upd > 0 and applied(cur[2], upd) then
	return -1
end
if v ~= tonumber(ARGV[3]) or (cur[3] or '') ~= ARGV[13] then
	return -2
end
v = v + 1
if upd > 0 then
	local ids = {}
	if cur[2] then
		for id in string.gmatch(cur[2], '%d+') do table.insert(ids, id) end
	end
	table.insert(ids, ARGV[4])
	while #ids > ` + strconv.Itoa(appliedIDs) + ` do table.remove(ids, 1) end
	redis.call('HSET', KEYS[1], 'v', v, 'u', table.concat(ids, ','), 'o', ARGV[1], 'd', ARGV[5], 'n', ARGV[7], 'a', ARGV[8])
	if ARGV[2] == '1' then
		local e = redis.call('HGET', KEYS[3], ARGV[4])
		if e and string.sub(e, -#ARGV[11] - 1) == '|' .. ARGV[11] then
			redis.call('HDEL', KEYS[3], ARGV[4])
		end
	end
else
	redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[5], 'n', ARGV[7], 'a', ARGV[8])
end
if ARGV[12] ~= '' then
	redis.call('HSET', KEYS[1], 'g', ARGV[12])
else
	redis.call('HDEL', KEYS[1], 'g')
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[9], ARGV[10])
return v
`)

// Update implements conversation.SessionStore: loadScript (read, register
// the update as in flight), then fn, then updateScript (compare-and-set,
// record the update as applied) — two round trips, the query lock that
// fn may need included (Session.AccountLocked), or one when the session
// comes from the cache (CacheSessions) —
// repeated while others change the session in between (up to maxTries,
// then a *domain.Error with CodeConflict). While an earlier update of the
// chat is in flight elsewhere it reads again after a pause, until ctx ends.
// On success the Session that fn last saw carries the stored Version and
// LastUpdateID.
func (s *SessionStore) Update(ctx context.Context, chatID, updateID int64, fn func(*conversation.Session) error) (err error) {
	key, infl := sessionKey(chatID), inflightKey(chatID)
	call := strconv.FormatUint(rand.Uint64(), 36)
	single := "0"
	if s.SingleConsumer {
		single = "1"
	}
	var (
		unsure    *conversation.Session // written with token unsureTok, but the reply was lost
		unsureTok string
		lastErr   error
		waits     int
	)
	registered := false // the load script ran: the update may be in flight
	if updateID != 0 {
		defer func() {
			if registered && err != nil && !errors.Is(err, conversation.ErrDuplicateUpdate) {
				s.release(ctx, infl, updateID, call)
			}
		}()
	}
	for try := 1; try <= maxTries; {
		if try > 1 || waits > 0 {
			if err := pause(ctx, try+min(waits, 5)); err != nil {
				return unavailable("update session", err)
			}
		}
		now := s.now()
		var (
			sess      conversation.Session
			readTok   string // the token of the write that set the version read
			fromCache bool
		)
		if c, ok := s.cached(chatID, updateID, try == 1 && waits == 0 && unsure == nil); ok {
			fromCache = true
			sess = *c.sess // this call's own from now on (see sessionCache.take)
			sess.Version, sess.LastUpdateID = c.version, c.last
			readTok = c.token
		} else {
			registered = true
			res, err := loadScript.Run(ctx, s.c.rdb, []string{key, infl}, s.Instance, single, updateID,
				now.UnixMilli(), lease(ctx, now).Milliseconds(), call).Slice()
			if err != nil {
				return unavailable("read session", err)
			}
			status, v, d, n, u := str(res, 0), str(res, 1), str(res, 2), str(res, 3), str(res, 4)
			if unsure != nil && n == unsureTok {
				// The write whose reply was lost went through.
				unsure.Version, _ = strconv.ParseInt(v, 10, 64)
				unsure.LastUpdateID = lastID(u)
				return nil
			}
			unsure = nil
			switch status {
			case "dup":
				return conversation.ErrDuplicateUpdate
			case "orphan":
				return conversation.ErrOrphanedUpdate
			case "wait":
				waits++
				continue
			}
			if sess, err = decodeSession(v, d, u); err != nil {
				return fmt.Errorf("redis: session of chat %d: %w", chatID, err)
			}
			readTok = n
			// The lock was read for the account in g. A session written
			// without g (by an older version of this store) may have
			// left a g of an earlier question: then fn asks the guard.
			if g := sess.GuardedAccount(); g != "" && g == str(res, 5) {
				locked := num(res, 6) == 1
				sess.AccountLocked = &locked
			}
		}
		version, lastUpdateID := sess.Version, sess.LastUpdateID
		if err := fn(&sess); err != nil {
			return err
		}
		data, err := json.Marshal(&sess)
		if err != nil {
			return fmt.Errorf("redis: encode session of chat %d: %w", chatID, err)
		}
		token := strconv.FormatUint(rand.Uint64(), 36)
		guarded := sess.GuardedAccount()
		res2, err := updateScript.Run(ctx, s.c.rdb, []string{key, remindersKey, infl}, s.Instance, single, version, updateID, data, s.ttlMS, token,
			now.UnixMilli(), now.Add(s.RemindAfter).UnixMilli(), chatID, call, guarded, readTok).Int64()
		try++
		if err != nil || res2 < 0 {
			s.uncache(chatID)
		}
		if err != nil {
			var rerr goredis.Error
			if ctx.Err() != nil || errors.As(err, &rerr) {
				// The caller gave up, or the server refused the script:
				// nothing to learn from reading again.
				return unavailable("write session", err)
			}
			// A network failure: the write may or may not have happened.
			// The next read tells by the token.
			unsure, unsureTok, lastErr = &sess, token, err
			continue
		}
		switch res2 {
		case replyDuplicate:
			if fromCache {
				// Another process applied it: the read tells a plain
				// redelivery from an orphan.
				continue
			}
			return conversation.ErrDuplicateUpdate
		case replyConflict:
			continue
		}
		sess.Version = res2
		sess.LastUpdateID = lastUpdateID
		if updateID != 0 {
			sess.LastUpdateID = updateID
		}
		if s.cache != nil {
			if guarded == "" {
				// A copy of what was written: fn's session may still be
				// read (or kept) by the caller, so the cache's own shares
				// nothing with it. The next update of the chat takes it.
				c := cachedSession{version: res2, token: token, last: sess.LastUpdateID}
				if s.cache.keeps() {
					kept := sess.Clone()
					c.sess = &kept
				}
				s.cache.put(chatID, c)
			} else {
				s.cache.drop(chatID)
			}
		}
		return nil
	}
	if unsure != nil {
		return unavailable("write session", lastErr)
	}
	return &domain.Error{Code: domain.CodeConflict,
		Err: fmt.Errorf("redis: session of chat %d changed under each of %d tries", chatID, maxTries)}
}

// Replied implements conversation.SessionStore. With several consumers it
// removes the update's in-flight entry (one round trip); with a single
// consumer the write that applied the update removed it already, since a
// chat's updates are answered in order within the process.
func (s *SessionStore) Replied(ctx context.Context, chatID, updateID int64) {
	if s.SingleConsumer || updateID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := dropEntryScript.Run(ctx, s.c.rdb, []string{inflightKey(chatID)}, updateID, "|"+s.Instance+"|").Err(); err != nil && !errors.Is(err, goredis.Nil) {
		s.log().Warn("redis: releasing an answered update failed", "update_id", updateID, "err", err)
	}
}

// dropEntryScript removes the in-flight entry of update ARGV[1] if its
// value contains ARGV[2]: "|instance|" (this instance holds it) or
// "|call token" (this call registered it).
var dropEntryScript = goredis.NewScript(`
local e = redis.call('HGET', KEYS[1], ARGV[1])
if e and string.find(e, ARGV[2], 1, true) then
	redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`)

// release removes the in-flight entry of an update that was not applied
// (fn failed, the store failed), if it is still this call's, so that later
// updates of the chat need not wait for its lease to end.
func (s *SessionStore) release(ctx context.Context, infl string, updateID int64, call string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := dropEntryScript.Run(ctx, s.c.rdb, []string{infl}, updateID, "|"+call).Err(); err != nil && !errors.Is(err, goredis.Nil) {
		s.log().Warn("redis: releasing an in-flight update failed", "update_id", updateID, "err", err)
	}
}

// lease is how long an in-flight entry holds others back: until ctx's
// deadline (the handler gives up then), at most defaultLease.
func lease(ctx context.Context, now time.Time) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return min(max(dl.Sub(now), time.Millisecond)+time.Second, 5*time.Minute)
	}
	return defaultLease
}

// str is element i of a script's reply as a string ("" for nil).
func str(res []any, i int) string {
	if i < len(res) {
		if s, ok := res[i].(string); ok {
			return s
		}
	}
	return ""
}

// num is element i of a script's reply as an integer (0 if it is none).
func num(res []any, i int) int64 {
	if i < len(res) {
		if n, ok := res[i].(int64); ok {
			return n
		}
	}
	return 0
}

// lastID is the last of a comma-separated list of update IDs (0 if none).
func lastID(list string) int64 {
	if i := strings.LastIndexByte(list, ','); i >= 0 {
		list = list[i+1:]
	}
	id, _ := strconv.ParseInt(list, 10, 64)
	return id
}

// cached returns the chat's session from the cache, if it is there and
// may be used: on a first try (a retry follows a conflict or a lost
// reply, which the read settles), and for an update newer than the last
// one applied (an older one may be a redelivery, which the read tells
// from an orphan).
func (s *SessionStore) cached(chatID, updateID int64, first bool) (cachedSession, bool) {
	if s.cache == nil || !s.SingleConsumer || !first {
		return cachedSession{}, false
	}
	return s.cache.take(chatID, updateID)
}

func (s *SessionStore) uncache(chatID int64) {
	if s.cache != nil {
		s.cache.drop(chatID)
	}
}

// Delete implements conversation.SessionStore.
func (s *SessionStore) Delete(ctx context.Context, chatID int64) error {
	s.uncache(chatID)
	_, err := s.c.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Del(ctx, sessionKey(chatID))
		p.ZRem(ctx, remindersKey, chatID)
		return nil
	})
	if err != nil {
		return unavailable("delete session", err)
	}
	return nil
}

// Peek implements conversation.SessionStore: one HGETALL, no write.
func (s *SessionStore) Peek(ctx context.Context, chatID int64) (conversation.Session, error) {
	h, err := s.c.rdb.HGetAll(ctx, sessionKey(chatID)).Result()
	if err != nil {
		return conversation.Session{}, unavailable("read session", err)
	}
	return decodeSession(h["v"], h["d"], h["u"])
}

// claimScript hands out chats whose reminder is due, each exactly once
// across replicas (the script runs atomically), and schedules the next one.
//
//	KEYS[1] the reminder schedule
//	ARGV[1] now (ms)   ARGV[2] limit   ARGV[3] remind after (ms)
//	ARGV[4] warn after (ms)            ARGV[5] session key prefix
//
// It returns chat, kind, chat, kind, … with kind "idle" or "expiry".
var claimScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, chat in ipairs(due) do
	local a = tonumber(redis.call('HGET', ARGV[5] .. chat .. '}', 'a'))
	if not a then
		redis.call('ZREM', KEYS[1], chat)
	elseif now - a >= tonumber(ARGV[4]) then
		redis.call('ZREM', KEYS[1], chat)
		table.insert(out, chat)
		table.insert(out, 'expiry')
	elseif now - a >= tonumber(ARGV[3]) then
		redis.call('ZADD', KEYS[1], a + tonumber(ARGV[4]), chat)
		table.insert(out, chat)
		table.insert(out, 'idle')
	else
		redis.call('ZADD', KEYS[1], a + tonumber(ARGV[3]), chat)
	end
end
return out
`)

// ClaimReminders returns up to limit chats that are due a reminder at now:
// KindIdle once a draft has been idle for RemindAfter, KindExpiry once it is
// WarnBefore from expiring. Each is returned to one caller only.
func (s *SessionStore) ClaimReminders(ctx context.Context, now time.Time, limit int) ([]conversation.Reminder, error) {
	warnAfter := time.Duration(s.ttlMS)*time.Millisecond - s.WarnBefore
	res, err := claimScript.Run(ctx, s.c.rdb, []string{remindersKey}, now.UnixMilli(), limit,
		s.RemindAfter.Milliseconds(), warnAfter.Milliseconds(), "regbot:sess:{").StringSlice()
	if err != nil {
		return nil, unavailable("claim reminders", err)
	}
	var out []conversation.Reminder
	for i := 0; i+1 < len(res); i += 2 {
		chat, err := strconv.ParseInt(res[i], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, conversation.Reminder{ChatID: chat, Kind: conversation.ReminderKind(res[i+1])})
	}
	return out, nil
}

// decodeSession builds a Session from the fields of its hash; no fields
// (no hash) give a zero Session.
func decodeSession(v, d, u string) (conversation.Session, error) {
	var sess conversation.Session
	if d != "" {
		if err := json.Unmarshal([]byte(d), &sess); err != nil {
			return sess, fmt.Errorf("decode: %w", err)
		}
	}
	if v != "" {
		var err error
		if sess.Version, err = strconv.ParseInt(v, 10, 64); err != nil {
			return sess, fmt.Errorf("decode: %w", err)
		}
	}
	sess.LastUpdateID = lastID(u)
	return sess, nil
}

// pause waits before try (2, 3, …): a random time around a doubling step,
// so that writers that collided spread out.
func pause(ctx context.Context, try int) error {
	step := time.Millisecond << min(try-2, 5)
	t := time.NewTimer(step/2 + rand.N(step))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
