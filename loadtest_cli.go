package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/internal/devstack"
	"github.com/regbot/regbot/internal/loadtest"
)

// loadtestCommand runs `regbot loadtest [flags]`: this binary, started
// again as the bot against a fake Telegram API, under simulated users.
// Redis and Postgres are REDIS_URL and DATABASE_URL, or fresh local servers.
func loadtestCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 1000, "simulated applicants, each doing one complete registration")
	active := fs.Int("active", 50, "closed loop: steps in flight at once (also submissions in flight)")
	rate := fs.Float64("rate", 0, "open loop: offered steps per second (0: closed loop)")
	duration := fs.Duration("duration", 5*time.Minute, "upper bound of the whole run")
	chatRate := fs.Float64("chat-rate", 0.9, "steps per second per user after the burst, below the bot's per-chat limit of 1/s (0: no pacing)")
	chatBurst := fs.Int("chat-burst", 25, "steps a user may send at once, below the bot's per-chat burst of 30")
	webhook := fs.Bool("webhook", false, "webhook mode: the fake Telegram posts updates to the bot's webhook listener(s)")
	replicas := fs.Int("replicas", 1, "bot processes (webhook mode; updates are spread round robin)")
	dbParams := fs.String("db-params", "", "query parameters added to the bot's DATABASE_URL, e.g. pool_max_conns=20 (pgx) or synchronous_commit=off")
	pwCost := fs.Int("password-cost", 0, "the bot's PASSWORD_HASH_COST (bcrypt cost, 4-31; 0: the bot's default, 10); below 10 for what-if runs only")
	pprofAddr := fs.String("pprof", "", "serve the (first) bot's /debug/pprof/ on this address, e.g. 127.0.0.1:6060 (PPROF=true, HTTP_LISTEN)")
	var botEnv []string
	fs.Func("bot-env", "`NAME=value` added to the bot's environment (repeatable), e.g. GOGC=50 or GOMEMLIMIT=24MiB", func(v string) error {
		if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
			return fmt.Errorf("want NAME=value")
		}
		botEnv = append(botEnv, v)
		return nil
	})
	verbose := fs.Bool("v", false, "show the bot's log (warnings and errors) and progress")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pwCost != 0 && (*pwCost < minPasswordCost || *pwCost > maxPasswordCost) {
		return fmt.Errorf("loadtest: -password-cost %d: want %d to %d", *pwCost, minPasswordCost, maxPasswordCost)
	}
	if *replicas > 1 && !*webhook {
		return fmt.Errorf("loadtest: -replicas %d needs -webhook (replicas cannot share one long poll)", *replicas)
	}
	tmp, err := os.MkdirTemp("", "regbot-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	redisURL, dbURL := getenv("REDIS_URL"), getenv("DATABASE_URL")
	if redisURL == "" {
		srv, err := devstack.StartRedis(ctx, filepath.Join(tmp, "redis"), devstack.RedisOptions{})
		if err != nil {
			return fmt.Errorf("local redis: %w", err)
		}
		defer srv.Stop()
		redisURL = srv.URL
	}
	if dbURL == "" {
		if err := os.Chmod(tmp, 0o755); err != nil { // postgres may run as another user
			return err
		}
		srv, err := devstack.StartPostgres(ctx, filepath.Join(tmp, "postgres"), devstack.PostgresOptions{})
		if err != nil {
			return fmt.Errorf("local postgres: %w", err)
		}
		defer srv.Stop()
		dbURL = srv.URL
	}
	db, err := postgres.Open(ctx, dbURL) // migrates
	if err != nil {
		return err
	}
	err = devstack.LoadSampleCatalog(ctx, db) // the simulated applicants pick 重庆渝新机械制造有限公司
	if err == nil {
		// Notices an earlier run left unsent (the group takes 20 a minute)
		// would go out now and swell this run's group messages.
		var n int64
		if n, err = db.DiscardPendingNotices(ctx); n > 0 {
			fmt.Fprintf(stderr, "discarded %d unsent notices of earlier runs\n", n)
		}
	}
	db.Close()
	if err != nil {
		return err
	}

	botDB := dbURL
	if *dbParams != "" {
		sep := "?"
		if strings.Contains(botDB, "?") {
			sep = "&"
		}
		botDB += sep + *dbParams
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	key := base64.StdEncoding.EncodeToString([]byte("loadtest-only-key-0123456789abcd"))
	cfg := loadtest.Config{
		Bot:      []string{self},
		RedisURL: redisURL,
		Env: []string{
			"REDIS_URL=" + redisURL,
			"DATABASE_URL=" + botDB,
			"DATA_KEYS=k1:" + key,
			"ID_HASH_KEY=" + key,
			"CALLBACK_KEY=" + key,
			"DATA_DIR=" + filepath.Join(tmp, "data"),
			"LOG_LEVEL=warn",
		},
		Users:     *users,
		Active:    *active,
		Rate:      *rate,
		Duration:  *duration,
		ChatRate:  *chatRate,
		Webhook:   *webhook,
		Replicas:  *replicas,
		ChatBurst: *chatBurst,

		PasswordCost: *pwCost,
		OpsListen:    *pprofAddr,
	}
	cfg.Env = append(cfg.Env, botEnv...)
	if *verbose {
		cfg.Log = stderr
	}
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS of the load tool %d), load tool, fake Telegram, Redis and Postgres share it\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0))
	res.Print(stdout)
	return nil
}
