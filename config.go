package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything regbot reads from its environment. It is parsed
// once, in LoadConfig; nothing else reads the environment.
type Config struct {
	TelegramToken   string        // TELEGRAM_BOT_TOKEN; empty: console chat
	TelegramAPIURL  string        // TELEGRAM_API_URL; a Bot API server (tests, local Bot API)
	RedisURL        string        // REDIS_URL; empty: a local redis-server under DataDir
	DatabaseURL     string        // DATABASE_URL; empty: a local Postgres under DataDir
	MarketingURL    string        // MARKETING_URL; empty: the built-in simulator
	MarketingToken  string        // MARKETING_TOKEN; bearer token for the marketing gateway
	ReviewChatID    int64         // REVIEW_CHAT_ID; the reviewers' group
	ReviewerIDs     []int64       // REVIEWER_IDS; comma-separated Telegram user ids
	ReviewAdmins    bool          // REVIEW_ADMINS; the group's administrators may decide too
	CallbackKey     string        // CALLBACK_KEY; base64 key signing review buttons (default: derived)
	DataKeys        string        // DATA_KEYS; "k1:BASE64,k2:BASE64", first is active (AES-256)
	IDHashKey       string        // ID_HASH_KEY; base64 HMAC key for ID-number uniqueness
	CatalogOptional bool          // CATALOG_OPTIONAL; enterprise name typed instead of chosen
	SessionTTL      time.Duration // SESSION_TTL; idle drafts expire (default 720h)
	SessionCache    int           // SESSION_CACHE; drafts kept in memory with long polling (default 1024)
	DataDir         string        // DATA_DIR; where the local stack keeps its data (default .data)
	LogLevel        string        // LOG_LEVEL; debug, info, warn, error
	WebhookURL      string        // WEBHOOK_URL; public https URL Telegram posts updates to; set: webhook mode
	WebhookListen   string        // WEBHOOK_LISTEN; where the webhook server listens (default :8443)
	WebhookSecret   string        // WEBHOOK_SECRET; X-Telegram-Bot-Api-Secret-Token (required with WEBHOOK_URL)
	HTTPListen      string        // HTTP_LISTEN; /metrics, /healthz, /readyz (default 127.0.0.1:9090; "off": none)
	NoticeLease     time.Duration // NOTICE_LEASE; how long a replica holds a notice it is sending (default 1m)
	Pprof           bool          // PPROF; also serve /debug/pprof/ on HTTP_LISTEN
	PasswordCost    int           // PASSWORD_HASH_COST; bcrypt cost of platform passwords (default 10, 4–31)
	// ChatLimit is CHAT_RATE_LIMIT, the per-chat limit on an applicant's
	// updates: "RATE/BURST" (updates a second / at once), "off", or
	// empty for the transport's default (1/30).
	ChatLimit *ChatLimit
	// GCTuned: GOGC or GOMEMLIMIT is set, so the Go runtime has its
	// garbage-collector settings from the environment and regbot's own
	// default (defaultGCPercent) stays out of the way.
	GCTuned bool
}

// defaultGCPercent is the bot's GOGC unless the environment sets GOGC or
// GOMEMLIMIT: a trade between SPEC §6's peak RSS (48 MiB) and CPU per step
// (0.30 ms). At Go's 100 the heap may grow to twice what is live: 44-45
// MiB of peak RSS under the load tool, too close to the limit. 75 costs
// ~2 MiB more than 50 (41-42 against 39-40 MiB with 1,000 drafts) and
// saves ~12 % of the bot's CPU per step (0.29-0.33 against 0.35-0.37 ms,
// 4 alternated runs each; docs/performance.md).
const defaultGCPercent = 75

// defaultSessionCache is SESSION_CACHE's default: at most ~2.4 MB of
// drafts, far more applicants than fill in the form at once on a busy
// day, and as many as the load tool's closed loop keeps busy (1,000; its
// open loop's 1,389 at a time are more, so there the cache keeps
// versions only). Each 1,024 more cost ~2.4 MB of live heap, about
// 4 MiB of RSS at GOGC=75.
const defaultSessionCache = 1024

// Bounds and default of PASSWORD_HASH_COST (bcrypt's own limits; 10 is
// bcrypt.DefaultCost, what the vault uses unless told otherwise).
const (
	defaultPasswordCost = 10
	minPasswordCost     = 4
	maxPasswordCost     = 31
)

// LocalStack reports whether regbot starts its own Redis and Postgres.
func (c Config) LocalStack() bool { return c.RedisURL == "" || c.DatabaseURL == "" }

// LoadConfig reads the configuration through getenv and validates it,
// reporting every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		TelegramToken:  getenv("TELEGRAM_BOT_TOKEN"),
		TelegramAPIURL: strings.TrimRight(getenv("TELEGRAM_API_URL"), "/"),
		RedisURL:       getenv("REDIS_URL"),
		DatabaseURL:    getenv("DATABASE_URL"),
		MarketingURL:   getenv("MARKETING_URL"),
		MarketingToken: getenv("MARKETING_TOKEN"),
		DataKeys:       getenv("DATA_KEYS"),
		IDHashKey:      getenv("ID_HASH_KEY"),
		CallbackKey:    getenv("CALLBACK_KEY"),
		DataDir:        getenv("DATA_DIR"),
		LogLevel:       getenv("LOG_LEVEL"),
		SessionTTL:     30 * 24 * time.Hour,
		SessionCache:   defaultSessionCache,
		NoticeLease:    time.Minute,
		WebhookURL:     getenv("WEBHOOK_URL"),
		WebhookListen:  getenv("WEBHOOK_LISTEN"),
		WebhookSecret:  getenv("WEBHOOK_SECRET"),
		HTTPListen:     getenv("HTTP_LISTEN"),
		PasswordCost:   defaultPasswordCost,
		GCTuned:        getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "",
	}
	var errs []error
	if v := getenv("REVIEW_CHAT_ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("REVIEW_CHAT_ID: %q is not an integer", v))
		}
		c.ReviewChatID = id
	}
	for _, f := range strings.FieldsFunc(getenv("REVIEWER_IDS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("REVIEWER_IDS: %q is not an integer", f))
			continue
		}
		c.ReviewerIDs = append(c.ReviewerIDs, id)
	}
	if v := getenv("REVIEW_ADMINS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("REVIEW_ADMINS: %q is not a boolean", v))
		}
		c.ReviewAdmins = b
	}
	if c.CallbackKey != "" {
		if k, err := base64.StdEncoding.DecodeString(c.CallbackKey); err != nil || len(k) < 32 {
			errs = append(errs, errors.New("CALLBACK_KEY: want at least 32 bytes, base64-encoded"))
		}
	}
	if v := getenv("CATALOG_OPTIONAL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CATALOG_OPTIONAL: %q is not a boolean", v))
		}
		c.CatalogOptional = b
	}
	if v := getenv("PASSWORD_HASH_COST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minPasswordCost || n > maxPasswordCost {
			errs = append(errs, fmt.Errorf("PASSWORD_HASH_COST: %q is not an integer from %d to %d", v, minPasswordCost, maxPasswordCost))
		}
		c.PasswordCost = n
	}
	if v := getenv("CHAT_RATE_LIMIT"); v != "" {
		l, err := parseChatLimit(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CHAT_RATE_LIMIT: %w", err))
		}
		c.ChatLimit = l
	}
	if v := getenv("PPROF"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PPROF: %q is not a boolean", v))
		}
		c.Pprof = b
	}
	if v := getenv("SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			errs = append(errs, fmt.Errorf("SESSION_TTL: %q is not a duration of at least 1h", v))
		}
		c.SessionTTL = d
	}
	if v := getenv("SESSION_CACHE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("SESSION_CACHE: %q is not a number of drafts (0 or more)", v))
		}
		c.SessionCache = n
	}
	if v := getenv("NOTICE_LEASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			errs = append(errs, fmt.Errorf("NOTICE_LEASE: %q is not a duration of at least 1s", v))
		}
		c.NoticeLease = d
	}
	if c.DataDir == "" {
		c.DataDir = ".data"
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	if c.TelegramToken != "" && c.ReviewChatID == 0 {
		errs = append(errs, errors.New("REVIEW_CHAT_ID: required with TELEGRAM_BOT_TOKEN"))
	}
	if c.ReviewChatID != 0 && len(c.ReviewerIDs) == 0 && !c.ReviewAdmins {
		errs = append(errs, errors.New("REVIEWER_IDS: required with REVIEW_CHAT_ID (or set REVIEW_ADMINS=true)"))
	}
	errs = append(errs, c.validateOps()...)
	if (c.DataKeys == "") != (c.IDHashKey == "") {
		errs = append(errs, errors.New("DATA_KEYS and ID_HASH_KEY: set both or neither"))
	}
	if c.DataKeys == "" && !c.LocalStack() {
		errs = append(errs, errors.New("DATA_KEYS: required when REDIS_URL and DATABASE_URL point at real servers"))
	}
	return c, errors.Join(errs...)
}

// ReviewButtonKey returns the key that signs the review buttons' callback
// data, and where it came from: CALLBACK_KEY; else derived from ID_HASH_KEY
// (HMAC-SHA256 with a fixed label, so one secret serves both and every
// replica agrees); else, on the local stack only, a published development
// key. Changing the key makes the buttons already in the group stale
// (/show REF gives fresh ones). LoadConfig has checked the values.
func (c Config) ReviewButtonKey() (key []byte, source string) {
	if c.CallbackKey != "" {
		k, _ := base64.StdEncoding.DecodeString(c.CallbackKey)
		return k, "CALLBACK_KEY"
	}
	if hk, err := base64.StdEncoding.DecodeString(c.IDHashKey); err == nil && len(hk) > 0 {
		m := hmac.New(sha256.New, hk)
		m.Write([]byte("regbot review-button key v1"))
		return m.Sum(nil), "ID_HASH_KEY"
	}
	dev := sha256.Sum256([]byte("regbot DEVELOPMENT-ONLY review-button key; NOT SECRET; never use in production"))
	return dev[:], "development"
}

// Usage documents the environment, for --help and the README.
const Usage = `regbot: Telegram bot for electricity-user registration at the Chongqing Power Exchange.

Usage:
  regbot                  run the bot (Telegram if TELEGRAM_BOT_TOKEN is set, else a console chat)
  regbot console          run a console chat against the same engine and stores
  regbot migrate          apply the database migrations to DATABASE_URL and exit
  regbot catalog import FILE
                          import the access catalog (准入目录) from CSV or XLSX into DATABASE_URL
  regbot marketing-sim [ADDR]
                          serve the marketing-system simulator (default 127.0.0.1:8089)
  regbot applications list [--status S]
                          list applications, oldest first (S: submitted, resubmitted,
                          approved, rejected, withdrawn); needs DATABASE_URL
  regbot applications show REF
                          one application with its units, files and decisions
  regbot applications export [--format json|csv] [--with-secrets]
                          every application to stdout for the trading platform (default
                          json; csv: one row per application). The legal representative's
                          ID number is exported only with --with-secrets and DATA_KEYS and
                          ID_HASH_KEY set; password hashes are never exported

Environment:
  TELEGRAM_BOT_TOKEN   bot token; empty: console chat
  TELEGRAM_API_URL     Bot API base URL (default https://api.telegram.org)
  REVIEW_CHAT_ID       the reviewers' group chat id (required with a token)
  REVIEWER_IDS         comma-separated Telegram user ids allowed to decide
  REVIEW_ADMINS        true: the review group's administrators may decide too (getChatMember,
                       cached for a minute); REVIEWER_IDS may then be empty
  CALLBACK_KEY         base64 key (32+ bytes) signing the review buttons; default: derived from
                       ID_HASH_KEY, or a development key on the local stack. Replicas must share it
  REDIS_URL            redis://host:port/db; empty: start a local redis-server in DATA_DIR
  DATABASE_URL         postgres://…; empty: start a local PostgreSQL in DATA_DIR
  MARKETING_URL        marketing-system gateway; empty: built-in simulator
  MARKETING_TOKEN      bearer token for the gateway
  DATA_KEYS            k1:BASE64KEY[,k0:BASE64KEY…] AES-256 keys, first active (required off the local stack)
  ID_HASH_KEY          base64 HMAC key for ID-number uniqueness
  CATALOG_OPTIONAL     true: enterprise names are typed, not chosen from the access catalog
  SESSION_TTL          idle-draft expiry (default 720h)
  SESSION_CACHE        drafts the bot keeps in memory after writing them, with long polling only
                       (default 1024, ~2.3 KB each; 0: none): a chat's next update then costs one
                       Redis round trip instead of two
  PASSWORD_HASH_COST   bcrypt cost of platform passwords, 4-31 (default 10; each step up doubles the
                       time, ~60 ms at 10 on a 2-core server). Below 10 only for load tests: a warning
                       is logged at start
  DATA_DIR             local stack data (default .data)
  LOG_LEVEL            debug|info|warn|error (default info)
  WEBHOOK_URL          public https URL of the webhook (e.g. https://bot.example.com/telegram); set:
                       webhook mode (many replicas), unset: long polling (one replica only)
  WEBHOOK_LISTEN       address the webhook server listens on (default :8443; TLS ends in front of it)
  WEBHOOK_SECRET       secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (16-256 of
                       A-Z a-z 0-9 _ -; required with WEBHOOK_URL)
  HTTP_LISTEN          /metrics, /healthz and /readyz (default 127.0.0.1:9090; "off": none;
                       0.0.0.0:9090 in a container)
  NOTICE_LEASE         how long a replica holds a notice (review-group notice, decision) it is
                       sending before another may send it (default 1m): a crashed replica's
                       notices go out this long after it died
  GOGC, GOMEMLIMIT     the Go runtime's garbage-collector settings; unset, regbot runs at GOGC=75
                       (less memory for a little more CPU than Go's default of 100)
  CHAT_RATE_LIMIT      per-chat limit on an applicant's updates, RATE/BURST (default 1/30: one a
                       second after a burst of 30; updates over it are dropped with one polite
                       notice); "off" lifts it (load tests that drive users at machine speed)
  PPROF                true: HTTP_LISTEN also serves Go's profiler at /debug/pprof/ (default false;
                       it exposes internals: keep HTTP_LISTEN private)
`

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

// validateOps checks the webhook and the operations server's settings and
// fills their defaults.
func (c *Config) validateOps() []error {
	var errs []error
	if c.WebhookListen == "" {
		c.WebhookListen = ":8443"
	}
	if c.HTTPListen == "" {
		c.HTTPListen = "127.0.0.1:9090"
	}
	if c.HTTPListen == "off" {
		c.HTTPListen = ""
		if c.Pprof {
			errs = append(errs, errors.New("PPROF: needs HTTP_LISTEN (it is served there)"))
		}
	} else if _, _, err := net.SplitHostPort(c.HTTPListen); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_LISTEN: %q is not host:port (or off)", c.HTTPListen))
	}
	if _, _, err := net.SplitHostPort(c.WebhookListen); err != nil {
		errs = append(errs, fmt.Errorf("WEBHOOK_LISTEN: %q is not host:port", c.WebhookListen))
	}
	if c.WebhookURL == "" {
		return errs
	}
	if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, errors.New("WEBHOOK_URL: want an https:// URL Telegram can reach"))
	}
	if c.TelegramToken == "" {
		errs = append(errs, errors.New("WEBHOOK_URL: needs TELEGRAM_BOT_TOKEN"))
	}
	// Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
	switch s := c.WebhookSecret; {
	case s == "":
		errs = append(errs, errors.New("WEBHOOK_SECRET: required with WEBHOOK_URL"))
	case len(s) < 16 || len(s) > 256 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}):
		errs = append(errs, errors.New("WEBHOOK_SECRET: want 16-256 characters of A-Z, a-z, 0-9, _ and -"))
	}
	return errs
}
