package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/internal/cli"
	"github.com/regbot/regbot/internal/devstack"
	"github.com/regbot/regbot/internal/loadtest"
)

// loadtestOptions are the load tool's flags.
type loadtestOptions struct {
	bot                      string
	users, active, chatBurst int
	replicas                 int
	rate, chatRate, formRate float64
	formSaves                int
	duration                 time.Duration
	webhook, verbose         bool
	dbParams, pprofAddr      string
	botEnv                   []string
	profile                  int

	chaos          bool
	kills          int
	think, maxWait time.Duration
	seed           uint64
}

func loadtestFlags() (*flag.FlagSet, *loadtestOptions) {
	o := &loadtestOptions{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.bot, "bot", "", "the production binary run as the bot (default: regbot in this binary's directory)")
	fs.IntVar(&o.users, "users", 1000, "simulated applicants, each doing one complete registration")
	fs.IntVar(&o.active, "active", 50, "closed loop: steps in flight at once (also submissions in flight)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: offered steps per second (0: closed loop)")
	fs.DurationVar(&o.duration, "duration", 5*time.Minute, "upper bound of the whole run")
	fs.Float64Var(&o.formRate, "form", 0, "form-save scenario: offer this many saves of the Mini App form a second (SPEC §6: 200),\nafter bringing every user to the login question; instead of the chat steps")
	fs.IntVar(&o.formSaves, "form-saves", 0, "form-save scenario: how many saves (default 30 s worth)")
	fs.Float64Var(&o.chatRate, "chat-rate", 0.9, "steps per second per user after the burst, below the bot's per-chat limit of 1/s (0: no pacing)")
	fs.IntVar(&o.chatBurst, "chat-burst", 25, "steps a user may send at once, below the bot's per-chat burst of 30")
	fs.BoolVar(&o.webhook, "webhook", false, "webhook mode: the fake Telegram posts updates to the bot's webhook listener(s)")
	fs.IntVar(&o.replicas, "replicas", 1, "bot processes (webhook mode; updates are spread round robin)")
	fs.StringVar(&o.dbParams, "db-params", "", "query parameters added to the bot's DATABASE_URL, e.g. pool_max_conns=20 (pgx) or synchronous_commit=off")
	fs.StringVar(&o.pprofAddr, "pprof", "", "serve the (first) bot's /debug/pprof/ on this address, e.g. 127.0.0.1:6060 (PPROF=true, HTTP_LISTEN)")
	fs.IntVar(&o.profile, "profile", 0, "take a CPU profile of the bot for this many seconds from the start of the measured window, and print\nits top 10 functions per step (through its pprof endpoint: -pprof, or a free loopback port)")
	fs.Func("bot-env", "`NAME=value` added to the bot's environment (repeatable), e.g. GOGC=50 or GOMEMLIMIT=24MiB", func(v string) error {
		if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
			return errors.New("want NAME=value")
		}
		o.botEnv = append(o.botEnv, v)
		return nil
	})
	fs.BoolVar(&o.verbose, "v", false, "show the bot's log (warnings and errors) and progress")
	fs.BoolVar(&o.chaos, "chaos", false, "chaos run: 2 webhook replicas, one SIGKILLed at random moments (-kills) and restarted, while\n-users applicants (default 200) register; checks one application each, every secret deleted,\nno answer later than -max-wait, no duplicate review card; exits 1 if any count is wrong")
	fs.IntVar(&o.kills, "kills", 20, "chaos: replicas killed during the run")
	fs.DurationVar(&o.think, "think", 0, "chaos: an applicant's mean pause before a step (0: 1.5 s of run per kill, spread over the steps)")
	fs.DurationVar(&o.maxWait, "max-wait", 5*time.Second, "chaos: the redelivery delay, the longest an applicant may wait for an answer")
	fs.Uint64Var(&o.seed, "seed", 0, "chaos: the seed of the killer's and the applicants' choices (0: the clock; printed)")
	return fs, o
}

// loadtestCommand is `regbot-dev loadtest [flags]`.
func loadtestCommand() cli.Command {
	fs, _ := loadtestFlags()
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	return cli.Command{
		Name:    "loadtest",
		Summary: "drive the production binary with simulated applicants and report SPEC §6's figures",
		Usage: `usage: regbot-dev loadtest [flags]

Runs the production binary (-bot) as the bot against a fake Telegram Bot API
on loopback, with simulated applicants doing complete registrations, and
reports steps/s, latency, CPU and memory per step, Redis round trips and
submissions/s (docs/performance.md). With -form RATE it measures saves of the
Mini App form instead (server-side time of each save, p99 target 20 ms at
200/s). Redis and Postgres are REDIS_URL and DATABASE_URL, or fresh local
servers.

Flags:
` + flags.String(),
		Run: runLoadtest,
	}
}

func runLoadtest(ctx context.Context, env cli.Env, args []string) error {
	fs, o := loadtestFlags()
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", cli.ErrUsage, err)
	}
	if o.chaos {
		users := false
		fs.Visit(func(f *flag.Flag) { users = users || f.Name == "users" })
		if !users {
			o.users = 200
		}
	}
	if o.replicas > 1 && !o.webhook && !o.chaos {
		return fmt.Errorf("%w: -replicas %d needs -webhook (replicas cannot share one long poll)", cli.ErrUsage, o.replicas)
	}
	bot, err := productionBinary(o.bot)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "regbot-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	redisURL, dbURL := env.Getenv("REDIS_URL"), env.Getenv("DATABASE_URL")
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
	if err := prepareDatabase(ctx, dbURL, env.Stderr); err != nil {
		return err
	}

	botDB := dbURL
	if o.dbParams != "" {
		sep := "?"
		if strings.Contains(botDB, "?") {
			sep = "&"
		}
		botDB += sep + o.dbParams
	}
	key := base64.StdEncoding.EncodeToString([]byte("loadtest-only-key-0123456789abcd"))
	platform, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	if o.profile > 0 && o.pprofAddr == "" {
		if o.pprofAddr, err = devstack.FreeAddr(); err != nil {
			return err
		}
	}
	cfg := loadtest.Config{
		Bot:      []string{bot},
		RedisURL: redisURL,
		Env: []string{
			"REDIS_URL=" + redisURL,
			"DATABASE_URL=" + botDB,
			"DATA_KEYS=k1:" + key,
			"ID_HASH_KEY=" + key,
			"CALLBACK_KEY=" + key,
			// Passwords are sealed to a key of this run: nobody opens them.
			"PLATFORM_RECIPIENT=" + platform.Recipient().String(),
			"LOG_LEVEL=warn",
		},
		Users:          o.users,
		Active:         o.active,
		Rate:           o.rate,
		Duration:       o.duration,
		ChatRate:       o.chatRate,
		Webhook:        o.webhook,
		Replicas:       o.replicas,
		ChatBurst:      o.chatBurst,
		OpsListen:      o.pprofAddr,
		FormRate:       o.formRate,
		FormSaves:      o.formSaves,
		ProfileSeconds: o.profile,
	}
	cfg.Env = append(cfg.Env, o.botEnv...)
	if o.verbose {
		cfg.Log = env.Stderr
	}
	if o.chaos {
		res, err := loadtest.RunChaos(ctx, cfg, loadtest.Chaos{Kills: o.kills, Think: o.think, MaxWait: o.maxWait,
			DatabaseURL: dbURL, Seed: o.seed})
		if err != nil {
			return err
		}
		res.Print(env.Stdout)
		if p := res.Problems(); len(p) > 0 {
			return fmt.Errorf("chaos run failed: %s", strings.Join(p, "; "))
		}
		return nil
	}
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "machine: %d CPUs (GOMAXPROCS of the load tool %d), load tool, fake Telegram, Redis and Postgres share it\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0))
	res.Print(env.Stdout)
	return nil
}

// productionBinary returns the bot to run: path, or regbot beside this
// binary. The load tool measures the production binary, not this one.
func productionBinary(path string) (string, error) {
	if path == "" {
		self, err := os.Executable()
		if err != nil {
			return "", err
		}
		path = filepath.Join(filepath.Dir(self), "regbot")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("loadtest: no production binary at %s: build it (go build -o %s ./cmd/regbot) or name it with -bot", path, path)
	} else if err != nil {
		return "", err
	}
	return path, nil
}

// prepareDatabase migrates the database, loads the sample catalog (the
// simulated applicants pick 重庆渝新机械制造有限公司) and discards the
// notices an earlier run left unsent: the group takes 20 a minute, and they
// would swell this run's group messages.
func prepareDatabase(ctx context.Context, dsn string, log io.Writer) error {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
		return err
	}
	n, err := db.DiscardPendingNotices(ctx)
	if n > 0 {
		fmt.Fprintf(log, "discarded %d unsent notices of earlier runs\n", n)
	}
	return err
}
