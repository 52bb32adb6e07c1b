package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/regbot/regbot/adapters/metrics"
)

func TestPasswordCostAndPprofConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tt := range []struct {
		name    string
		getenv  func(string) string
		wantErr string
		check   func(Config) bool
	}{
		{"defaults", env(), "", func(c Config) bool { return c.PasswordCost == 10 && !c.Pprof && !c.GCTuned }},
		{"GOGC set: regbot leaves the GC alone", env("GOGC", "200"), "", func(c Config) bool { return c.GCTuned }},
		{"GOMEMLIMIT set", env("GOMEMLIMIT", "40MiB"), "", func(c Config) bool { return c.GCTuned }},
		{"low cost for a load test", env("PASSWORD_HASH_COST", "4"), "", func(c Config) bool { return c.PasswordCost == 4 }},
		{"highest", env("PASSWORD_HASH_COST", "31"), "", func(c Config) bool { return c.PasswordCost == 31 }},
		{"below bcrypt's minimum", env("PASSWORD_HASH_COST", "3"), "PASSWORD_HASH_COST: \"3\" is not an integer from 4 to 31", nil},
		{"above bcrypt's maximum", env("PASSWORD_HASH_COST", "32"), "PASSWORD_HASH_COST", nil},
		{"not a number", env("PASSWORD_HASH_COST", "ten"), "PASSWORD_HASH_COST", nil},
		{"chat limit", env("CHAT_RATE_LIMIT", "0.5/20"), "", func(c Config) bool {
			return c.ChatLimit != nil && *c.ChatLimit == ChatLimit{Rate: 0.5, Burst: 20}
		}},
		{"chat limit off", env("CHAT_RATE_LIMIT", "off"), "", func(c Config) bool { return c.ChatLimit != nil && c.ChatLimit.Off }},
		{"chat limit default", env(), "", func(c Config) bool { return c.ChatLimit == nil }},
		{"chat limit without a burst", env("CHAT_RATE_LIMIT", "1"), "CHAT_RATE_LIMIT: \"1\" is not RATE/BURST", nil},
		{"chat limit zero rate", env("CHAT_RATE_LIMIT", "0/30"), "CHAT_RATE_LIMIT", nil},
		{"chat limit zero burst", env("CHAT_RATE_LIMIT", "1/0"), "CHAT_RATE_LIMIT", nil},
		{"session cache default", env(), "", func(c Config) bool { return c.SessionCache == 1024 }},
		{"session cache off", env("SESSION_CACHE", "0"), "", func(c Config) bool { return c.SessionCache == 0 }},
		{"session cache negative", env("SESSION_CACHE", "-1"), "SESSION_CACHE: \"-1\" is not a number of drafts", nil},
		{"pprof", env("PPROF", "true"), "", func(c Config) bool { return c.Pprof }},
		{"pprof not a boolean", env("PPROF", "yes please"), "PPROF: \"yes please\" is not a boolean", nil},
		{"pprof without a listener", env("PPROF", "1", "HTTP_LISTEN", "off"), "PPROF: needs HTTP_LISTEN", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !tt.check(cfg) {
				t.Errorf("config %+v", cfg)
			}
		})
	}
	if !strings.Contains(Usage, "PASSWORD_HASH_COST") || !strings.Contains(Usage, "PPROF") || !strings.Contains(Usage, "CHAT_RATE_LIMIT") {
		t.Error("--help does not document PASSWORD_HASH_COST, PPROF and CHAT_RATE_LIMIT")
	}
}

// TestChatRateLimitConfigured: CHAT_RATE_LIMIT reaches the transport.
func TestChatRateLimitConfigured(t *testing.T) {
	w := newWorld(t)
	w.botOpts = nil // the world lifts the limit by default
	w.cfg.ChatLimit = &ChatLimit{Rate: 0.001, Burst: 2}
	w.boot()
	before := w.snapshot(w.user.ID)
	for range 3 {
		w.tg.SendText(w.user, "/help")
	}
	w.await(w.user.ID, before, "太快")
}

// TestPprofOnlyWhenAsked: the profiler is on the operations handler only
// with PPROF, and the probes still answer beside it.
func TestPprofOnlyWhenAsked(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	plain := opsHandler(metrics.New(), nil, log)
	for _, tt := range []struct {
		h    http.Handler
		path string
		want int
	}{
		{plain, "/debug/pprof/", http.StatusNotFound},
		{plain, "/healthz", http.StatusOK},
		{withPprof(plain), "/debug/pprof/", http.StatusOK},
		{withPprof(plain), "/debug/pprof/heap?debug=1", http.StatusOK},
		{withPprof(plain), "/healthz", http.StatusOK},
		{withPprof(plain), "/metrics", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		tt.h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("GET %s: %d, want %d", tt.path, rec.Code, tt.want)
		}
	}
}
