package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
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

// TestDependenciesDown runs a registration while its dependencies fail,
// in one process that is never restarted:
//   - Redis down: the applicant is told to try again shortly, nothing
//     crashes, and once Redis is back the same answer goes through;
//   - the marketing system failing: bounded retries, then a clear message
//     that keeps the draft; the next try works;
//   - Postgres down at submit: told to retry, the draft is kept, and the
//     retry once Postgres is back submits exactly one application.
func TestDependenciesDown(t *testing.T) {
	w := newWorld(t)
	pg, restartPG := ownPostgres(t)
	rs, restartRedis := ownRedis(t)
	sim := marketingsim.New(marketingsim.DefaultAccounts())
	mkt := httptest.NewServer(sim)
	t.Cleanup(mkt.Close)
	w.cfg.DatabaseURL, w.cfg.RedisURL, w.cfg.MarketingURL = pg.URL, rs.URL, mkt.URL
	w.boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.main.DB); err != nil {
		t.Fatal(err)
	}

	steps := registrationSteps(w)
	for i, step := range steps {
		switch {
		case i == 12: // say("张三丰", "注册资本")
			if err := rs.Stop(); err != nil {
				t.Fatal(err)
			}
			w.say("张三丰", "请稍后再试")
			w.say("张三丰", "请稍后再试") // still down: still polite
			restartRedis()
		case step == nil:
			requests := sim.Requests()
			sim.FailNext(3, http.StatusBadGateway)
			w.say("123456", "营销系统暂时无法访问")
			if n := sim.Requests() - requests; n != 3 {
				t.Errorf("marketing requests for one query = %d, want 3 (bounded retries)", n)
			}
			w.queryStep()
			continue
		case i == len(steps)-1: // press("提交", "已提交")
			if err := pg.Stop(); err != nil {
				t.Fatal(err)
			}
			w.press("提交", "请稍后再试")
			restartPG()
		}
		step()
	}

	conn, err := pgx.Connect(context.Background(), w.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var apps int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM applications`).Scan(&apps); err != nil || apps != 1 {
		t.Errorf("applications = %d (%v), want 1", apps, err)
	}
}
