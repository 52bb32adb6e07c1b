package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/internal/e2e"
)

// TestConsoleOnAFreshMachine is `make run` with nothing configured: the
// development binary starts its local stack in a DATA_DIR that does not
// exist yet, runs the console chat on stdin and stdout, and stops
// everything it started when stdin ends.
func TestConsoleOnAFreshMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local Redis and Postgres")
	}
	bin := e2e.BuildBinary(t, t.TempDir(), "regbot-dev")
	// Not t.TempDir: as root, Postgres runs as user postgres, which must
	// reach the data directory.
	parent, err := os.MkdirTemp("", "regbot-dev-console-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(parent, "data")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATA_DIR=" + dataDir}
	cmd.Stdin = strings.NewReader("/start\n#1\n")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("regbot-dev: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"开始注册", "注册须知"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the console does not show %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "local stack in "+dataDir) {
		t.Errorf("stderr does not say where the local stack is:\n%s", errOut.String())
	}
	for _, f := range []string{"dev-keys.json", "regbot.log", "redis", "postgres"} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("DATA_DIR lacks %s: %v", f, err)
		}
	}
	// Nothing the run started is left: the servers' pid files are gone
	// with them.
	if out, _ := exec.Command("pgrep", "-f", dataDir).Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("processes left running in %s: %s", dataDir, out)
	}
}
