package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// refusal runs bin with env only (nothing inherited) and a fresh DATA_DIR,
// expecting it to refuse to start: it returns stderr after checking that
// the process exited non-zero within a second and left DATA_DIR untouched
// (no local server was started, nothing was written).
func refusal(t *testing.T, bin string, env ...string) string {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "DATA_DIR=" + dataDir}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err == nil || cmd.ProcessState.ExitCode() <= 0 {
		t.Fatalf("%s started (err %v); stdout %q stderr %q", filepath.Base(bin), err, stdout.String(), stderr.String())
	}
	if took > time.Second {
		t.Errorf("%s took %v to refuse, want under a second", filepath.Base(bin), took)
	}
	if _, err := os.Stat(dataDir); err == nil {
		t.Errorf("%s created %s: it started something before refusing", filepath.Base(bin), dataDir)
	}
	return stderr.String()
}

// TestIncompleteConfigurationRefused: with a token and DATABASE_URL but no
// REDIS_URL, or with everything but MARKETING_URL, both binaries exit
// non-zero at once, naming every missing setting, before they dial anything
// or start any process. The development binary does not fall back to its
// local stack: anything configured means production.
func TestIncompleteConfigurationRefused(t *testing.T) {
	dir := t.TempDir()
	bins := []string{BuildBinary(t, dir, "regbot"), BuildBinary(t, dir, "regbot-dev")}
	// Addresses that nothing listens on: a dial would hang or fail loudly.
	const deadDB = "postgres://regbot@127.0.0.1:1/regbot"
	complete := []string{
		"TELEGRAM_BOT_TOKEN=1:token", "REVIEW_CHAT_ID=-100", "REVIEWER_IDS=7",
		"REDIS_URL=redis://127.0.0.1:1/0", "DATABASE_URL=" + deadDB, "MARKETING_URL=http://127.0.0.1:1",
		"DATA_KEYS=" + TestDataKeys, "ID_HASH_KEY=" + TestKey, "CALLBACK_KEY=" + TestKey,
		"PLATFORM_RECIPIENT=" + TestRecipient,
	}
	for _, bin := range bins {
		name := filepath.Base(bin)
		t.Run(name+"/token and database only", func(t *testing.T) {
			out := refusal(t, bin, "TELEGRAM_BOT_TOKEN=1:token", "DATABASE_URL="+deadDB)
			for _, missing := range []string{"REDIS_URL", "MARKETING_URL", "DATA_KEYS", "ID_HASH_KEY", "CALLBACK_KEY", "PLATFORM_RECIPIENT", "REVIEW_CHAT_ID"} {
				if !strings.Contains(out, missing+": missing") {
					t.Errorf("the refusal does not name %s:\n%s", missing, out)
				}
			}
			if strings.Contains(out, "DATABASE_URL: missing") || strings.Contains(out, "TELEGRAM_BOT_TOKEN: missing") {
				t.Errorf("the refusal calls a setting that is there missing:\n%s", out)
			}
		})
		t.Run(name+"/no marketing system", func(t *testing.T) {
			var env []string
			for _, kv := range complete {
				if !strings.HasPrefix(kv, "MARKETING_URL=") {
					env = append(env, kv)
				}
			}
			out := refusal(t, bin, env...)
			if !strings.Contains(out, "MARKETING_URL: missing") || strings.Count(out, ": missing") != 1 {
				t.Errorf("want MARKETING_URL, and only it, named:\n%s", out)
			}
		})
	}
	// Nothing configured: the production binary refuses too (it has no
	// local stack to fall back to), and says where the local one is.
	out := refusal(t, bins[0])
	if !strings.Contains(out, "REDIS_URL: missing") || !strings.Contains(out, "make run") {
		t.Errorf("regbot with nothing configured:\n%s", out)
	}
}

// TestLogsAreJSON: every line the production binary writes to stderr while
// it runs and stops is a JSON object, libraries' lines included.
func TestLogsAreJSON(t *testing.T) {
	w := NewWorld(t)
	bin := BuildRegbot(t)
	p := StartProc(t, bin, ProcessEnv(w.Cfg, "LOG_LEVEL=debug"))
	before := w.Snapshot(w.User.ID)
	w.TG.SendText(w.User, "/start")
	w.Await(w.User.ID, before, "开始注册")
	p.Stop()
	lines := strings.Split(strings.TrimSpace(p.logs.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("only %d log lines:\n%s", len(lines), p.logs.String())
	}
	for _, l := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(l), &entry); err != nil || entry["msg"] == nil || entry["level"] == nil {
			t.Errorf("not a JSON log line: %q", l)
		}
	}
}
