// Command regbot is a Telegram bot that registers enterprises as
// electricity users (电力用户) at the Chongqing Power Exchange Center, and
// lets the exchange's reviewers decide in a group chat. See README.md.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/adapters/docsandbox"
	"github.com/regbot/regbot/adapters/marketing"
	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/adapters/metrics"
	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/adapters/redis"
	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/bot"
	"github.com/regbot/regbot/bot/console"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/devstack"
)

// The transports send the notices Postgres records with submissions and
// decisions.
var (
	_ bot.Notices     = (*postgres.DB)(nil)
	_ console.Notices = (*postgres.DB)(nil)
)

func main() {
	docsandbox.MaybeServe() // when started as the document checker's worker
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "regbot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, Usage)
		return nil
	case "marketing-sim":
		addr := "127.0.0.1:8089"
		if len(args) > 1 {
			addr = args[1]
		}
		fmt.Fprintf(stderr, "marketing simulator on http://%s\n", addr)
		return marketingsim.New(marketingsim.DefaultAccounts()).ListenAndServe(ctx, addr)
	case "catalog":
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
		return catalogCommand(ctx, args[1:], cfg, stdout)
	case "loadtest":
		return loadtestCommand(ctx, args[1:], getenv, stdout, stderr)
	case "applications":
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
		return applicationsCommand(ctx, args[1:], cfg, stdout)
	case "migrate":
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", err)
		}
		return migrateCommand(ctx, cfg, stdout)
	case "", "console":
	default:
		return fmt.Errorf("unknown command %q (try --help)", cmd)
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	m := NewMain(cfg)
	m.Stdin, m.Stdout, m.Stderr = stdin, stdout, stderr
	m.ForceConsole = cmd == "console"
	defer m.Close()
	return m.Run(ctx)
}

// Main is the wired program: it owns every adapter it opens.
type Main struct {
	Config       Config
	ForceConsole bool
	Stdin        io.Reader
	Stdout       io.Writer
	Stderr       io.Writer
	Logger       *slog.Logger

	// Ready, if set, is closed once the engine is wired and the transport
	// is about to start (tests wait on it).
	Ready chan struct{}

	// BotOptions are added to the Telegram transport's options (tests: a
	// faster review-group rate).
	BotOptions []bot.Option

	Engine  *conversation.Engine
	DB      *postgres.DB
	Metrics *metrics.Metrics
	// OpsAddr is the address the operations server (/metrics, /healthz,
	// /readyz) listens on once Ready is closed; "" if it does not run.
	OpsAddr string
	// Bot is the Telegram transport once Ready is closed (nil in console mode).
	Bot *bot.Bot

	closers []func() error
}

// NewMain returns a Main for cfg.
func NewMain(cfg Config) *Main {
	return &Main{Config: cfg, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Run wires the program and runs the transport until ctx is done.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	useConsole := m.ForceConsole || cfg.TelegramToken == ""
	if m.Logger == nil {
		var lvl slog.Level
		_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
		out := m.Stderr
		if useConsole { // keep the terminal for the chat
			if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(filepath.Join(cfg.DataDir, "regbot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			m.closers = append(m.closers, f.Close)
			out = f
		}
		m.Logger = slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: lvl}))
	}
	log := m.Logger
	if !cfg.GCTuned {
		debug.SetGCPercent(defaultGCPercent)
	}

	redisURL, dbURL := cfg.RedisURL, cfg.DatabaseURL
	if redisURL == "" {
		srv, err := devstack.StartRedis(ctx, filepath.Join(cfg.DataDir, "redis"), devstack.RedisOptions{AppendOnly: true})
		if err != nil {
			return fmt.Errorf("local redis: %w", err)
		}
		m.closers = append(m.closers, srv.Stop)
		redisURL = srv.URL
		log.Info("started local redis", "dir", srv.Dir)
	}
	if dbURL == "" {
		srv, err := devstack.StartPostgres(ctx, filepath.Join(cfg.DataDir, "postgres"), devstack.PostgresOptions{})
		if err != nil {
			return fmt.Errorf("local postgres: %w", err)
		}
		m.closers = append(m.closers, srv.Stop)
		dbURL = srv.URL
		log.Info("started local postgres", "dir", srv.Dir)
	}

	m.Metrics = metrics.New()
	rc, err := redis.Open(ctx, redisURL)
	if err != nil {
		return err
	}
	rc.Observe(m.Metrics.RedisCommand)
	m.closers = append(m.closers, rc.Close)
	db, err := postgres.Open(ctx, dbURL, postgres.WithQueryObserver(m.Metrics.PostgresQuery))
	if err != nil {
		return err
	}
	m.closers = append(m.closers, func() error { db.Close(); return nil })
	m.DB = db
	if cfg.DatabaseURL == "" {
		if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
			return err
		}
	}
	regions, err := db.Regions(ctx)
	if err != nil {
		return err
	}

	marketingURL := cfg.MarketingURL
	if marketingURL == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		sim := marketingsim.New(marketingsim.DefaultAccounts())
		simCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { defer close(done); _ = sim.Serve(simCtx, ln) }()
		m.closers = append(m.closers, func() error { cancel(); <-done; return nil })
		marketingURL = "http://" + ln.Addr().String()
		log.Info("started marketing simulator", "url", marketingURL)
	}
	var mopts []marketing.Option
	if cfg.MarketingToken != "" {
		mopts = append(mopts, marketing.WithToken(cfg.MarketingToken))
	}

	vault, err := m.vault()
	if err != nil {
		return err
	}
	vault.PasswordCost = cfg.PasswordCost // 0 (a Config not from LoadConfig): the vault's default, 10
	if cfg.PasswordCost != 0 && cfg.PasswordCost < defaultPasswordCost {
		log.Warn("PASSWORD_HASH_COST below 10: platform passwords get a weak bcrypt hash (load tests only)",
			"cost", cfg.PasswordCost)
	}

	reviewChat := cfg.ReviewChatID
	reviewers := cfg.ReviewerIDs
	if useConsole && reviewChat == 0 {
		reviewChat, reviewers = -1, []int64{1} // the console user reviews in a pretend group
	}
	sessions := redis.NewSessionStore(rc, cfg.SessionTTL)
	sessions.Logger = log
	// Long polling (and the console) has one consumer of updates; webhook
	// replicas share the chats and tell each other they are alive.
	sessions.SingleConsumer = useConsole || cfg.WebhookURL == ""
	if sessions.SingleConsumer {
		sessions.CacheSessions(cfg.SessionCache)
	}
	// Uploads are parsed in a child process (this binary again): a
	// hostile PDF costs that process, not the bot (adapters/docsandbox).
	docs := docsandbox.New(docsandbox.Options{Logger: log})
	m.closers = append(m.closers, docs.Close)
	m.Engine = conversation.New(conversation.Deps{
		Sessions:       observedSessions{sessions, m.Metrics},
		Registrations:  countedRegistrations{db, m.Metrics},
		Catalog:        db,
		MeteringPoints: marketing.NewClient(marketingURL, mopts...),
		Files:          db.Blobs(),
		Secrets:        vault,
		QueryGuard:     redis.NewQueryGuard(rc),
		Documents:      observedDocuments{docs, m.Metrics},
	}, conversation.Config{
		ReviewChatID:    reviewChat,
		Reviewers:       reviewers,
		CatalogOptional: cfg.CatalogOptional,
		Regions:         regions,
		Logger:          log,
	})
	if useConsole {
		if m.Ready != nil {
			close(m.Ready)
		}
		c := console.New(m.Engine, m.Stdin, m.Stdout, reviewChat)
		c.Notices = db
		return c.Run(ctx)
	}
	key, keySource := cfg.ReviewButtonKey()
	if keySource == "development" {
		log.Warn("CALLBACK_KEY and ID_HASH_KEY unset: review buttons are signed with a development-only key")
	}
	opts := []bot.Option{bot.WithReviewChatID(cfg.ReviewChatID), bot.WithFiles(db.Blobs()), bot.WithLogger(log),
		bot.WithCallbackKey(key), bot.WithReviewAdmins(cfg.ReviewAdmins),
		bot.WithNotices(db, m.Engine), bot.WithNoticeLease(cfg.NoticeLease)}
	if cfg.TelegramAPIURL != "" {
		opts = append(opts, bot.WithServerURL(cfg.TelegramAPIURL))
	}
	opts = append(opts, bot.WithObserver(m.Metrics))
	if l := cfg.ChatLimit; l != nil {
		if l.Off {
			opts = append(opts, bot.WithChatRate(rate.Inf, 0))
		} else {
			opts = append(opts, bot.WithChatRate(rate.Limit(l.Rate), l.Burst))
		}
	}
	mode := "polling"
	if cfg.WebhookURL != "" {
		mode = "webhook"
		opts = append(opts, bot.WithWebhook(cfg.WebhookURL, cfg.WebhookListen, cfg.WebhookSecret))
	}
	opts = append(opts, m.BotOptions...)
	b, err := bot.New(cfg.TelegramToken, m.Engine, opts...)
	if err != nil {
		return err
	}
	m.Bot = b
	if cfg.HTTPListen != "" {
		ops := opsHandler(m.Metrics, map[string]pinger{"redis": rc, "postgres": db}, log)
		if cfg.Pprof {
			ops = withPprof(ops)
			log.Warn("PPROF=true: /debug/pprof/ is served on HTTP_LISTEN", "listen", cfg.HTTPListen)
		}
		stopOps, addr, err := serveOps(cfg.HTTPListen, ops, log)
		if err != nil {
			return err
		}
		// Stopped after the bot: probes answer while updates finish.
		defer stopOps()
		m.OpsAddr = addr
	}
	if m.Ready != nil {
		close(m.Ready)
	}
	ticker := time.NewTicker(time.Minute)
	defer ticker.Stop()
	go remindLoop(ctx, ticker.C, sessions, m.Engine, b.Send, log)
	noticeTicker := time.NewTicker(time.Minute)
	defer noticeTicker.Stop()
	go watchNotices(ctx, noticeTicker.C, db, m.Metrics, log)
	if !sessions.SingleConsumer {
		// Beating until the bot has finished its last update, which is
		// after ctx ends: the other replicas wait for this one's updates
		// in flight only while it beats.
		hb, stopBeating := context.WithCancel(context.WithoutCancel(ctx))
		defer stopBeating()
		go sessions.Heartbeat(hb)
	}
	log.Info("bot started", "mode", mode)
	err = b.Start(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// vault builds the secrets vault from DATA_KEYS and ID_HASH_KEY, or a
// development vault on the local stack.
func (m *Main) vault() (*secrets.Vault, error) {
	if m.Config.DataKeys == "" {
		m.Logger.Warn("DATA_KEYS unset: using development-only keys")
		return secrets.DevVault(), nil
	}
	return configuredVault(m.Config)
}

// configuredVault builds the vault from DATA_KEYS and ID_HASH_KEY, which
// must be set.
func configuredVault(cfg Config) (*secrets.Vault, error) {
	keys, active, err := secrets.ParseKeys(cfg.DataKeys)
	if err != nil {
		return nil, fmt.Errorf("DATA_KEYS: %w", err)
	}
	hk, err := base64.StdEncoding.DecodeString(cfg.IDHashKey)
	if err != nil {
		return nil, fmt.Errorf("ID_HASH_KEY: %w", err)
	}
	return secrets.NewVault(keys, active, hk)
}

// Close releases everything Run opened, in reverse order.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}
