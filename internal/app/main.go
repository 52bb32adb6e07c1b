// Package app wires regbot: it reads the configuration (config.go), opens
// the stores, builds the conversation engine and the Telegram transport,
// and runs them with the operations server (ops.go) and the background
// loops (loops.go). It is the only package that imports both the adapters
// and the transport; cmd/regbot and cmd/regbot-dev are thin shells around
// it and internal/cli.
//
// Main takes a complete Config and nothing else: it never starts a local
// server, never falls back to a simulator and never invents a key. The
// development binary prepares such a Config itself (cmd/regbot-dev).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/adapters/docsandbox"
	"github.com/regbot/regbot/adapters/marketing"
	"github.com/regbot/regbot/adapters/metrics"
	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/adapters/redis"
	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/bot"
	"github.com/regbot/regbot/bot/webapp"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/i18n"
	"github.com/regbot/regbot/review"
)

// The transports send the notices Postgres records with submissions and
// decisions; webhook replicas share their rate limits through Redis.
var (
	_ bot.Notices      = (*postgres.DB)(nil)
	_ bot.SharedLimits = (*redis.Limiter)(nil)
)

// Main is the wired program: it owns every adapter it opens.
type Main struct {
	Config Config
	// Logger, if set, is used instead of JSON lines on Stderr at LOG_LEVEL.
	Logger *slog.Logger
	Stderr io.Writer

	// Ready, if set, is closed once the engine is wired and the transport
	// is about to start (tests wait on it).
	Ready chan struct{}

	// BotOptions are added to the Telegram transport's options (tests: a
	// faster review-group rate).
	BotOptions []bot.Option

	// Console, if set, replaces the Telegram transport: Run wires
	// everything, then hands over to it until ctx is done (the development
	// binary's console chat). TELEGRAM_BOT_TOKEN is then not needed.
	Console func(ctx context.Context, w Wired) error

	// Set by Run:
	Engine  *conversation.Engine
	Desk    *review.Desk
	DB      *postgres.DB
	Metrics *metrics.Metrics
	// OpsAddr is the address the operations server (/metrics, /healthz,
	// /readyz) listens on once Ready is closed; "" if it does not run.
	OpsAddr string
	// Bot is the Telegram transport once Ready is closed (nil with a Console).
	Bot *bot.Bot
	// WebApp serves the Mini App form under Config.WebAppPath() once Ready
	// is closed (nil without WEBAPP_URL); it is mounted on the listener
	// Config.WebAppOn() names.
	WebApp http.Handler

	// consoleForms is where a Console has the form's saves delivered.
	consoleForms atomic.Pointer[func(chatID int64, replies []conversation.Reply)]

	closers []func() error
}

// Wired is what a Console gets: the engine, the desk and the stores they need.
type Wired struct {
	Engine       *conversation.Engine
	Desk         *review.Desk
	DB           *postgres.DB
	ReviewChatID int64
	Logger       *slog.Logger
	// FormSaves, with WEBAPP_URL set, has the chat's replies to saves of
	// the Mini App form (served on HTTP_LISTEN) delivered to deliver.
	FormSaves func(deliver func(chatID int64, replies []conversation.Reply))
}

// NewMain returns a Main for cfg.
func NewMain(cfg Config) *Main {
	return &Main{Config: cfg, Stderr: os.Stderr}
}

// stores are the connections Run opens.
type stores struct {
	redis    *redis.Client
	sessions *redis.SessionStore
	db       *postgres.DB
}

// Run checks the configuration, wires the program and runs the transport
// until ctx is done. Nothing is dialled before the configuration is known
// to be complete.
func (m *Main) Run(ctx context.Context) error {
	if err := m.checkConfig(); err != nil {
		return err
	}
	log := m.logger()
	if !m.Config.GCTuned {
		debug.SetGCPercent(defaultGCPercent)
	}
	msgs, err := i18n.Load(m.Config.MessagesDir)
	if err != nil {
		return fmt.Errorf("refusing to start: MESSAGES_DIR: %w", err)
	}
	st, err := m.openStores(ctx)
	if err != nil {
		return err
	}
	if err := m.newEngine(ctx, st, msgs); err != nil {
		return err
	}
	m.newWebApp(msgs)
	if m.Console != nil {
		w := Wired{Engine: m.Engine, Desk: m.Desk, DB: st.db, ReviewChatID: m.Config.ReviewChatID, Logger: log,
			FormSaves: func(d func(int64, []conversation.Reply)) { m.consoleForms.Store(&d) }}
		if m.WebApp != nil { // the form's page, for a desktop browser
			stopOps, err := m.startOps(st)
			if err != nil {
				return err
			}
			defer stopOps()
		}
		m.ready()
		return m.Console(ctx, w)
	}
	if err := m.newTransport(st, msgs); err != nil {
		return err
	}
	stopOps, err := m.startOps(st)
	if err != nil {
		return err
	}
	defer stopOps() // after the bot: probes answer while updates finish
	stopLoops := m.startLoops(ctx, st)
	defer stopLoops()
	m.ready()
	log.Info("bot started", "mode", m.mode())
	err = m.Bot.Start(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// checkConfig refuses an incomplete configuration, naming every missing
// setting (a Console needs no Telegram token).
func (m *Main) checkConfig() error {
	cfg := m.Config
	if m.Console != nil && cfg.TelegramToken == "" {
		cfg.TelegramToken = "console"
	}
	if err := cfg.CheckComplete(); err != nil {
		return fmt.Errorf("refusing to start, the configuration is incomplete:\n%w", err)
	}
	return nil
}

func (m *Main) logger() *slog.Logger {
	if m.Logger == nil {
		m.Logger = NewLogger(m.Stderr, m.Config.LogLevel)
	}
	return m.Logger
}

func (m *Main) ready() {
	if m.Ready != nil {
		close(m.Ready)
	}
}

func (m *Main) mode() string {
	if m.Config.WebhookURL != "" {
		return "webhook"
	}
	return "polling"
}

// openStores connects to Redis and Postgres (migrating it) and sets up the
// metrics that observe them.
func (m *Main) openStores(ctx context.Context) (*stores, error) {
	cfg := m.Config
	m.Metrics = metrics.New()
	rc, err := redis.Open(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	rc.Observe(m.Metrics.RedisCommand)
	m.closers = append(m.closers, rc.Close)
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.WithQueryObserver(m.Metrics.PostgresQuery))
	if err != nil {
		return nil, err
	}
	m.closers = append(m.closers, func() error { db.Close(); return nil })
	m.DB = db
	sessions := redis.NewSessionStore(rc, cfg.SessionTTL)
	sessions.Logger = m.Logger
	// Long polling (and the console) has one consumer of updates; webhook
	// replicas share the chats and tell each other they are alive.
	sessions.SingleConsumer = m.Console != nil || cfg.WebhookURL == ""
	if sessions.SingleConsumer {
		sessions.CacheSessions(cfg.SessionCache)
	}
	return &stores{redis: rc, sessions: sessions, db: db}, nil
}

// newEngine builds the applicant's engine (on the stores, the marketing
// system's client, the vault, the document checker and the texts) and the
// reviewers' desk.
func (m *Main) newEngine(ctx context.Context, st *stores, msgs *i18n.Catalog) error {
	cfg, log := m.Config, m.Logger
	regions, err := st.db.Regions(ctx)
	if err != nil {
		return err
	}
	vault, err := Vault(cfg)
	if err != nil {
		return err
	}
	var mopts []marketing.Option
	if cfg.MarketingToken != "" {
		mopts = append(mopts, marketing.WithToken(cfg.MarketingToken))
	}
	// Uploads are parsed in a child process (this binary again): a hostile
	// PDF costs that process, not the bot (adapters/docsandbox).
	docs := docsandbox.New(docsandbox.Options{Logger: log})
	m.closers = append(m.closers, docs.Close)
	m.Engine = conversation.New(conversation.Deps{
		Sessions:       observedSessions{st.sessions, m.Metrics},
		Registrations:  countedRegistrations{st.db, m.Metrics},
		Catalog:        st.db,
		MeteringPoints: marketing.NewClient(cfg.MarketingURL, mopts...),
		Files:          st.db.Blobs(),
		Secrets:        vault,
		QueryGuard:     redis.NewQueryGuard(st.redis),
		Documents:      observedDocuments{docs, m.Metrics},
	}, conversation.Config{
		CatalogOptional: cfg.CatalogOptional,
		Regions:         regions,
		Messages:        msgs,
		Logger:          log,
		WebAppURL:       cfg.WebAppURL,
	})
	m.Desk = review.New(countedDecisions{st.db, m.Metrics}, st.sessions, st.db, redis.NewReasonPrompts(st.redis), review.Config{
		ReviewChatID: cfg.ReviewChatID,
		Reviewers:    cfg.ReviewerIDs,
		Regions:      regions,
		Messages:     msgs,
		Logger:       log,
	})
	return nil
}

// newTransport builds the Telegram transport (polling, or webhook with
// WEBHOOK_URL).
func (m *Main) newTransport(st *stores, msgs *i18n.Catalog) error {
	cfg := m.Config
	callbackKey, err := decodeKey(cfg.CallbackKey)
	if err != nil {
		return fmt.Errorf("CALLBACK_KEY: %w", err)
	}
	opts := []bot.Option{bot.WithReviewChatID(cfg.ReviewChatID), bot.WithFiles(m.DB.Blobs()), bot.WithLogger(m.Logger),
		bot.WithCallbackKey(callbackKey), bot.WithReviewAdmins(cfg.ReviewAdmins),
		bot.WithReviewDesk(m.Desk), bot.WithNotices(m.DB, m.Desk), bot.WithCards(m.DB), bot.WithMessages(msgs), bot.WithNoticeLease(cfg.NoticeLease), bot.WithObserver(m.Metrics)}
	if cfg.TelegramAPIURL != "" {
		opts = append(opts, bot.WithServerURL(cfg.TelegramAPIURL))
	}
	if l := cfg.ChatLimit; l != nil {
		if l.Off {
			opts = append(opts, bot.WithChatRate(rate.Inf, 0))
		} else {
			opts = append(opts, bot.WithChatRate(rate.Limit(l.Rate), l.Burst))
		}
	}
	if l := cfg.ReviewLimit; l != nil {
		if l.Off {
			opts = append(opts, bot.WithReviewRate(rate.Inf, 1))
		} else {
			// The burst comes on top of the steady rate: what is left of
			// the minute's messages is spread over it.
			opts = append(opts, bot.WithReviewRate(rate.Every(time.Minute/time.Duration(l.PerMinute-l.Burst)), l.Burst))
		}
	}
	if cfg.WebhookURL != "" {
		// Any number of replicas: the per-chat limit and the review
		// group's budget are buckets in Redis that all of them take from.
		// Long polling has one consumer, which keeps them in memory and
		// spares every update that round trip.
		opts = append(opts, bot.WithWebhook(cfg.WebhookURL, cfg.WebhookListen, cfg.WebhookSecret),
			bot.WithSharedLimits(redis.NewLimiter(st.redis)))
		if m.WebApp != nil && cfg.WebAppOn() == "webhook" {
			opts = append(opts, bot.WithWebhookRoute(cfg.WebAppPath(), m.WebApp))
		}
	}
	opts = append(opts, m.BotOptions...)
	b, err := bot.New(cfg.TelegramToken, m.Engine, opts...)
	if err != nil {
		return err
	}
	m.Bot = b
	return nil
}

// newWebApp builds the Mini App form's server when WEBAPP_URL is set: the
// form of the engine, its saves' replies sent by the transport (or shown
// by the Console), its requests counted in the metrics.
func (m *Main) newWebApp(msgs *i18n.Catalog) {
	cfg := m.Config
	if cfg.WebAppURL == "" {
		return
	}
	token := cfg.TelegramToken
	if token == "" && m.Console != nil {
		token = "console" // checkConfig's stand-in: links are signed with it
	}
	srv := webapp.New(webapp.Options{
		Token: token, Forms: m.Engine, Messages: msgs, Logger: m.Logger, Observe: m.Metrics.WebAppRequest,
		Deliver: func(chatID int64, replies []conversation.Reply) {
			if m.Console != nil {
				if d := m.consoleForms.Load(); d != nil {
					(*d)(chatID, replies)
				}
				return
			}
			m.Bot.Deliver(chatID, replies)
		},
	})
	m.WebApp = http.StripPrefix(strings.TrimSuffix(cfg.WebAppPath(), "/"), srv)
}

// startOps serves /metrics, /healthz and /readyz on HTTP_LISTEN (unless
// it is off), and the Mini App form when it is served there; the returned
// func stops the server.
func (m *Main) startOps(st *stores) (stop func() error, err error) {
	cfg := m.Config
	if cfg.HTTPListen == "" {
		return func() error { return nil }, nil
	}
	h := opsHandler(m.Metrics, map[string]pinger{"redis": st.redis, "postgres": st.db}, m.Logger)
	if cfg.Pprof {
		h = withPprof(h)
		m.Logger.Warn("PPROF=true: /debug/pprof/ is served on HTTP_LISTEN", "listen", cfg.HTTPListen)
	}
	if m.WebApp != nil && (cfg.WebAppOn() == "ops" || m.Console != nil) {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		mux.Handle(cfg.WebAppPath(), m.WebApp)
		h = mux
	}
	stop, addr, err := serveOps(cfg.HTTPListen, h, m.Logger)
	if err != nil {
		return nil, err
	}
	m.OpsAddr = addr
	return stop, nil
}

// startLoops starts the reminders, the notices gauge and, in webhook mode,
// the heartbeat that tells the other replicas this one is alive. The
// returned func stops what must outlive ctx.
func (m *Main) startLoops(ctx context.Context, st *stores) (stop func()) {
	ticker := time.NewTicker(time.Minute)
	go remindLoop(ctx, ticker.C, st.sessions, m.Engine, m.Bot.Send, m.Logger)
	noticeTicker := time.NewTicker(time.Minute)
	go watchNotices(ctx, noticeTicker.C, st.db, m.Metrics, m.Logger)
	stopBeating := func() {}
	if !st.sessions.SingleConsumer {
		// Beating until the bot has finished its last update, which is
		// after ctx ends: the other replicas wait for this one's updates
		// in flight only while it beats.
		var hb context.Context
		hb, stopBeating = context.WithCancel(context.WithoutCancel(ctx))
		go st.sessions.Heartbeat(hb)
	}
	return func() {
		ticker.Stop()
		noticeTicker.Stop()
		stopBeating()
	}
}

// Vault builds the secrets vault from DATA_KEYS and ID_HASH_KEY, sealing
// platform passwords to PLATFORM_RECIPIENT when it is set.
func Vault(cfg Config) (*secrets.Vault, error) {
	keys, active, err := secrets.ParseKeys(cfg.DataKeys)
	if err != nil {
		return nil, fmt.Errorf("DATA_KEYS: %w", err)
	}
	hk, err := decodeKey(cfg.IDHashKey)
	if err != nil {
		return nil, fmt.Errorf("ID_HASH_KEY: %w", err)
	}
	v, err := secrets.NewVault(keys, active, hk)
	if err != nil || cfg.PlatformRecipient == "" {
		return v, err
	}
	if err := v.SealPasswordsTo(cfg.PlatformRecipient); err != nil {
		return nil, fmt.Errorf("PLATFORM_RECIPIENT: %w", err)
	}
	return v, nil
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
