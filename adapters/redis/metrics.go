package redis

import (
	"context"
	"errors"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// CommandObserver is told of every command the client runs: its name
// (lower case; "pipeline" for a pipeline or transaction), how long it took
// and whether it failed (redis.Nil, a missing key, is not a failure).
type CommandObserver func(command string, d time.Duration, failed bool)

// Observe adds a hook that reports every later command to fn, for
// metrics. Call it before the client is shared.
func (c *Client) Observe(fn CommandObserver) { c.rdb.AddHook(observerHook(fn)) }

type observerHook CommandObserver

func (h observerHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h observerHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h(cmd.Name(), time.Since(start), err != nil && !errors.Is(err, goredis.Nil))
		return err
	}
}

func (h observerHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h("pipeline", time.Since(start), err != nil && !errors.Is(err, goredis.Nil))
		return err
	}
}
