package app

import (
	"encoding/base64"
	"strings"
	"testing"
)

// env returns a getenv over the given name/value pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var (
	testKey     = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	testDataKey = "k1:" + testKey
	// testRecipient is an age X25519 recipient (the exchange's public key).
	testRecipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
)

// complete is a production configuration with every required setting.
func complete(extra ...string) func(string) string {
	return env(append([]string{
		"TELEGRAM_BOT_TOKEN", "1:x", "REVIEW_CHAT_ID", "-100", "REVIEWER_IDS", "7",
		"REDIS_URL", "redis://127.0.0.1:1/0", "DATABASE_URL", "postgres://u@127.0.0.1:1/db",
		"MARKETING_URL", "https://marketing.example/v1", "DATA_KEYS", testDataKey,
		"ID_HASH_KEY", testKey, "CALLBACK_KEY", testKey, "PLATFORM_RECIPIENT", testRecipient,
	}, extra...)...)
}

// without drops the named settings from a getenv.
func without(getenv func(string) string, names ...string) func(string) string {
	return func(k string) string {
		for _, n := range names {
			if k == n {
				return ""
			}
		}
		return getenv(k)
	}
}

// TestParseConfig checks each setting's form and defaults; every problem
// is reported at once, named by its variable.
func TestParseConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		getenv  func(string) string
		wantErr []string // all must be reported
		check   func(Config) bool
	}{
		{"defaults", env(), nil, func(c Config) bool {
			return !c.Pprof && !c.GCTuned && c.ChatLimit == nil && c.ReviewLimit == nil && c.SessionCache == 1024 &&
				c.WebhookURL == "" && c.WebhookListen == ":8443" && c.HTTPListen == "127.0.0.1:9090" && c.DataDir == ".data"
		}},
		{"GOGC set: regbot leaves the GC alone", env("GOGC", "200"), nil, func(c Config) bool { return c.GCTuned }},
		{"GOMEMLIMIT set", env("GOMEMLIMIT", "40MiB"), nil, func(c Config) bool { return c.GCTuned }},
		{"platform recipient", env("PLATFORM_RECIPIENT", " "+testRecipient+"\n"), nil, func(c Config) bool { return c.PlatformRecipient == testRecipient }},
		{"platform recipient malformed", env("PLATFORM_RECIPIENT", "age1notakey"), []string{"PLATFORM_RECIPIENT: not an age X25519 recipient"}, nil},
		{"an identity instead of a recipient", env("PLATFORM_RECIPIENT", "AGE-SECRET-KEY-1QQQ"), []string{"PLATFORM_RECIPIENT"}, nil},
		{"chat limit", env("CHAT_RATE_LIMIT", "0.5/20"), nil, func(c Config) bool {
			return c.ChatLimit != nil && *c.ChatLimit == ChatLimit{Rate: 0.5, Burst: 20}
		}},
		{"chat limit off", env("CHAT_RATE_LIMIT", "off"), nil, func(c Config) bool { return c.ChatLimit != nil && c.ChatLimit.Off }},
		{"chat limit without a burst", env("CHAT_RATE_LIMIT", "1"), []string{`CHAT_RATE_LIMIT: "1" is not RATE/BURST`}, nil},
		{"chat limit zero rate", env("CHAT_RATE_LIMIT", "0/30"), []string{"CHAT_RATE_LIMIT"}, nil},
		{"review limit", env("REVIEW_RATE_LIMIT", "30/10"), nil, func(c Config) bool {
			return c.ReviewLimit != nil && *c.ReviewLimit == ReviewLimit{PerMinute: 30, Burst: 10}
		}},
		{"review limit off", env("REVIEW_RATE_LIMIT", "off"), nil, func(c Config) bool { return c.ReviewLimit != nil && c.ReviewLimit.Off }},
		{"review limit all burst", env("REVIEW_RATE_LIMIT", "5/5"), []string{`REVIEW_RATE_LIMIT: "5/5" is not PER_MINUTE/BURST`}, nil},
		{"review limit per second", env("REVIEW_RATE_LIMIT", "0.3/5"), []string{"REVIEW_RATE_LIMIT"}, nil},
		{"session cache off", env("SESSION_CACHE", "0"), nil, func(c Config) bool { return c.SessionCache == 0 }},
		{"session cache negative", env("SESSION_CACHE", "-1"), []string{`SESSION_CACHE: "-1" is not a number of drafts`}, nil},
		{"pprof", env("PPROF", "true"), nil, func(c Config) bool { return c.Pprof }},
		{"pprof not a boolean", env("PPROF", "yes please"), []string{`PPROF: "yes please" is not a boolean`}, nil},
		{"pprof without a listener", env("PPROF", "1", "HTTP_LISTEN", "off"), []string{"PPROF: needs HTTP_LISTEN"}, nil},
		{"metrics off", env("HTTP_LISTEN", "off"), nil, func(c Config) bool { return c.HTTPListen == "" }},
		{"mini app on the ops listener", env("WEBAPP_URL", "https://bot.example.com/forms/reg"), nil, func(c Config) bool {
			return c.WebAppURL == "https://bot.example.com/forms/reg/" && c.WebAppPath() == "/forms/reg/" && c.WebAppOn() == "ops"
		}},
		{"mini app beside the webhook", env("WEBAPP_URL", "https://bot.example.com/webapp/", "WEBHOOK_URL", "https://bot.example.com/tg",
			"WEBHOOK_SECRET", "ops-test-secret_0123456789"), nil, func(c Config) bool { return c.WebAppOn() == "webhook" }},
		{"mini app on ops in webhook mode", env("WEBAPP_URL", "https://bot.example.com/webapp/", "WEBAPP_LISTENER", "ops",
			"WEBHOOK_URL", "https://bot.example.com/tg", "WEBHOOK_SECRET", "ops-test-secret_0123456789"), nil, func(c Config) bool { return c.WebAppOn() == "ops" }},
		{"mini app over http", env("WEBAPP_URL", "http://bot.example.com/webapp/"), []string{"WEBAPP_URL: want an https:// URL"}, nil},
		{"mini app at the root", env("WEBAPP_URL", "https://bot.example.com/"), []string{"WEBAPP_URL: give the form a path of its own"}, nil},
		{"mini app without its listener", env("WEBAPP_URL", "https://bot.example.com/webapp/", "HTTP_LISTEN", "off"),
			[]string{"WEBAPP_URL: the form is served on HTTP_LISTEN, which is off"}, nil},
		{"mini app on a webhook that is not there", env("WEBAPP_URL", "https://bot.example.com/webapp/", "WEBAPP_LISTENER", "webhook"),
			[]string{"WEBAPP_LISTENER: webhook needs WEBHOOK_URL"}, nil},
		{"mini app listener unknown", env("WEBAPP_LISTENER", "public"), []string{`WEBAPP_LISTENER: "public" is not webhook or ops`}, nil},
		{"reviewers", env("REVIEWER_IDS", "1, 2,3"), nil, func(c Config) bool { return len(c.ReviewerIDs) == 3 && c.ReviewerIDs[2] == 3 }},
		{"webhook", env("WEBHOOK_URL", "https://bot.example.com/tg", "WEBHOOK_SECRET", "ops-test-secret_0123456789",
			"WEBHOOK_LISTEN", "0.0.0.0:8080"), nil, func(c Config) bool {
			return c.WebhookURL == "https://bot.example.com/tg" && c.WebhookListen == "0.0.0.0:8080"
		}},
		{"everything wrong at once", env("WEBHOOK_URL", "http://bot.example.com/tg", "WEBHOOK_SECRET", "short!",
			"WEBHOOK_LISTEN", "8443", "HTTP_LISTEN", "nowhere", "LOG_LEVEL", "loud", "REVIEW_CHAT_ID", "group",
			"REVIEWER_IDS", "1,x", "REVIEW_ADMINS", "sometimes", "CALLBACK_KEY", "%%%", "ID_HASH_KEY", base64.StdEncoding.EncodeToString([]byte("short")),
			"MARKETING_URL", "marketing.example", "SESSION_TTL", "5m", "NOTICE_LEASE", "1ms", "CATALOG_OPTIONAL", "maybe"),
			[]string{"WEBHOOK_URL: want an https", "WEBHOOK_SECRET: want 16-256", "WEBHOOK_LISTEN", "HTTP_LISTEN", "LOG_LEVEL",
				"REVIEW_CHAT_ID", `REVIEWER_IDS: "x"`, "REVIEW_ADMINS", "CALLBACK_KEY: want at least 32 bytes", "ID_HASH_KEY: want at least 32 bytes",
				"MARKETING_URL", "SESSION_TTL", "NOTICE_LEASE", "CATALOG_OPTIONAL"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(tt.getenv)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want one about %q", err, want)
				}
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.check != nil && !tt.check(cfg) {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}

// TestProductionNeedsEverything: once anything real is configured, every
// production setting must be; each missing one is named, all at once.
func TestProductionNeedsEverything(t *testing.T) {
	if _, err := LoadConfig(complete()); err != nil {
		t.Fatalf("complete configuration refused: %v", err)
	}
	if _, err := LoadConfig(complete("REVIEWER_IDS", "", "REVIEW_ADMINS", "true")); err != nil {
		t.Fatalf("administrators instead of a reviewer list refused: %v", err)
	}
	required := []string{"TELEGRAM_BOT_TOKEN", "REVIEW_CHAT_ID", "REDIS_URL", "DATABASE_URL", "MARKETING_URL",
		"DATA_KEYS", "ID_HASH_KEY", "CALLBACK_KEY", "PLATFORM_RECIPIENT"}
	for _, name := range required {
		t.Run("without "+name, func(t *testing.T) {
			_, err := LoadConfig(without(complete(), name))
			if err == nil || !strings.Contains(err.Error(), name+": missing") {
				t.Errorf("err = %v, want %s named as missing", err, name)
			}
		})
	}
	t.Run("token and database only", func(t *testing.T) {
		_, err := LoadConfig(env("TELEGRAM_BOT_TOKEN", "1:x", "DATABASE_URL", "postgres://u@h/db"))
		for _, name := range []string{"REDIS_URL", "MARKETING_URL", "DATA_KEYS", "ID_HASH_KEY", "CALLBACK_KEY", "PLATFORM_RECIPIENT", "REVIEW_CHAT_ID"} {
			if err == nil || !strings.Contains(err.Error(), name+": missing") {
				t.Errorf("err = %v, want %s named", err, name)
			}
		}
		if strings.Contains(err.Error(), "DATABASE_URL: missing") || strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN: missing") {
			t.Errorf("a setting that is there is called missing: %v", err)
		}
	})
	t.Run("reviewers", func(t *testing.T) {
		_, err := LoadConfig(without(complete(), "REVIEWER_IDS"))
		if err == nil || !strings.Contains(err.Error(), "REVIEWER_IDS: missing") {
			t.Errorf("err = %v, want REVIEWER_IDS named", err)
		}
	})
	t.Run("webhook secret", func(t *testing.T) {
		_, err := LoadConfig(complete("WEBHOOK_URL", "https://bot.example.com/tg"))
		if err == nil || !strings.Contains(err.Error(), "WEBHOOK_SECRET: missing") {
			t.Errorf("err = %v, want WEBHOOK_SECRET named", err)
		}
	})
	t.Run("data keys malformed", func(t *testing.T) {
		_, err := LoadConfig(complete("DATA_KEYS", "k1:"+base64.StdEncoding.EncodeToString([]byte("short"))))
		if err == nil || !strings.Contains(err.Error(), "DATA_KEYS") {
			t.Errorf("err = %v, want DATA_KEYS named", err)
		}
	})
}

// TestConfigured: anything naming a real system or a secret counts as
// configured (so the development binary will not start its local stack);
// tuning knobs do not.
func TestConfigured(t *testing.T) {
	if Configured(env("LOG_LEVEL", "debug", "DATA_DIR", "/tmp/x", "CHAT_RATE_LIMIT", "off", "GOGC", "50", "MESSAGES_DIR", "m")) {
		t.Error("tuning knobs alone count as configured")
	}
	for _, name := range []string{"TELEGRAM_BOT_TOKEN", "REDIS_URL", "DATABASE_URL", "MARKETING_URL", "DATA_KEYS",
		"ID_HASH_KEY", "CALLBACK_KEY", "PLATFORM_RECIPIENT", "REVIEW_CHAT_ID", "WEBHOOK_URL"} {
		if !Configured(env(name, "x")) {
			t.Errorf("%s alone does not count as configured", name)
		}
	}
}

// TestRequire names what a subcommand needs and lacks.
func TestRequire(t *testing.T) {
	cfg, _ := ParseConfig(env("DATABASE_URL", "postgres://h/db"))
	if err := cfg.Require("DATABASE_URL"); err != nil {
		t.Errorf("Require(DATABASE_URL) = %v", err)
	}
	err := cfg.Require("DATABASE_URL", "DATA_KEYS", "ID_HASH_KEY")
	if err == nil || !strings.Contains(err.Error(), "DATA_KEYS: missing") || !strings.Contains(err.Error(), "ID_HASH_KEY: missing") {
		t.Errorf("Require = %v", err)
	}
}

// TestEnvironmentHelp documents every setting, marking the required ones.
func TestEnvironmentHelp(t *testing.T) {
	help := EnvironmentHelp()
	for _, name := range SettingNames() {
		if !strings.Contains(help, " "+name+" ") && !strings.Contains(help, "*"+name+" ") {
			t.Errorf("--help does not document %s", name)
		}
	}
	if !strings.Contains(help, "*REDIS_URL") || strings.Contains(help, "*LOG_LEVEL") {
		t.Errorf("required settings are not the ones marked:\n%s", help)
	}
}
