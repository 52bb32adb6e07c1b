package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/regbot/regbot/conversation"
)

var _ conversation.QueryGuard = (*QueryGuard)(nil)

// QueryGuard counts wrong query passwords per marketing account, across
// all users and replicas: MaxFailures within Window lock the account for
// LockFor. Keys: regbot:qfail:{account} (counter) and regbot:qlock:{account}.
// SessionStore.Update reads the lock too, for the account a session is
// asking the query password of (see Session.AccountLocked), so that the
// engine need not call Locked.
type QueryGuard struct {
	c           *Client
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
}

// NewQueryGuard returns a guard with the SPEC's limits: 5 failures within
// an hour lock the account for an hour.
func NewQueryGuard(c *Client) *QueryGuard {
	return &QueryGuard{c: c, MaxFailures: 5, Window: time.Hour, LockFor: time.Hour}
}

// The lock key is lockKeyPrefix + account + lockKeySuffix. The session
// store's loadScript builds it too (from these constants), to read the lock
// along with a session.
const (
	lockKeyPrefix = "regbot:qlock:{"
	lockKeySuffix = "}"
)

func lockKey(account string) string { return lockKeyPrefix + account + lockKeySuffix }

func guardKeys(account string) []string {
	return []string{"regbot:qfail:{" + account + "}", lockKey(account)}
}

// Locked implements conversation.QueryGuard.
func (g *QueryGuard) Locked(ctx context.Context, account string) (bool, error) {
	n, err := g.c.rdb.Exists(ctx, lockKey(account)).Result()
	if err != nil {
		return false, unavailable("query lock", err)
	}
	return n == 1, nil
}

var failScript = goredis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
	redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
	redis.call('DEL', KEYS[1])
	return 1
end
return 0
`)

// Failed implements conversation.QueryGuard.
func (g *QueryGuard) Failed(ctx context.Context, account string) (bool, error) {
	n, err := failScript.Run(ctx, g.c.rdb, guardKeys(account), g.Window.Milliseconds(), g.MaxFailures, g.LockFor.Milliseconds()).Int()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return false, unavailable("query failure", err)
	}
	return n == 1, nil
}
