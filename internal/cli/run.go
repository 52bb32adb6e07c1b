package cli

import (
	"context"
	"fmt"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/internal/app"
)

func runCommand() Command {
	return Command{
		Summary: "run the bot (long polling, or webhook with WEBHOOK_URL)",
		Usage: `usage: regbot

Runs the bot against Telegram, Redis, Postgres and the marketing system, as
configured in the environment (below). Every setting marked * must be set:
regbot names each missing one and exits before it connects to anything.`,
		Run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			cfg, err := app.LoadConfig(env.Getenv)
			if err != nil {
				return fmt.Errorf("refusing to start, the configuration is incomplete or wrong:\n%w\n(for a local trial with nothing configured: make run)", err)
			}
			return RunBot(ctx, env, cfg, nil)
		},
	}
}

// RunBot runs the bot with cfg until ctx is done, logging JSON lines on
// env.Stderr (every library's lines too). m, if not nil, is the Main to
// run (the development binary sets its Console).
func RunBot(ctx context.Context, env Env, cfg app.Config, m *app.Main) error {
	if m == nil {
		m = app.NewMain(cfg)
	}
	m.Stderr = env.Stderr
	if m.Logger == nil {
		m.Logger = app.NewLogger(env.Stderr, cfg.LogLevel)
	}
	app.RouteLibraryLogs(m.Logger)
	defer m.Close()
	return m.Run(ctx)
}

func migrateCommand() Command {
	return Command{
		Name:    "migrate",
		Summary: "apply the database migrations to DATABASE_URL and exit",
		Usage: `usage: regbot migrate

Applies the database migrations to DATABASE_URL and exits: the Kubernetes
migration Job runs it before the Deployment rolls out (replicas also migrate
on start, under an advisory lock).`,
		Run: func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			cfg, err := config(env, "DATABASE_URL")
			if err != nil {
				return err
			}
			db, err := postgres.Open(ctx, cfg.DatabaseURL)
			if err != nil {
				return err
			}
			db.Close()
			fmt.Fprintln(env.Stdout, "regbot: database schema is up to date")
			return nil
		},
	}
}
