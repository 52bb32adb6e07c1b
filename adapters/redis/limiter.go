package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Limiter keeps token buckets in Redis, so that every replica of the bot
// takes from the same ones: the applicants' per-chat limit and the review
// group's send budget hold for all replicas together, not for each.
//
// A bucket is named by a key and described by its caller on each call:
// it holds at most burst tokens and gains one every `every`; a bucket
// Redis does not know is full. It is kept as GCRA (the generic cell rate
// algorithm): a single time, the moment the bucket will be full again (its
// "theoretical arrival time"), in the hash regbot:rate:{KEY} (field t, in
// microseconds), which expires at that moment: a bucket left alone costs
// nothing once it has refilled. One Lua script (limiterScript, EVALSHA)
// reads and moves it: one round trip per token.
//
// The clock is the Redis server's (TIME), so replicas whose clocks differ
// still agree. A clock that steps back makes the bucket look emptier than
// it is, but never by more than a full bucket (and, for Reserve, the
// furthest reservation, reserveHorizon): its time is clamped to that; one
// that steps forward refills it early, by at most a full bucket.
type Limiter struct {
	c *Client
	// Now, if set, is the clock instead of the Redis server's (tests).
	Now func() time.Time
}

// NewLimiter returns a limiter keeping its buckets on c.
func NewLimiter(c *Client) *Limiter { return &Limiter{c: c} }

// reserveHorizon is how far ahead Reserve books tokens at most: a longer
// maxWait is cut to it.
const reserveHorizon = 2 * time.Minute

func limiterKey(key string) string { return "regbot:rate:{" + key + "}" }

// limiterScript takes a token from the bucket KEYS[1]. ARGV: the interval
// between tokens (µs), the burst, how long the caller may wait for its
// token (µs; 0: only a token there now), the time (µs; "": the server's),
// the id the token is for ("": none), and how far beyond a full bucket
// the bucket's time may lie (µs). It answers {taken, wait, first}: taken
// 1 with the wait before the token is due (0: now); or taken 0 with the
// wait the token would have needed, and first 1 if this is the bucket's
// first refusal since it last gave a token to an id.
//
// With an id, the bucket remembers the id of its last token (field u) and
// lets that id through again without taking another: the same update
// delivered again, or to two replicas, costs one token; and it remembers
// that it refused (field w) until it gives a token again.
var limiterScript = goredis.NewScript(`
local every = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxwait = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local id = ARGV[5]
local horizon = tonumber(ARGV[6])
if not now then
	if redis.replicate_commands then redis.replicate_commands() end
	local t = redis.call('TIME')
	now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local st = redis.call('HMGET', KEYS[1], 't', 'u')
if id ~= '' and st[2] == id then
	return {1, 0, 0}
end
local tat = tonumber(st[1]) or now
local full = burst * every
if tat > now + full + horizon then
	-- The clock went back: what is booked beyond the furthest one can
	-- book is forgotten, for good.
	tat = now + full + horizon
	redis.call('HSET', KEYS[1], 't', string.format('%.0f', tat))
	redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000))
end
if tat < now then tat = now end
local nxt = tat + every
local wait = nxt - full - now
if wait > maxwait then
	local first = 0
	if id ~= '' and redis.call('HSETNX', KEYS[1], 'w', '1') == 1 then first = 1 end
	return {0, wait, first}
end
if wait < 0 then wait = 0 end
redis.call('HSET', KEYS[1], 't', string.format('%.0f', nxt))
if id ~= '' then
	redis.call('HSET', KEYS[1], 'u', id)
	redis.call('HDEL', KEYS[1], 'w')
end
redis.call('PEXPIRE', KEYS[1], math.ceil((nxt - now) / 1000))
return {1, wait, 0}
`)

// Allow takes a token from the bucket key for id if there is one now.
// The id its last token went to passes again without taking one (an
// update delivered again, or to two replicas). When it refuses, first
// reports whether this is the bucket's first refusal since it last gave
// a token. Errors are *domain.Error with CodeUnavailable.
func (l *Limiter) Allow(ctx context.Context, key string, id int64, every time.Duration, burst int) (ok, first bool, err error) {
	taken, _, first, err := l.take(ctx, key, strconv.FormatInt(id, 10), every, burst, 0, 0)
	return taken, first, err
}

// Reserve takes the bucket key's next token if it is due within maxWait
// (at most two minutes) and returns how long until it is (0: now); the
// caller waits that long before using it, and a token not used is lost.
// Callers are served in the order they reserve. If the token is further
// away, it takes nothing and returns false and how long the wait would
// have been. Errors are *domain.Error with CodeUnavailable.
func (l *Limiter) Reserve(ctx context.Context, key string, every time.Duration, burst int, maxWait time.Duration) (wait time.Duration, ok bool, err error) {
	maxWait = min(max(maxWait, 0), reserveHorizon)
	ok, wait, _, err = l.take(ctx, key, "", every, burst, maxWait, reserveHorizon)
	return wait, ok, err
}

func (l *Limiter) take(ctx context.Context, key, id string, every time.Duration, burst int, maxWait, horizon time.Duration) (ok bool, wait time.Duration, first bool, err error) {
	if every < time.Microsecond || burst < 1 {
		return false, 0, false, fmt.Errorf("redis: limiter %q: a token every %v with a burst of %d", key, every, burst)
	}
	now := ""
	if l.Now != nil {
		now = strconv.FormatInt(l.Now().UnixMicro(), 10)
	}
	res, err := limiterScript.Run(ctx, l.c.rdb, []string{limiterKey(key)},
		every.Microseconds(), burst, maxWait.Microseconds(), now, id, horizon.Microseconds()).Int64Slice()
	if err != nil {
		return false, 0, false, unavailable("rate limit", err)
	}
	if len(res) != 3 {
		return false, 0, false, unavailable("rate limit", fmt.Errorf("script answered %v", res))
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, res[2] == 1, nil
}
