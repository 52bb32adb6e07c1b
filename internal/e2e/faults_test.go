package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/internal/devstack"
)

// TestDependenciesDown runs a registration while its dependencies fail,
// in one process that is never restarted:
//   - Redis down: the applicant is told to try again shortly, nothing
//     crashes, and once Redis is back (the bot's /readyz says so) the same
//     answer goes through;
//   - the marketing system failing: bounded retries, then a clear message
//     that keeps the draft; the next try works;
//   - Postgres down at submit: told to retry, the draft is kept, and the
//     retry once Postgres is back submits exactly one application.
func TestDependenciesDown(t *testing.T) {
	w := NewWorld(t)
	pg, restartPG := ownPostgres(t)
	rs, restartRedis := ownRedis(t)
	sim := marketingsim.New(marketingsim.DefaultAccounts())
	mkt := httptest.NewServer(sim)
	t.Cleanup(mkt.Close)
	w.Cfg.DatabaseURL, w.Cfg.RedisURL, w.Cfg.MarketingURL = pg.URL, rs.URL, mkt.URL
	w.Cfg.HTTPListen = "127.0.0.1:0" // /readyz tells when the stores are back
	w.Boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}

	steps := RegistrationSteps(w)
	for i, step := range steps {
		switch {
		case i == 11: // say("张三丰", "注册资本")
			if err := rs.Stop(); err != nil {
				t.Fatal(err)
			}
			w.Say("张三丰", "请稍后再试")
			w.Say("张三丰", "请稍后再试") // still down: still polite
			restartRedis()
			w.AwaitReady()
		case step == nil:
			requests := sim.Requests()
			sim.FailNext(3, http.StatusBadGateway)
			w.Say("123456", "营销系统暂时无法访问")
			if n := sim.Requests() - requests; n != 3 {
				t.Errorf("marketing requests for one query = %d, want 3 (bounded retries)", n)
			}
			w.QueryStep()
			continue
		case i == len(steps)-1: // press("提交", "已提交")
			if err := pg.Stop(); err != nil {
				t.Fatal(err)
			}
			w.Press("提交", "请稍后再试")
			restartPG()
			w.AwaitReady()
		}
		step()
	}

	conn, err := pgx.Connect(context.Background(), w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var apps int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM applications`).Scan(&apps); err != nil || apps != 1 {
		t.Errorf("applications = %d (%v), want 1", apps, err)
	}
}
