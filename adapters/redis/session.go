package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
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
//	u  ID of the last update applied (redelivery check)
//	d  the Session as JSON
//	n  a random token naming the write that set v (see updateScript)
//	a  time of the last write, Unix milliseconds
//
// and it expires after the store's TTL without writes. Every write also
// (re)schedules the chat in the sorted set regbot:reminders (score: when
// the idle reminder is due); ClaimReminders hands due chats out once.
// Scripts touch that set and the session hashes together, so under Redis
// Cluster both need to live on one node (a single Redis or Sentinel setup
// is what the project runs).
type SessionStore struct {
	c     *Client
	ttlMS int64
	// RemindAfter is the idleness after which a reminder is due (24h).
	RemindAfter time.Duration
	// WarnBefore is how long before expiry the last warning goes out (3 days).
	WarnBefore time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

const remindersKey = "regbot:reminders"

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
	return &SessionStore{c: c, ttlMS: max(ttl.Milliseconds(), 1), RemindAfter: 24 * time.Hour, WarnBefore: 3 * 24 * time.Hour}
}

func sessionKey(chatID int64) string {
	// The braces make a hash tag: every key of a chat stays in one cluster slot.
	return "regbot:sess:{" + strconv.FormatInt(chatID, 10) + "}"
}

// Replies of updateScript besides the new version (always positive).
const (
	replyDuplicate = -1 // the update was applied already
	replyConflict  = -2 // the version changed since it was read
)

// updateScript writes a session if its version is still the one read.
//
//	KEYS[1] the session hash
//	ARGV[1] version read, 0 for none
//	ARGV[2] update ID, 0 for none
//	ARGV[3] session JSON
//	ARGV[4] TTL in milliseconds
//	ARGV[5] token of this write
//	ARGV[6] now, Unix milliseconds
//	ARGV[7] when the idle reminder is due, Unix milliseconds
//	ARGV[8] the chat ID (member of KEYS[2])
//	KEYS[2] the reminder schedule
//
// The token makes the write safe to repeat: when go-redis retries the script
// after a timeout although the first run got through, the second run finds
// its own token and reports success instead of a conflict (which would make
// Update apply fn twice) or a duplicate (which would drop the replies).
var updateScript = goredis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'u', 'n')
local v = tonumber(cur[1]) or 0
if cur[3] == ARGV[5] then
	return v
end
local upd = tonumber(ARGV[2])
if upd > 0 and (tonumber(cur[2]) or 0) >= upd then
	return -1
end
if v ~= tonumber(ARGV[1]) then
	return -2
end
v = v + 1
if upd > 0 then
	redis.call('HSET', KEYS[1], 'v', v, 'u', ARGV[2], 'd', ARGV[3], 'n', ARGV[5], 'a', ARGV[6])
else
	redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[3], 'n', ARGV[5], 'a', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[8])
return v
`)

// Update implements conversation.SessionStore: one HGETALL, then fn, then
// updateScript, repeated while others change the session in between (up to
// maxTries, then a *domain.Error with CodeConflict). On success the Session
// that fn last saw carries the stored Version and LastUpdateID.
func (s *SessionStore) Update(ctx context.Context, chatID, updateID int64, fn func(*conversation.Session) error) error {
	key := sessionKey(chatID)
	var (
		unsure    *conversation.Session // written with token unsureTok, but the reply was lost
		unsureTok string
		lastErr   error
	)
	for try := 1; try <= maxTries; try++ {
		if try > 1 {
			if err := pause(ctx, try); err != nil {
				return unavailable("update session", err)
			}
		}
		h, err := s.c.rdb.HGetAll(ctx, key).Result()
		if err != nil {
			return unavailable("read session", err)
		}
		if unsure != nil && h["n"] == unsureTok {
			// The write whose reply was lost went through.
			unsure.Version, _ = strconv.ParseInt(h["v"], 10, 64)
			unsure.LastUpdateID, _ = strconv.ParseInt(h["u"], 10, 64)
			return nil
		}
		unsure = nil
		sess, err := decodeSession(h)
		if err != nil {
			return fmt.Errorf("redis: session of chat %d: %w", chatID, err)
		}
		if updateID != 0 && updateID <= sess.LastUpdateID {
			return conversation.ErrDuplicateUpdate
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
		now := s.now()
		res, err := updateScript.Run(ctx, s.c.rdb, []string{key, remindersKey}, version, updateID, data, s.ttlMS, token,
			now.UnixMilli(), now.Add(s.RemindAfter).UnixMilli(), chatID).Int64()
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
		switch res {
		case replyDuplicate:
			return conversation.ErrDuplicateUpdate
		case replyConflict:
			continue
		}
		sess.Version = res
		sess.LastUpdateID = lastUpdateID
		if updateID != 0 {
			sess.LastUpdateID = updateID
		}
		return nil
	}
	if unsure != nil {
		return unavailable("write session", lastErr)
	}
	return &domain.Error{Code: domain.CodeConflict,
		Err: fmt.Errorf("redis: session of chat %d changed under each of %d tries", chatID, maxTries)}
}

// Delete implements conversation.SessionStore.
func (s *SessionStore) Delete(ctx context.Context, chatID int64) error {
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
	return decodeSession(h)
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

// decodeSession turns a session hash into a Session; a missing hash (no
// fields) is a zero Session.
func decodeSession(h map[string]string) (conversation.Session, error) {
	var sess conversation.Session
	if d, ok := h["d"]; ok {
		if err := json.Unmarshal([]byte(d), &sess); err != nil {
			return sess, fmt.Errorf("decode: %w", err)
		}
	}
	var err1, err2 error
	if v, ok := h["v"]; ok {
		sess.Version, err1 = strconv.ParseInt(v, 10, 64)
	}
	if u, ok := h["u"]; ok {
		sess.LastUpdateID, err2 = strconv.ParseInt(u, 10, 64)
	}
	if err := errors.Join(err1, err2); err != nil {
		return sess, fmt.Errorf("decode: %w", err)
	}
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
