// Package cli is regbot's command line: the bot itself (the default
// command) and the operator's subcommands (applications, catalog import,
// migrate). Every command answers --help without any configuration, and
// reads only the settings it needs. cmd/regbot runs Commands(); the
// development binary (cmd/regbot-dev) adds its own to the same table.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/regbot/regbot/internal/app"
)

// Env is what a command may use of its process.
type Env struct {
	Getenv         func(string) string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// OSEnv is the process's own environment and standard streams.
func OSEnv() Env {
	return Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// A Command is one subcommand of the binary.
type Command struct {
	// Name is the first argument that selects it; "" is the default
	// command (run without arguments).
	Name string
	// Summary is its line in the overview.
	Summary string
	// Usage is what `--help` prints: the synopsis and every flag.
	Usage string
	// Run runs it with the arguments after its name.
	Run func(ctx context.Context, env Env, args []string) error
}

// ErrUsage marks an error in how a command was called: Main prints the
// command's usage after it and exits with 2.
var ErrUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, args...)...)
}

// Main runs the command args select from cmds and returns the process's
// exit code: 0, 1 on failure, 2 on a usage error. `--help`, `-h` or
// `help` anywhere print help and exit 0 before anything is read or dialled.
func Main(ctx context.Context, program string, cmds []Command, args []string, env Env) int {
	name, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && args[0] != "help" {
		name, rest = args[0], args[1:]
	}
	if len(args) > 0 && args[0] == "help" {
		if len(args) > 1 {
			name = args[1]
		}
		rest = []string{"--help"}
	}
	i := slices.IndexFunc(cmds, func(c Command) bool { return c.Name == name })
	if i < 0 {
		fmt.Fprintf(env.Stderr, "%s: unknown command %q\n\n", program, name)
		fmt.Fprint(env.Stderr, Overview(program, cmds))
		return 2
	}
	cmd := cmds[i]
	if wantsHelp(rest) {
		if cmd.Name == "" {
			fmt.Fprint(env.Stdout, Overview(program, cmds))
		}
		fmt.Fprintln(env.Stdout, strings.TrimRight(cmd.Usage, "\n"))
		if cmd.Name == "" {
			fmt.Fprint(env.Stdout, "\n"+app.EnvironmentHelp())
		}
		return 0
	}
	err := cmd.Run(ctx, env, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(env.Stderr, "%s %s: %v\n\n%s\n", program, cmd.Name, strings.TrimPrefix(err.Error(), "usage: "), strings.TrimRight(cmd.Usage, "\n"))
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 0 // interrupted: a normal way to stop
	}
	fmt.Fprintf(env.Stderr, "%s: %v\n", program, err)
	return 1
}

// wantsHelp reports whether the arguments ask for help.
func wantsHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		return a == "-h" || a == "--help" || a == "-help" || a == "help"
	})
}

// Overview lists the commands, for `program --help`.
func Overview(program string, cmds []Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: Telegram bot for electricity-user registration at the Chongqing Power Exchange.\n\nCommands (each answers --help):\n", program)
	for _, c := range cmds {
		name := c.Name
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(&b, "  %-14s %s\n", name, c.Summary)
	}
	b.WriteString("\n")
	return b.String()
}

// Commands are the production binary's commands.
func Commands() []Command {
	return []Command{runCommand(), migrateCommand(), catalogCommand(), applicationsCommand(), keysCommand()}
}

// flags returns a FlagSet that reports errors instead of printing them
// (Main prints the usage).
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs; errors are usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}

// config reads the settings a subcommand needs: their form is checked, and
// those named are required.
func config(env Env, required ...string) (app.Config, error) {
	cfg, err := app.ParseConfig(env.Getenv)
	if err == nil {
		err = cfg.Require(required...)
	}
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}
