package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Main runs the tests of a package that uses MustRedis or MustPostgres,
// then stops the servers they started and exits with the tests' status:
//
//	func TestMain(m *testing.M) { devstack.Main(m) }
func Main(m *testing.M) {
	shared.main.Store(true)
	code := m.Run()
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// MustRedis returns the URL of an empty Redis database. All calls in a test
// binary share one server (started on first use, stopped by Main) and get
// the databases 0 to 15 in turn, each flushed first; so at most 16 tests that
// run at the same time can have their own. A failure ends the test: it
// never skips.
func MustRedis(tb testing.TB) string {
	tb.Helper()
	s := shared.redis.get(tb, "MustRedis", func(ctx context.Context, dir string) (*Server, error) {
		return StartRedis(ctx, dir, RedisOptions{})
	})
	db := int(shared.redisCalls.Add(1)-1) % 16
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := redisCommands(ctx, s.addr, "SELECT "+strconv.Itoa(db), "FLUSHDB"); err != nil {
		tb.Fatalf("devstack: flush redis database %d: %v", db, err)
	}
	return "redis://" + s.addr + "/" + strconv.Itoa(db)
}

// MustPostgres returns the URL of a new, empty database (created from
// template0) on a PostgreSQL server that all calls in a test binary share
// (started on first use with PostgresOptions.Fast, stopped by Main). A
// failure ends the test: it never skips.
func MustPostgres(tb testing.TB) string {
	tb.Helper()
	s := shared.postgres.get(tb, "MustPostgres", func(ctx context.Context, dir string) (*Server, error) {
		return StartPostgres(ctx, dir, PostgresOptions{Fast: true})
	})
	name := "regbot_test_" + strconv.FormatInt(shared.pgDatabases.Add(1), 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := createDatabase(ctx, s.addr, name, "template0"); err != nil {
		tb.Fatalf("%v", err)
	}
	return pgURL(s.addr, name)
}

// shared holds the servers of this test binary.
var shared testServers

type testServers struct {
	main        atomic.Bool // Main is running the tests
	redis       lazyServer
	postgres    lazyServer
	redisCalls  atomic.Int64
	pgDatabases atomic.Int64
}

func (t *testServers) stop() error {
	return errors.Join(t.redis.stop(), t.postgres.stop())
}

// lazyServer is a server started on first use in a temporary directory.
type lazyServer struct {
	once sync.Once
	dir  string
	srv  *Server
	err  error
}

func (l *lazyServer) get(tb testing.TB, caller string, start func(ctx context.Context, dir string) (*Server, error)) *Server {
	tb.Helper()
	if !shared.main.Load() {
		tb.Fatalf("devstack: %s needs the package's tests to run through devstack.Main, which stops the server afterwards; add\n\tfunc TestMain(m *testing.M) { devstack.Main(m) }", caller)
	}
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if l.dir, l.err = os.MkdirTemp("", "devstack-"); l.err != nil {
			return
		}
		if l.srv, l.err = start(ctx, l.dir); l.err != nil {
			os.RemoveAll(l.dir)
		}
	})
	if l.err != nil {
		tb.Fatalf("%v", l.err)
	}
	return l.srv
}

func (l *lazyServer) stop() error {
	if l.srv == nil {
		return nil
	}
	err := l.srv.Stop()
	return errors.Join(err, os.RemoveAll(l.dir))
}
