package e2e

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/regbot/regbot/internal/devstack"
)

// ownPostgres starts a PostgreSQL server for one test, which may stop and
// start it again (restart) on the same port and data directory.
func ownPostgres(t *testing.T) (srv *devstack.Server, restart func()) {
	t.Helper()
	ctx := context.Background()
	// Not t.TempDir: as root the server runs as user postgres, which must
	// be able to reach the directory.
	dir, err := os.MkdirTemp("", "regbot-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if srv, err = devstack.StartPostgres(ctx, dir, devstack.PostgresOptions{Fast: true}); err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(mustURL(t, srv.URL).Port())
	t.Cleanup(func() { srv.Stop(); os.RemoveAll(dir) })
	return srv, func() {
		t.Helper()
		if srv, err = devstack.StartPostgres(ctx, dir, devstack.PostgresOptions{Fast: true, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
}

// ownRedis starts a Redis server with an append-only file for one test.
func ownRedis(t *testing.T) (srv *devstack.Server, restart func()) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := devstack.StartRedis(ctx, dir, devstack.RedisOptions{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(mustURL(t, srv.URL).Port())
	t.Cleanup(func() { srv.Stop() })
	return srv, func() {
		t.Helper()
		if srv, err = devstack.StartRedis(ctx, dir, devstack.RedisOptions{AppendOnly: true, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
}
