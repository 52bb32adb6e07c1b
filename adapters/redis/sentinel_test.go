package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/devstack"
)

// TestOpenThroughSentinel starts a real Sentinel watching the test Redis
// and opens the store through it (REDIS_URL with master_name). go-redis
// logs the master it selected: with UseLogger, as a JSON line.
func TestOpenThroughSentinel(t *testing.T) {
	var logs lockedBuffer
	UseLogger(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { UseLogger(slog.Default()) })
	master, err := url.Parse(devstack.MustRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found: apt-get install -y redis-server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor regbot 127.0.0.1 %s 1\n",
		port, master.Port())), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	sentinelURL := fmt.Sprintf("redis://127.0.0.1:%d%s?master_name=regbot", port, master.Path)
	var c *Client
	deadline := time.Now().Add(20 * time.Second)
	for { // wait until the sentinel answers with its master (server start-up)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err = Open(ctx, sentinelURL)
		cancel()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Open through the sentinel: %v", err)
	}
	defer c.Close()
	store := NewSessionStore(c, 0)
	err = store.Update(context.Background(), 42, 1, func(s *conversation.Session) error { s.State = "via-sentinel"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	direct := mustOpenURL(t, master.String())
	got, err := NewSessionStore(direct, 0).Peek(context.Background(), 42)
	if err != nil || got.State != "via-sentinel" {
		t.Fatalf("session on the master = %+v, %v", got, err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if !strings.Contains(logs.String(), "sentinel: selected") {
		t.Errorf("go-redis's log has no line about the selected master: %q", logs.String())
	}
	for _, l := range lines {
		var entry struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(l), &entry); err != nil || entry.Level != "WARN" || !strings.HasPrefix(entry.Msg, "redis: ") {
			t.Errorf("go-redis log line %q is not a JSON warning of ours (%v)", l, err)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the writes of several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func mustOpenURL(tb testing.TB, u string) *Client {
	tb.Helper()
	c, err := Open(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
