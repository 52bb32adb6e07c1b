// Package redis keeps the bot's per-chat sessions in Redis: a
// conversation.SessionStore shared by every replica of the bot; and the
// other state the replicas share: the query-password lockout, the
// rejections waiting for a reason, and the rate limits (limiter.go).
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/regbot/regbot/domain"
)

// Client is a connection pool to one Redis server.
type Client struct {
	rdb *goredis.Client
}

// Open connects to the server at rawURL (redis://[user:password@]host:port/db,
// rediss:// for TLS; go-redis query options such as read_timeout=1s apply)
// and checks that it answers. An unreachable server gives a *domain.Error
// with CodeUnavailable.
func Open(ctx context.Context, rawURL string) (*Client, error) {
	rdb, err := newClient(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redis: bad URL: %w", err)
	}
	c := &Client{rdb: rdb}
	if err := c.Ping(ctx); err != nil {
		c.rdb.Close()
		return nil, err
	}
	// Loading the scripts now spares the first update a NOSCRIPT round trip
	// for each (after a restart of the server, the first update pays it).
	for _, s := range []*goredis.Script{loadScript, updateScript, limiterScript} {
		if err := s.Load(ctx, c.rdb).Err(); err != nil {
			c.rdb.Close()
			return nil, unavailable("load script", err)
		}
	}
	return c, nil
}

// Close closes the connections.
func (c *Client) Close() error { return c.rdb.Close() }

// Ping checks that the server answers, for readiness probes; it fails with
// a *domain.Error with CodeUnavailable.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// unavailable wraps a failure of the server or of the way to it.
func unavailable(op string, err error) error {
	return &domain.Error{Code: domain.CodeUnavailable, Err: fmt.Errorf("redis: %s: %w", op, err)}
}

// connBuffer is the size of each connection's read and write buffers.
const connBuffer = 8 << 10

// newClient builds a client from a redis:// or rediss:// URL. A URL with
// master_name names a Sentinel setup: its host and addr parameters list the
// sentinels, and the client follows the master they report (failover).
func newClient(rawURL string) (*goredis.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	// Deadlines of the caller's ctx bound socket I/O too (off by default);
	// go-redis dials 5 times per attempt by default, and with its command
	// retries a refused connection then takes seconds to report. go-redis
	// also retries a command after a network error or read timeout
	// (MaxRetries, 3 by default), even when the server may already have run
	// it: the reads here are harmless to repeat and the session write
	// recognises its own repetition (see updateScript), so retries stay on.
	timeouts := func(dial, read, write *time.Duration, retries *int) {
		for _, d := range []*time.Duration{dial, read, write} {
			if *d == 0 {
				*d = 2 * time.Second
			}
		}
		if *retries == 0 {
			*retries = 2
		}
	}
	// Buffers: go-redis gives every connection 32 KiB to read and 32 KiB to
	// write, and every connection of its pipeline pool 128 KiB to read;
	// about 2 MiB of the bot's live heap, for messages of a few KiB (a
	// session with its script's arguments, ~3 KiB). A larger message is
	// read and written in several pieces.
	buffers := func(read, write, pipeRead, pipeWrite *int) {
		for _, b := range []*int{read, write, pipeRead, pipeWrite} {
			if *b == 0 {
				*b = connBuffer
			}
		}
	}
	if u.Query().Has("master_name") {
		fo, err := goredis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, err
		}
		fo.ContextTimeoutEnabled = true
		timeouts(&fo.DialTimeout, &fo.ReadTimeout, &fo.WriteTimeout, &fo.DialerRetries)
		buffers(&fo.ReadBufferSize, &fo.WriteBufferSize, &fo.PipelineReadBufferSize, &fo.PipelineWriteBufferSize)
		return goredis.NewFailoverClient(fo), nil
	}
	opt, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	opt.ContextTimeoutEnabled = true
	timeouts(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries)
	buffers(&opt.ReadBufferSize, &opt.WriteBufferSize, &opt.PipelineReadBufferSize, &opt.PipelineWriteBufferSize)
	return goredis.NewClient(opt), nil
}
