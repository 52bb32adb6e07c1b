package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regbot/regbot/internal/app"
)

// TestMessagesDir: the exchange's wording in MESSAGES_DIR replaces the
// built-in text it names; a file with a mistake stops the bot at start,
// naming the file and the key, before it connects to anything.
func TestMessagesDir(t *testing.T) {
	w := NewWorld(t)
	dir := t.TempDir()
	w.Cfg.MessagesDir = dir
	if err := os.WriteFile(filepath.Join(dir, "active.zh.toml"), []byte(`"start.begin" = "立即开始办理"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Boot()
	w.Say("/start", "立即开始办理")
	w.stop()

	if err := os.WriteFile(filepath.Join(dir, "active.zh.toml"), []byte(`"start.begn" = "立即开始办理"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := w.Cfg
	cfg.RedisURL, cfg.DatabaseURL = "redis://127.0.0.1:1/0", "postgres://u@127.0.0.1:1/db" // never dialled
	m := app.NewMain(cfg)
	err := m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "active.zh.toml") || !strings.Contains(err.Error(), "start.begn") {
		t.Errorf("Run with a misspelt key in MESSAGES_DIR = %v; want a refusal naming the file and the key", err)
	}
}
