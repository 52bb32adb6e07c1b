// Command regbot-dev is the development binary: everything the production
// binary (cmd/regbot) does, plus what a developer needs on a fresh
// machine and nothing production may link:
//
//   - with nothing configured, `regbot-dev` starts a local stack (Redis and
//     PostgreSQL from the OS packages under DATA_DIR, the marketing
//     simulator, the sample catalog, keys generated under DATA_DIR) and a
//     console chat in the terminal (local.go);
//   - `regbot-dev console`, the console chat against configured stores;
//   - `regbot-dev marketing-sim`, the marketing simulator alone;
//   - `regbot-dev loadtest`, the load tool (loadtest.go).
//
// Anything configured means production: then `regbot-dev` behaves exactly
// as `regbot` does, refusing an incomplete configuration.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/regbot/regbot/adapters/docsandbox"
	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/cli"
)

func main() {
	docsandbox.MaybeServe() // when started as the document checker's worker
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, "regbot-dev", commands(), os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}

// commands are the production commands, with the default one replaced by
// the local stack when nothing is configured, and the development ones.
func commands() []cli.Command {
	cmds := cli.Commands()
	for i, c := range cmds {
		if c.Name == "" {
			prod := c
			cmds[i] = cli.Command{
				Summary: "with nothing configured: a local stack and a console chat; else the bot, as regbot",
				Usage: `usage: regbot-dev

With nothing configured, starts a local stack under DATA_DIR (Redis and
PostgreSQL from the OS packages, the marketing simulator, the sample catalog,
development keys) and a console chat in this terminal; the bot's log goes to
DATA_DIR/regbot.log. With anything configured, runs the bot as regbot does.`,
				Run: func(ctx context.Context, env cli.Env, args []string) error {
					if app.Configured(env.Getenv) {
						return prod.Run(ctx, env, args)
					}
					return runConsole(ctx, env, args)
				},
			}
		}
	}
	return append(cmds,
		cli.Command{
			Name:    "console",
			Summary: "a console chat: on the local stack, or on the configured stores",
			Usage: `usage: regbot-dev console

The registration chat in this terminal ("#N" presses button N; the console
user is also the reviewer). With nothing configured it runs on a local stack
under DATA_DIR; otherwise on the configured Redis, Postgres and marketing
system (every production setting but TELEGRAM_BOT_TOKEN is needed).`,
			Run: runConsole,
		},
		cli.Command{
			Name:    "marketing-sim",
			Summary: "serve the marketing-system simulator (default " + marketingsim.DefaultAddr + ")",
			Usage: `usage: regbot-dev marketing-sim [ADDR]

Serves the simulator of the grid company's marketing system (the contract in
adapters/marketing/openapi.yaml) with its fixture accounts, on ADDR (default
` + marketingsim.DefaultAddr + `).`,
			Run: func(ctx context.Context, env cli.Env, args []string) error {
				addr := marketingsim.DefaultAddr
				if len(args) > 0 {
					addr = args[0]
				}
				fmt.Fprintf(env.Stderr, "marketing simulator on http://%s\n", addr)
				return marketingsim.New(marketingsim.DefaultAccounts()).ListenAndServe(ctx, addr)
			},
		},
		loadtestCommand(),
	)
}
