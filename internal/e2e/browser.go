package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/regbot/regbot/adapters/redis"
	"github.com/regbot/regbot/bot/webapp"
	"github.com/regbot/regbot/conversation"
)

// The Mini App form in a real browser: headless Chromium (Debian's
// chromium, which deploy/install-deps.sh installs) driven with chromedp.

// WebAppURL is the form's public address in a World with the form
// (UseWebApp); the page itself is served on the World's ops listener.
const WebAppURL = "https://regbot.example.invalid/webapp/"

// chromiumPaths are where the browser may be.
var chromiumPaths = []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"}

// Chromium returns the browser's path. Without one the test fails in CI
// (.ci/run installs it; CI or REGBOT_CI is set there) and is skipped
// elsewhere, saying what to install.
func Chromium(tb testing.TB) string {
	tb.Helper()
	for _, p := range chromiumPaths {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	const msg = "no chromium on this machine: apt-get install -y chromium (deploy/install-deps.sh installs it)"
	if os.Getenv("CI") != "" || os.Getenv("REGBOT_CI") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg + "; skipped outside CI")
	return ""
}

// NewBrowser starts a headless Chromium with a phone's window (width ×
// height CSS pixels) for the test, and returns the context of its first
// tab, bounded by WaitTime×3. The browser ends with the test.
func NewBrowser(tb testing.TB, width, height int) context.Context {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(tb)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(tb.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*WaitTime)
	tb.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	// The browser starts with the first action: fail here, not in the test's first step.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		tb.Fatalf("chromium: %v", err)
	}
	return ctx
}

// UseWebApp configures the World (before Boot) to offer the Mini App form
// at WebAppURL and serve it on a loopback ops listener.
func (w *World) UseWebApp() {
	w.Cfg.WebAppURL = WebAppURL
	w.Cfg.HTTPListen = "127.0.0.1:0"
}

// FormPage is the address of the booted World's form page, served on its
// ops listener.
func (w *World) FormPage() string {
	w.t.Helper()
	if w.Main == nil || w.Main.OpsAddr == "" {
		w.t.Fatal("FormPage needs a booted World with UseWebApp")
	}
	return "http://" + w.Main.OpsAddr + "/webapp/"
}

// InitData is launch data of user, signed with the World's bot token as
// Telegram signs it, dated at.
func (w *World) InitData(user int64, at time.Time) string {
	return webapp.Sign(webapp.UserFields(user, "zh-hans", at), w.TG.Token)
}

// FormLink opens the form as Telegram would for user: the page with its
// launch data in the fragment.
func (w *World) FormLink(user int64) string {
	return webapp.Link(w.FormPage(), w.InitData(user, time.Now()))
}

// Draft reads a chat's session from the World's Redis, as the bot stores it.
func (w *World) Draft(chat int64) conversation.Session {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitTime)
	defer cancel()
	rc, err := redis.Open(ctx, w.Cfg.RedisURL)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rc.Close()
	s, err := redis.NewSessionStore(rc, time.Hour).Peek(ctx, chat)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}
