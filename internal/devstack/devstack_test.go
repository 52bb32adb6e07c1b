package devstack

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { Main(m) }

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// tempDir is like t.TempDir but reachable by the postgres user when we run
// as root (t.TempDir's parent has mode 0700).
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "devstack-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func redisClient(t *testing.T, url string) *goredis.Client {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// assertGone fails unless no process of s's process group is left.
func assertGone(t *testing.T, s *Server) {
	t.Helper()
	if err := syscall.Kill(-s.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("%s's process group is still there after Stop (kill 0: %v)", s.name, err)
	}
}

func TestRedis(t *testing.T) {
	ctx := testContext(t)
	s, err := StartRedis(ctx, t.TempDir(), RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "redis://127.0.0.1:") || !strings.HasSuffix(s.URL, "/0") {
		t.Errorf("URL = %q", s.URL)
	}
	c := redisClient(t, s.URL)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, s)
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestRedisRestartKeepsAppendOnlyData(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	s, err := StartRedis(ctx, dir, RedisOptions{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := redisClient(t, s.URL).Set(ctx, "k", "kept", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s, err = StartRedis(ctx, dir, RedisOptions{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	got, err := redisClient(t, s.URL).Get(ctx, "k").Result()
	if err != nil || got != "kept" {
		t.Errorf("after restart: GET k = %q, %v; want kept", got, err)
	}
}

func TestPostgres(t *testing.T) {
	ctx := testContext(t)
	dir := tempDir(t)
	s, err := StartPostgres(ctx, dir, PostgresOptions{Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "postgres://postgres@127.0.0.1:") || strings.Contains(s.URL, ":5432/") ||
		!strings.HasSuffix(s.URL, "/regbot?sslmode=disable") {
		t.Errorf("URL = %q", s.URL)
	}
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `CREATE TABLE t (s text); INSERT INTO t VALUES ('kept')`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, s)

	// A second start reuses the cluster instead of running initdb again.
	s, err = StartPostgres(ctx, dir, PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	conn, err = pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var got string
	if err := conn.QueryRow(ctx, `SELECT s FROM t`).Scan(&got); err != nil || got != "kept" {
		t.Errorf("after restart: SELECT s FROM t = %q, %v; want kept", got, err)
	}
}

func TestMissingBinarySaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	oldDirs, oldRoot := redisDirs, pgRoot
	redisDirs, pgRoot = nil, t.TempDir()
	t.Cleanup(func() { redisDirs, pgRoot = oldDirs, oldRoot })

	_, err := StartRedis(t.Context(), t.TempDir(), RedisOptions{})
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y redis-server") {
		t.Errorf("StartRedis without redis-server: %v", err)
	}
	_, err = StartPostgres(t.Context(), t.TempDir(), PostgresOptions{})
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
		t.Errorf("StartPostgres without postgres: %v", err)
	}
}

func TestMustRedisGivesEmptyDistinctDatabases(t *testing.T) {
	ctx := testContext(t)
	a, b := MustRedis(t), MustRedis(t)
	if a == b {
		t.Fatalf("MustRedis returned %q twice", a)
	}
	ca, cb := redisClient(t, a), redisClient(t, b)
	if err := ca.Set(ctx, "k", "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := cb.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("key of %s visible in %s: %d, %v", a, b, n, err)
	}
}

func TestMustPostgresGivesFreshDatabases(t *testing.T) {
	ctx := testContext(t)
	a, b := MustPostgres(t), MustPostgres(t)
	if a == b {
		t.Fatalf("MustPostgres returned %q twice", a)
	}
	for _, url := range []string{a, b} {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, `CREATE TABLE t (id int)`) // fails if the other URL's table is there
		conn.Close(ctx)
		if err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}
