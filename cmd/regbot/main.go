// Command regbot is the production binary: the Telegram bot that registers
// enterprises as electricity users (电力用户) at the Chongqing Power
// Exchange Center, and the operator's commands (migrate, catalog import,
// applications). It needs its whole configuration (regbot --help) and
// links no development code: for a local trial use cmd/regbot-dev
// (make run). See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/regbot/regbot/adapters/docsandbox"
	"github.com/regbot/regbot/internal/cli"
)

func main() {
	docsandbox.MaybeServe() // when started as the document checker's worker
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, "regbot", cli.Commands(), os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
