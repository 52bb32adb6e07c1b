package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/internal/e2e"

	"github.com/regbot/regbot/internal/devstack"
)

// TestLoadtestSmoke runs `regbot loadtest` end to end, small, in both
// loops: every simulated user must get through the whole registration
// without an error, and the report must carry its figures. The figures
// themselves are measured by `make bench`, not asserted here.
func TestLoadtestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the bot and drives it through complete registrations")
	}
	// The load tool runs the production binary beside it.
	dir := t.TempDir()
	e2e.BuildBinary(t, dir, "regbot")
	bin := e2e.BuildBinary(t, dir, "regbot-dev")
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Users step far faster than the bot's per-chat limit, which is
		// off, so that a registration takes seconds, not the minute of a
		// paced one.
		{"closed", []string{"-users", "12", "-active", "4"}},
		{"open", []string{"-users", "12", "-rate", "100"}}, // 12 slots, each a step every 120 ms
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			args := append([]string{"loadtest", "-duration", "2m",
				"-chat-rate", "0", "-bot-env", "CHAT_RATE_LIMIT=off"}, tc.args...)
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = append(os.Environ(), "REDIS_URL="+devstack.MustRedis(t), "DATABASE_URL="+devstack.MustPostgres(t))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("loadtest: %v\n%s", err, out)
			}
			m := regexp.MustCompile(`errors (\d+), users to summary (\d+)`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("no step summary in the report:\n%s", out)
			}
			if string(m[1]) != "0" || string(m[2]) != "12" {
				t.Fatalf("errors %s, users to summary %s, want 0 and 12:\n%s", m[1], m[2], out)
			}
			sub := regexp.MustCompile(`submissions/s +\d+ \((\d+) in`).FindSubmatch(out)
			if sub == nil || string(sub[1]) != "12" {
				t.Fatalf("want 12 submissions in the report:\n%s", out)
			}
			if m := regexp.MustCompile(`p99 ([\d.]+) ms`).FindSubmatch(out); m == nil {
				t.Fatalf("no latency in the report:\n%s", out)
			} else if p99, _ := strconv.ParseFloat(string(m[1]), 64); p99 <= 0 {
				t.Fatalf("p99 %v: no step was timed:\n%s", p99, out)
			}
		})
	}
}

// TestChaosShort is the chaos run's short form (`make chaos` is the long
// one): two webhook replicas of the built production binary, 20 applicants
// registering while a random replica is SIGKILLed 4 times and restarted.
// The command itself checks every count (one application per applicant,
// no duplicate, every secret deleted, no answer later than the
// redelivery delay, one review card each but in the outbox's
// at-least-once window) and exits 1 otherwise; the test also wants the
// kills to have caused redeliveries, or it proved nothing.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two replicas and kills them while applicants register")
	}
	dir := t.TempDir()
	e2e.BuildBinary(t, dir, "regbot")
	bin := e2e.BuildBinary(t, dir, "regbot-dev")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "loadtest", "-chaos", "-users", "20", "-kills", "4", "-duration", "2m")
	cmd.Env = append(os.Environ(), "REDIS_URL="+devstack.MustRedis(t), "DATABASE_URL="+devstack.MustPostgres(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chaos run: %v\n%s", err, out)
	}
	for _, want := range []string{"kills                      4 ", "duplicate applications     0", "secret messages deleted    80 of 80",
		"for 20 applications: ", ", 0 missing", "PASSED"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`redeliveries +(\d+) updates`).FindSubmatch(out)
	if m == nil || string(m[1]) == "0" {
		t.Errorf("no redelivery: the kills hit nothing:\n%s", out)
	}
}

// TestLoadtestFormSmoke runs the form-save scenario small: every save of
// the Mini App form is accepted, and the report carries the saves'
// server-side times.
func TestLoadtestFormSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the bot and saves forms")
	}
	dir := t.TempDir()
	e2e.BuildBinary(t, dir, "regbot")
	bin := e2e.BuildBinary(t, dir, "regbot-dev")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "loadtest", "-duration", "2m", "-users", "8", "-form", "40", "-form-saves", "40",
		"-chat-rate", "0", "-bot-env", "CHAT_RATE_LIMIT=off")
	cmd.Env = append(os.Environ(), "REDIS_URL="+devstack.MustRedis(t), "DATABASE_URL="+devstack.MustPostgres(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`form saves +(\d+) in .*, errors (\d+)`).FindSubmatch(out)
	if m == nil || string(m[1]) != "40" || string(m[2]) != "0" {
		t.Fatalf("want 40 saves without errors:\n%s", out)
	}
	if m := regexp.MustCompile(`server side \(Server-Timing\) p50 ([\d.]+) ms`).FindSubmatch(out); m == nil {
		t.Fatalf("no server-side time in the report:\n%s", out)
	} else if p50, _ := strconv.ParseFloat(string(m[1]), 64); p50 <= 0 {
		t.Fatalf("p50 %v: no save was timed:\n%s", p50, out)
	}
}
