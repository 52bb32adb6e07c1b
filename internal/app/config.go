package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/regbot/regbot/adapters/secrets"
)

// Config is everything regbot reads from its environment. It is parsed
// once, by ParseConfig; nothing else reads the environment.
type Config struct {
	TelegramToken   string        // TELEGRAM_BOT_TOKEN
	TelegramAPIURL  string        // TELEGRAM_API_URL; a Bot API server (tests, a local Bot API)
	RedisURL        string        // REDIS_URL
	DatabaseURL     string        // DATABASE_URL
	MarketingURL    string        // MARKETING_URL
	MarketingToken  string        // MARKETING_TOKEN; bearer token for the marketing gateway
	ReviewChatID    int64         // REVIEW_CHAT_ID; the reviewers' group
	ReviewerIDs     []int64       // REVIEWER_IDS
	ReviewAdmins    bool          // REVIEW_ADMINS; the group's administrators may decide too
	CallbackKey     string        // CALLBACK_KEY; base64 key signing review buttons
	DataKeys        string        // DATA_KEYS; "k1:BASE64,k0:BASE64", first active (AES-256)
	IDHashKey       string        // ID_HASH_KEY; base64 HMAC key for ID-number uniqueness
	CatalogOptional bool          // CATALOG_OPTIONAL
	SessionTTL      time.Duration // SESSION_TTL
	SessionCache    int           // SESSION_CACHE
	DataDir         string        // DATA_DIR; the development stack's data
	LogLevel        string        // LOG_LEVEL
	MessagesDir     string        // MESSAGES_DIR; the exchange's wording, overriding the built-in texts
	WebhookURL      string        // WEBHOOK_URL; set: webhook mode
	WebhookListen   string        // WEBHOOK_LISTEN
	WebhookSecret   string        // WEBHOOK_SECRET
	HTTPListen      string        // HTTP_LISTEN; "" after parsing "off"
	NoticeLease     time.Duration // NOTICE_LEASE
	Pprof           bool          // PPROF
	// WebAppURL is WEBAPP_URL: the Mini App form's public address, its
	// path ending in "/" ("": no form).
	WebAppURL string
	// WebAppListener is WEBAPP_LISTENER: "webhook" or "ops", the listener
	// that serves the form ("": the webhook's in webhook mode, else ops).
	WebAppListener string
	// PlatformRecipient is PLATFORM_RECIPIENT: the exchange's age public
	// key ("age1…") that platform passwords are sealed to.
	PlatformRecipient string
	// ChatLimit is CHAT_RATE_LIMIT; nil: the transport's default.
	ChatLimit *ChatLimit
	// ReviewLimit is REVIEW_RATE_LIMIT; nil: the transport's default.
	ReviewLimit *ReviewLimit
	// GCTuned: GOGC or GOMEMLIMIT is set, so regbot's own default
	// (defaultGCPercent) stays out of the way.
	GCTuned bool
}

// defaultGCPercent is the bot's GOGC unless the environment sets GOGC or
// GOMEMLIMIT: a trade between SPEC §6's peak memory and CPU per step. At
// Go's 100 the heap may grow to twice what is live: 44-45 MiB of peak RSS
// under the load tool. 75 costs ~2 MiB more than 50 and saves ~12 % of the
// bot's CPU per step (docs/performance.md).
const defaultGCPercent = 75

// defaultSessionCache is SESSION_CACHE's default: at most ~3.4 MB of
// drafts, as many as the load tool's closed loop keeps busy (1,000).
const defaultSessionCache = 1024

// A setting is one environment variable: its name, what --help says of it,
// whether production needs it, and how it is read into a Config. Each
// setting is declared once, here; parsing, the completeness check and the
// usage text all come from this table.
type setting struct {
	name string
	help string
	// production: the bot refuses to start without it once anything is
	// configured (see Config.Configured).
	production bool
	// names a real system or a secret: its presence alone means production.
	real  bool
	parse func(c *Config, v string) error
	// isSet reports whether the Config has a value for it (production
	// settings only).
	isSet func(c *Config) bool
}

var settings = []setting{
	{name: "TELEGRAM_BOT_TOKEN", help: "the bot's token from @BotFather", production: true, real: true,
		parse: func(c *Config, v string) error { c.TelegramToken = v; return nil },
		isSet: func(c *Config) bool { return c.TelegramToken != "" }},
	{name: "TELEGRAM_API_URL", help: "Bot API base URL (default https://api.telegram.org)",
		parse: func(c *Config, v string) error { c.TelegramAPIURL = strings.TrimRight(v, "/"); return nil }},
	{name: "REVIEW_CHAT_ID", help: "the reviewers' group chat id", production: true, real: true,
		parse: func(c *Config, v string) error {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a chat id (a non-zero integer)", v)
			}
			c.ReviewChatID = id
			return nil
		},
		isSet: func(c *Config) bool { return c.ReviewChatID != 0 }},
	{name: "REVIEWER_IDS", help: "comma-separated Telegram user ids allowed to decide (or REVIEW_ADMINS=true)", real: true,
		parse: func(c *Config, v string) error {
			for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				id, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not an integer", f)
				}
				c.ReviewerIDs = append(c.ReviewerIDs, id)
			}
			return nil
		}},
	{name: "REVIEW_ADMINS", help: "true: the review group's administrators may decide too (getChatMember,\ncached for a minute); REVIEWER_IDS may then be empty",
		parse: boolSetting(func(c *Config) *bool { return &c.ReviewAdmins })},
	{name: "REDIS_URL", help: "redis://host:port/db (or with master_name for Sentinel)", production: true, real: true,
		parse: func(c *Config, v string) error { c.RedisURL = v; return nil },
		isSet: func(c *Config) bool { return c.RedisURL != "" }},
	{name: "DATABASE_URL", help: "postgres://user:password@host:5432/db", production: true, real: true,
		parse: func(c *Config, v string) error { c.DatabaseURL = v; return nil },
		isSet: func(c *Config) bool { return c.DatabaseURL != "" }},
	{name: "MARKETING_URL", help: "the grid company's marketing-system gateway (adapters/marketing/openapi.yaml)", production: true, real: true,
		parse: func(c *Config, v string) error {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%q is not an http(s) URL", v)
			}
			c.MarketingURL = v
			return nil
		},
		isSet: func(c *Config) bool { return c.MarketingURL != "" }},
	{name: "MARKETING_TOKEN", help: "bearer token for the marketing gateway", real: true,
		parse: func(c *Config, v string) error { c.MarketingToken = v; return nil }},
	{name: "DATA_KEYS", help: "k1:BASE64KEY[,k0:BASE64KEY…]: AES-256 keys sealing ID numbers, the first active", production: true, real: true,
		parse: func(c *Config, v string) error { c.DataKeys = v; return nil },
		isSet: func(c *Config) bool { return c.DataKeys != "" }},
	{name: "ID_HASH_KEY", help: "base64 HMAC key (32+ bytes) for ID-number uniqueness: as secret as DATA_KEYS", production: true, real: true,
		parse: keySetting(func(c *Config) *string { return &c.IDHashKey }),
		isSet: func(c *Config) bool { return c.IDHashKey != "" }},
	{name: "PLATFORM_RECIPIENT", help: "the exchange's age public key (age1…): platform passwords are sealed to it;\nonly the holder of its identity opens them (age -d -i KEY password.age)", production: true, real: true,
		parse: func(c *Config, v string) error {
			if _, err := age.ParseX25519Recipient(strings.TrimSpace(v)); err != nil {
				return fmt.Errorf("not an age X25519 recipient (age1…): %v", err)
			}
			c.PlatformRecipient = strings.TrimSpace(v)
			return nil
		},
		isSet: func(c *Config) bool { return c.PlatformRecipient != "" }},
	{name: "CALLBACK_KEY", help: "base64 key (32+ bytes) signing the review buttons; replicas share it", production: true, real: true,
		parse: keySetting(func(c *Config) *string { return &c.CallbackKey }),
		isSet: func(c *Config) bool { return c.CallbackKey != "" }},
	{name: "CATALOG_OPTIONAL", help: "true: enterprise names are typed, not chosen from the access catalog",
		parse: boolSetting(func(c *Config) *bool { return &c.CatalogOptional })},
	{name: "SESSION_TTL", help: "idle-draft expiry (default 720h)",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Hour {
				return fmt.Errorf("%q is not a duration of at least 1h", v)
			}
			c.SessionTTL = d
			return nil
		}},
	{name: "SESSION_CACHE", help: "drafts the bot keeps in memory after writing them, with long polling only\n(default 1024, ~3.3 KB each; 0: none): a chat's next update then costs one\nRedis round trip instead of two",
		parse: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of drafts (0 or more)", v)
			}
			c.SessionCache = n
			return nil
		}},
	{name: "MESSAGES_DIR", help: "a folder of message files (active.zh.toml, active.en.toml) whose texts\nreplace the built-in ones, key by key: the exchange's wording without a rebuild",
		parse: func(c *Config, v string) error { c.MessagesDir = v; return nil }},
	{name: "DATA_DIR", help: "where the development stack keeps its data (default .data; regbot-dev only)",
		parse: func(c *Config, v string) error { c.DataDir = v; return nil }},
	{name: "LOG_LEVEL", help: "debug|info|warn|error (default info); logs are JSON lines on stderr",
		parse: func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return fmt.Errorf("%q is not one of debug, info, warn, error", v)
		}},
	{name: "WEBHOOK_URL", help: "public https URL of the webhook (e.g. https://bot.example.com/telegram); set:\nwebhook mode (many replicas), unset: long polling (one replica only)", real: true,
		parse: func(c *Config, v string) error {
			if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
				return errors.New("want an https:// URL Telegram can reach")
			}
			c.WebhookURL = v
			return nil
		}},
	{name: "WEBHOOK_LISTEN", help: "address the webhook server listens on (default :8443; TLS ends in front of it)",
		parse: func(c *Config, v string) error { c.WebhookListen = v; return nil }},
	{name: "WEBHOOK_SECRET", help: "secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (16-256 of\nA-Z a-z 0-9 _ -; required with WEBHOOK_URL)", real: true,
		parse: func(c *Config, v string) error {
			// Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -; we want 16 at least.
			if len(v) < 16 || len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
			}) {
				return errors.New("want 16-256 characters of A-Z, a-z, 0-9, _ and -")
			}
			c.WebhookSecret = v
			return nil
		}},
	{name: "HTTP_LISTEN", help: "/metrics, /healthz and /readyz (default 127.0.0.1:9090; \"off\": none;\n0.0.0.0:9090 in a container)",
		parse: func(c *Config, v string) error {
			if v == "off" {
				c.HTTPListen = ""
				return nil
			}
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("%q is not host:port (or off)", v)
			}
			c.HTTPListen = v
			return nil
		}},
	{name: "NOTICE_LEASE", help: "how long a replica holds a notice it is sending before another may send it\n(default 1m): a crashed replica's notices go out this long after it died",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return fmt.Errorf("%q is not a duration of at least 1s", v)
			}
			c.NoticeLease = d
			return nil
		}},
	{name: "CHAT_RATE_LIMIT", help: "per-chat limit on an applicant's updates, RATE/BURST (default 1/30: one a\nsecond after a burst of 30); \"off\" lifts it (load tests). Webhook replicas\nshare it through Redis",
		parse: func(c *Config, v string) error {
			l, err := parseChatLimit(v)
			c.ChatLimit = l
			return err
		}},
	{name: "REVIEW_RATE_LIMIT", help: "the review group's send limit, PER_MINUTE/BURST: at most PER_MINUTE messages\nin any minute, BURST of them back to back (default 20/5, Telegram's limit for\na group; webhook replicas share it through Redis); \"off\" lifts it (load tests\nagainst a fake Bot API only: Telegram answers 429 past its limit, which the bot\nthen waits out)",
		parse: func(c *Config, v string) error {
			l, err := parseReviewLimit(v)
			c.ReviewLimit = l
			return err
		}},
	{name: "WEBAPP_URL", help: "public https URL of the Mini App form, e.g. https://bot.example.com/webapp/ (its path is\nserved, see WEBAPP_LISTENER); set: the chat offers the form, unset: chat only",
		parse: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return errors.New("want an https:// URL without query or fragment (Telegram opens Mini Apps over https only)")
			}
			if strings.Trim(u.Path, "/") == "" {
				return errors.New("give the form a path of its own, e.g. https://bot.example.com/webapp/")
			}
			if !strings.HasSuffix(u.Path, "/") {
				u.Path += "/"
			}
			c.WebAppURL = u.String()
			return nil
		}},
	{name: "WEBAPP_LISTENER", help: "which listener serves the form at WEBAPP_URL's path: webhook (WEBHOOK_LISTEN) or ops\n(HTTP_LISTEN); default webhook in webhook mode, else ops. Route only that path to it",
		parse: func(c *Config, v string) error {
			if v != "webhook" && v != "ops" {
				return fmt.Errorf("%q is not webhook or ops", v)
			}
			c.WebAppListener = v
			return nil
		}},
	{name: "PPROF", help: "true: HTTP_LISTEN also serves Go's profiler at /debug/pprof/ (keep it private)",
		parse: boolSetting(func(c *Config) *bool { return &c.Pprof })},
	{name: "GOGC", help: "the Go runtime's garbage-collector setting; unset (and no GOMEMLIMIT), regbot\nruns at GOGC=75 (less memory for a little more CPU than Go's 100)",
		parse: func(c *Config, _ string) error { c.GCTuned = true; return nil }},
	{name: "GOMEMLIMIT", help: "the Go runtime's soft memory limit",
		parse: func(c *Config, _ string) error { c.GCTuned = true; return nil }},
}

func boolSetting(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
		*field(c) = b
		return nil
	}
}

// keySetting reads a base64 key of at least 32 bytes.
func keySetting(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if k, err := base64.StdEncoding.DecodeString(v); err != nil || len(k) < 32 {
			return errors.New("want at least 32 bytes, base64-encoded (e.g. openssl rand -base64 32)")
		}
		*field(c) = v
		return nil
	}
}

// ParseConfig reads every setting through getenv, with defaults, and
// checks each value's form, reporting every problem at once. It does not
// check that production's settings are all present: see CheckComplete.
func ParseConfig(getenv func(string) string) (Config, error) {
	c := Config{
		SessionTTL:    30 * 24 * time.Hour,
		SessionCache:  defaultSessionCache,
		NoticeLease:   time.Minute,
		DataDir:       ".data",
		LogLevel:      "info",
		WebhookListen: ":8443",
		HTTPListen:    "127.0.0.1:9090",
	}
	var errs []error
	for _, s := range settings {
		v := getenv(s.name)
		if v == "" {
			continue
		}
		if err := s.parse(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	if _, _, err := net.SplitHostPort(c.WebhookListen); err != nil {
		errs = append(errs, fmt.Errorf("WEBHOOK_LISTEN: %q is not host:port", c.WebhookListen))
	}
	if c.Pprof && c.HTTPListen == "" {
		errs = append(errs, errors.New("PPROF: needs HTTP_LISTEN (it is served there)"))
	}
	if c.WebAppURL != "" {
		switch c.WebAppOn() {
		case "webhook":
			if c.WebhookURL == "" {
				errs = append(errs, errors.New("WEBAPP_LISTENER: webhook needs WEBHOOK_URL (with long polling there is no webhook listener)"))
			}
		case "ops":
			if c.HTTPListen == "" {
				errs = append(errs, errors.New("WEBAPP_URL: the form is served on HTTP_LISTEN, which is off (or set WEBAPP_LISTENER=webhook)"))
			}
		}
	}
	return c, errors.Join(errs...)
}

// WebAppOn is the listener that serves the Mini App form: "webhook" or
// "ops" (WEBAPP_LISTENER, defaulting to the webhook's in webhook mode).
func (c Config) WebAppOn() string {
	if c.WebAppListener != "" {
		return c.WebAppListener
	}
	if c.WebhookURL != "" {
		return "webhook"
	}
	return "ops"
}

// WebAppPath is the path the form is served under ("/webapp/"), from
// WEBAPP_URL.
func (c Config) WebAppPath() string {
	u, err := url.Parse(c.WebAppURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

// LoadConfig is ParseConfig followed by CheckComplete: the configuration
// of the bot in production.
func LoadConfig(getenv func(string) string) (Config, error) {
	c, err := ParseConfig(getenv)
	return c, errors.Join(err, c.CheckComplete())
}

// Configured reports whether anything that names a real system or a secret
// is set. Anything configured means production: the development binary
// starts its local stack only when nothing is.
func Configured(getenv func(string) string) bool {
	for _, s := range settings {
		if s.real && getenv(s.name) != "" {
			return true
		}
	}
	return false
}

// CheckComplete reports, in one error, every setting the bot needs in
// production that c lacks: each missing one is named with what it holds.
func (c Config) CheckComplete() error {
	var errs []error
	for _, s := range settings {
		if s.production && !s.isSet(&c) {
			errs = append(errs, fmt.Errorf("%s: missing (%s)", s.name, firstLine(s.help)))
		}
	}
	if c.ReviewChatID != 0 && len(c.ReviewerIDs) == 0 && !c.ReviewAdmins {
		errs = append(errs, errors.New("REVIEWER_IDS: missing (who may decide in the review group; or set REVIEW_ADMINS=true)"))
	}
	if c.WebhookURL != "" && c.WebhookSecret == "" {
		errs = append(errs, errors.New("WEBHOOK_SECRET: missing (required with WEBHOOK_URL)"))
	}
	if c.DataKeys != "" {
		if _, _, err := secrets.ParseKeys(c.DataKeys); err != nil {
			errs = append(errs, fmt.Errorf("DATA_KEYS: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Require reports the named settings that c lacks: what a subcommand needs
// (e.g. DATABASE_URL), each named with what it holds.
func (c Config) Require(names ...string) error {
	var errs []error
	for _, name := range names {
		for _, s := range settings {
			if s.name == name && s.isSet != nil && !s.isSet(&c) {
				errs = append(errs, fmt.Errorf("%s: missing (%s)", s.name, firstLine(s.help)))
			}
		}
	}
	return errors.Join(errs...)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// EnvironmentHelp documents every setting, for --help and the README.
func EnvironmentHelp() string {
	var b strings.Builder
	b.WriteString("Environment (* required in production: once any real system or secret is set, regbot\nrefuses to start until every * is):\n")
	for _, s := range settings {
		mark := " "
		if s.production {
			mark = "*"
		}
		lines := strings.Split(s.help, "\n")
		fmt.Fprintf(&b, "  %s%-19s %s\n", mark, s.name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "  %-20s %s\n", "", l)
		}
	}
	return b.String()
}

// SettingNames lists every environment variable regbot reads.
func SettingNames() []string {
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.name
	}
	return names
}

// ChatLimit is a per-chat token bucket: Rate updates a second, Burst at
// once; Off lifts the limit.
type ChatLimit struct {
	Rate  float64
	Burst int
	Off   bool
}

// parseChatLimit reads "RATE/BURST" (e.g. "1/30", "0.5/20") or "off".
func parseChatLimit(v string) (*ChatLimit, error) {
	if v == "off" {
		return &ChatLimit{Off: true}, nil
	}
	r, b, ok := strings.Cut(v, "/")
	rt, err1 := strconv.ParseFloat(r, 64)
	burst, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || rt <= 0 || burst < 1 || math.IsInf(rt, 0) || math.IsNaN(rt) {
		return nil, fmt.Errorf("%q is not RATE/BURST (a positive rate a second and a burst of at least 1, e.g. 1/30) or off", v)
	}
	return &ChatLimit{Rate: rt, Burst: burst}, nil
}

// ReviewLimit is the review group's token bucket: at most PerMinute
// messages in any minute, Burst of them at once; Off lifts the limit.
type ReviewLimit struct {
	PerMinute, Burst int
	Off              bool
}

// parseReviewLimit reads "PER_MINUTE/BURST" (e.g. "20/5") or "off".
func parseReviewLimit(v string) (*ReviewLimit, error) {
	if v == "off" {
		return &ReviewLimit{Off: true}, nil
	}
	p, b, ok := strings.Cut(v, "/")
	perMin, err1 := strconv.Atoi(p)
	burst, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || burst < 1 || perMin <= burst {
		return nil, fmt.Errorf("%q is not PER_MINUTE/BURST (messages in any minute, more than the burst of at least 1 sent back to back, e.g. 20/5) or off", v)
	}
	return &ReviewLimit{PerMinute: perMin, Burst: burst}, nil
}
