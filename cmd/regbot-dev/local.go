package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/bot/console"
	"github.com/regbot/regbot/bot/webapp"
	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/cli"
	"github.com/regbot/regbot/internal/devstack"
)

// Who the console user is in the review group: they review their own
// application in a pretend group.
const (
	consoleReviewChat = -1
	consoleReviewer   = 1
)

// runConsole runs the console chat, on the local stack when nothing is
// configured, otherwise on the configured stores.
func runConsole(ctx context.Context, env cli.Env, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", cli.ErrUsage, args[0])
	}
	cfg, err := app.ParseConfig(env.Getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if !app.Configured(env.Getenv) {
		stack, err := startLocal(ctx, cfg, env.Stderr)
		defer stack.stop()
		if err != nil {
			return err
		}
		cfg = stack.cfg
	}
	if cfg.ReviewChatID == 0 {
		cfg.ReviewChatID, cfg.ReviewerIDs = consoleReviewChat, []int64{consoleReviewer}
	}
	if !app.Configured(env.Getenv) {
		// The Mini App form, for a desktop browser: served on a loopback
		// port, its links signed for the console user with a development
		// token made for this run (Telegram is not involved, and nobody
		// else can sign launch data for it).
		addr, err := loopbackAddr(cfg.HTTPListen)
		if err != nil {
			return err
		}
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		cfg.HTTPListen, cfg.WebAppListener = addr, "ops"
		cfg.WebAppURL = "http://" + addr + "/webapp/"
		cfg.TelegramToken = "0:dev-" + hex.EncodeToString(b[:])
	}
	// The terminal is the chat: the log goes to a file.
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil { // Postgres (user postgres, as root) lives inside
		return err
	}
	logPath := filepath.Join(cfg.DataDir, "regbot.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(env.Stderr, "regbot-dev: console chat; the log is in %s\n", logPath)
	m := app.NewMain(cfg)
	m.Logger = app.NewLogger(f, cfg.LogLevel)
	m.Console = func(ctx context.Context, w app.Wired) error {
		c := console.New(w.Engine, w.Desk, env.Stdin, env.Stdout, w.ReviewChatID)
		c.Notices = w.DB
		if cfg.WebAppURL != "" && cfg.TelegramToken != "" {
			c.FormLink = func(url string) string {
				return webapp.Link(url, webapp.Sign(webapp.UserFields(c.UserID, "zh-hans", time.Now()), cfg.TelegramToken))
			}
			w.FormSaves(c.Deliver)
			fmt.Fprintf(env.Stderr, "regbot-dev: the Mini App form is served at %s; the chat prints a link signed for you (valid for an hour)\n", cfg.WebAppURL)
		}
		return c.Run(ctx)
	}
	return cli.RunBot(ctx, cli.Env{Getenv: env.Getenv, Stdin: env.Stdin, Stdout: env.Stdout, Stderr: f}, cfg, m)
}

// loopbackAddr returns addr if it can be listened on, else a free
// loopback port (a second regbot-dev, another program on 9090).
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "", err
		}
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// localStack is what startLocal started.
type localStack struct {
	cfg     app.Config
	closers []func() error
}

func (s *localStack) stop() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i]()
	}
}

// startLocal starts the development stack under cfg.DataDir and returns
// cfg completed with it: Redis with an append-only file and PostgreSQL
// (migrated, with the sample catalog), the marketing simulator on a free
// loopback port, and the keys kept in DATA_DIR. Everything listens on
// 127.0.0.1 only.
func startLocal(ctx context.Context, cfg app.Config, log io.Writer) (*localStack, error) {
	s := &localStack{cfg: cfg}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return s, err
	}
	s.cfg.DataDir = dir
	keys, err := devstack.LoadKeys(dir)
	if err != nil {
		return s, err
	}
	s.cfg.DataKeys, s.cfg.IDHashKey, s.cfg.CallbackKey = keys.DataKeys, keys.IDHashKey, keys.CallbackKey
	s.cfg.PlatformRecipient = keys.PlatformRecipient

	rs, err := devstack.StartRedis(ctx, filepath.Join(dir, "redis"), devstack.RedisOptions{AppendOnly: true})
	if err != nil {
		return s, fmt.Errorf("local redis: %w", err)
	}
	s.closers = append(s.closers, rs.Stop)
	s.cfg.RedisURL = rs.URL

	ps, err := devstack.StartPostgres(ctx, filepath.Join(dir, "postgres"), devstack.PostgresOptions{})
	if err != nil {
		return s, fmt.Errorf("local postgres: %w", err)
	}
	s.closers = append(s.closers, ps.Stop)
	s.cfg.DatabaseURL = ps.URL
	db, err := postgres.Open(ctx, ps.URL) // migrates
	if err != nil {
		return s, err
	}
	err = devstack.LoadSampleCatalog(ctx, db)
	db.Close()
	if err != nil {
		return s, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	sim := marketingsim.New(marketingsim.DefaultAccounts())
	simCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- sim.Serve(simCtx, ln) }()
	s.closers = append(s.closers, func() error {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	s.cfg.MarketingURL = "http://" + ln.Addr().String()
	fmt.Fprintf(log, "regbot-dev: local stack in %s (redis %s, postgres %s, marketing simulator %s); keys in %s\n",
		dir, rs.URL, ps.URL, s.cfg.MarketingURL, filepath.Join(dir, devstack.KeysFile))
	fmt.Fprintf(log, "regbot-dev: platform passwords are sealed to the development identity in %s: age -d -i %[1]s password.age\n",
		filepath.Join(dir, devstack.IdentityFile))
	return s, nil
}
