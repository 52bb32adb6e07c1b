package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/regbot/regbot/internal/devstack"
)

func TestMain(m *testing.M) { devstack.Main(m) }

// runCLI runs the production commands with args and the environment of
// getenv; it returns what they printed and the exit code.
func runCLI(getenv func(string) string, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Main(context.Background(), "regbot", Commands(), args, Env{Getenv: getenv, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), code
}

func noEnv(string) string { return "" }

// TestHelpNeedsNoConfiguration: every command and subcommand answers
// --help (and -h, and `help CMD`) with nothing configured, exit 0, its
// usage on stdout.
func TestHelpNeedsNoConfiguration(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"migrate", "--help"}, {"help", "migrate"},
		{"catalog", "--help"}, {"catalog", "import", "--help"}, {"catalog", "import", "-h"},
		{"applications", "--help"}, {"applications", "list", "--help"}, {"applications", "export", "--format", "csv", "--help"},
		{"help", "applications"},
	} {
		out, errOut, code := runCLI(noEnv, args...)
		name := args[0]
		if name == "help" || strings.HasPrefix(name, "-") {
			name = ""
			if len(args) > 1 {
				name = args[1]
			}
		}
		want := "usage: regbot " + name
		if code != 0 || !strings.Contains(out, strings.TrimSpace(want)) || errOut != "" {
			t.Errorf("regbot %s: exit %d, stdout %q, stderr %q; want 0 and %q", strings.Join(args, " "), code, out, errOut, want)
		}
	}
	out, _, _ := runCLI(noEnv, "--help")
	for _, want := range []string{"migrate", "catalog", "applications", "*REDIS_URL", "*MARKETING_URL", "*CALLBACK_KEY"} {
		if !strings.Contains(out, want) {
			t.Errorf("regbot --help does not mention %s", want)
		}
	}
}

// TestUsageErrors: a wrong call exits 2 with the command's usage; a
// missing setting exits 1 naming it.
func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nonsense"}, 2, `unknown command "nonsense"`},
		{[]string{"applications"}, 2, "usage: regbot applications"},
		{[]string{"applications", "list", "--status", "maybe"}, 2, `unknown status "maybe"`},
		{[]string{"applications", "export", "--format", "pdf"}, 2, `unknown format "pdf"`},
		{[]string{"applications", "list", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"migrate", "now"}, 2, "usage: regbot migrate"},
		{[]string{"migrate"}, 1, "DATABASE_URL: missing"},
		{[]string{"applications", "list"}, 1, "DATABASE_URL: missing"},
		{[]string{"catalog", "import", "x.csv"}, 1, "DATABASE_URL: missing"},
		{nil, 1, "REDIS_URL: missing"},
	} {
		_, errOut, code := runCLI(noEnv, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("regbot %s: exit %d, stderr %q; want %d with %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.want)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	dsn := devstack.MustPostgres(t)
	out, errOut, code := runCLI(func(k string) string { return map[string]string{"DATABASE_URL": dsn}[k] }, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate: exit %d, %q %q", code, out, errOut)
	}
}
