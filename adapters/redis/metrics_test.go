package redis

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

func TestObserve(t *testing.T) {
	c := mustOpen(t)
	var mu sync.Mutex
	seen := map[string]bool{} // command → failed
	c.Observe(func(cmd string, d time.Duration, failed bool) {
		mu.Lock()
		defer mu.Unlock()
		seen[cmd] = failed
		if d <= 0 {
			t.Errorf("%s: duration %v", cmd, d)
		}
	})
	ctx := context.Background()
	if err := c.rdb.Get(ctx, "regbot:test:missing").Err(); !errors.Is(err, goredis.Nil) { // no failure
		t.Fatal(err)
	}
	_ = c.rdb.Do(ctx, "NOSUCHCOMMAND").Err()
	if _, err := c.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if failed, ok := seen["nosuchcommand"]; !ok || !failed {
		t.Errorf("a failing command is not reported as failed: %v", seen)
	}
	for cmd, failed := range seen {
		if cmd != "nosuchcommand" && failed {
			t.Errorf("%s reported as failed", cmd)
		}
	}
	if _, ok := seen["get"]; !ok || seen["pipeline"] || len(seen) < 3 {
		t.Errorf("commands seen: %v", seen)
	}
}
