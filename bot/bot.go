// Package bot is the Telegram transport of the registration dialogue:
// decode an update (decode.go) into a conversation.Input (applicants'
// private chats) or a review.Input (the review group), hand it
// to the Engine (handler.go), render the replies (render.go): messages
// with inline keyboards, edits, deletions and callback answers as lean
// JSON calls, documents and the rest with github.com/go-telegram/bot.
// Updates arrive by long polling or as a webhook, both from package
// botapi (bot/botapi), which owns the wire: the HTTP transport, the JSON
// calls, and confirming an update to Telegram only once it has been
// handled. An Observer (observe.go) sees every update and Bot API call,
// for metrics.
//
// Updates of one chat are handled one at a time and in the order Telegram
// delivered them; different chats run in parallel. Messages for the review
// group go through a rate-limited outbox (outbox.go), so that the group's
// limit of about 20 messages a minute never holds up an applicant; with
// several replicas its budget, and each chat's limit (ratelimit.go), are
// buckets in Redis that all of them take from (WithSharedLimits). The
// notices stored with submissions and decisions (the group's notice of an
// application and its cards, the applicant's message of a decision), and
// the group's replies to a reviewer, stored before the update is confirmed,
// are sent at least once by a dispatcher (notices.go). Review
// buttons carry signed callback data (callback.go). Handlers survive panics,
// are bounded by a per-update timeout and are waited for on shutdown. Logs
// carry update and chat ids, never message texts, phone numbers, ID numbers
// or file links (which contain the token).
package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regbot/regbot/internal/i18n"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/regbot/regbot/bot/botapi"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/review"
)

// Engine is the applicant's dialogue the bot drives; *conversation.Engine
// implements it.
type Engine interface {
	// Handle processes one input of an applicant's private chat. On error
	// the returned replies are still sent (an apology, maybe a deletion).
	Handle(ctx context.Context, in conversation.Input) ([]conversation.Reply, error)
	// Replied is called once the replies to an input have been sent (or
	// given up on).
	Replied(ctx context.Context, in conversation.Input)
}

// Desk is the review group's workflow; *review.Desk implements it.
type Desk interface {
	// Handle processes one event of the review group, or a review button
	// pressed elsewhere (which the desk refuses). On error the returned
	// replies are still sent.
	Handle(ctx context.Context, in review.Input) ([]conversation.Reply, error)
}

// Files is the blob store documents are uploaded from when Telegram no
// longer knows their file_id.
type Files interface {
	// Get returns the data stored under key.
	Get(ctx context.Context, key string) ([]byte, error)
}

const (
	defaultPollTimeout   = 50 * time.Second
	defaultUpdateTimeout = 30 * time.Second
	// maxPending bounds the updates accepted but not yet handled; beyond
	// it the poller waits, so a flood cannot grow memory without limit.
	maxPending = 4096
	// typingDelay is how long a handler may run before the user sees
	// "typing…" (the marketing-system query can take seconds).
	typingDelay = time.Second
)

// Option configures a Bot.
type Option func(*config)

type config struct {
	serverURL     string
	reviewChatID  int64
	reviewAdmins  bool
	desk          Desk
	msgs          *i18n.Catalog
	cards         Cards
	callbackKey   []byte
	groupRate     rate.Limit
	groupBurst    int
	drainTimeout  time.Duration
	files         Files
	log           *slog.Logger
	skipGetMe     bool
	pollTimeout   time.Duration
	updateTimeout time.Duration
	observer      Observer
	webhookURL    string
	webhookListen string
	webhookSecret string
	routes        []route     // beside the webhook (WithWebhookRoute)
	chatRate      *chatLimits // ratelimit.go; nil: the defaults
	shared        SharedLimits

	notices        Notices
	noticeRenderer NoticeRenderer
	noticeLease    time.Duration
}

// WithServerURL sets the Bot API base URL (default https://api.telegram.org),
// e.g. a local Bot API server or a fake in tests.
func WithServerURL(url string) Option {
	return func(c *config) { c.serverURL = strings.TrimRight(url, "/") }
}

// WithReviewChatID sets the review group: its messages and button presses
// go to the Desk (WithReviewDesk).
func WithReviewChatID(id int64) Option { return func(c *config) { c.reviewChatID = id } }

// WithMessages sets the texts the bot shows of its own (the command menus,
// the rate-limit notice, the contact button); default: the built-in ones.
func WithMessages(m *i18n.Catalog) Option { return func(c *config) { c.msgs = m } }

// WithReviewDesk sets the review group's workflow. Without it, review
// events (the group's messages, review buttons) are not answered.
func WithReviewDesk(d Desk) Option { return func(c *config) { c.desk = d } }

// WithReviewAdmins makes the bot ask Telegram (getChatMember, cached for a
// minute) whether the person acting in the review group administers it,
// and pass the answer to the desk as review.Input.IsAdmin.
func WithReviewAdmins(on bool) Option { return func(c *config) { c.reviewAdmins = on } }

// WithCallbackKey sets the key that signs review buttons' callback data
// (at least 32 bytes; replicas must share it). Without it the bot uses a
// random key, and buttons stop working when the process restarts.
func WithCallbackKey(key []byte) Option {
	return func(c *config) { c.callbackKey = append([]byte(nil), key...) }
}

// WithReviewRate sets the review group's send budget: a steady limit and a
// burst (default: at most 20 messages in any minute, as a burst of 5 and
// then one every 4 s). With WithSharedLimits the budget is the replicas'
// together. Tests use a faster one.
func WithReviewRate(limit rate.Limit, burst int) Option {
	return func(c *config) { c.groupRate, c.groupBurst = limit, burst }
}

// WithDrainTimeout sets how long Start keeps sending the review group's
// queued messages after polling stopped (default 30 s).
func WithDrainTimeout(d time.Duration) Option { return func(c *config) { c.drainTimeout = d } }

// WithFiles sets the blob store for uploading documents that have no
// usable file_id.
func WithFiles(f Files) Option { return func(c *config) { c.files = f } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithSkipGetMe skips the getMe call in New. The bot then does not know
// its username and accepts "/cmd@anyname" in groups too.
func WithSkipGetMe() Option { return func(c *config) { c.skipGetMe = true } }

// WithPollTimeout sets how long one getUpdates long poll may take
// (default 50 s; Telegram holds the request for this minus one second).
func WithPollTimeout(d time.Duration) Option { return func(c *config) { c.pollTimeout = d } }

// WithUpdateTimeout bounds the engine's work on one update, and separately
// the sending of its replies (default 30 s each).
func WithUpdateTimeout(d time.Duration) Option { return func(c *config) { c.updateTimeout = d } }

// Bot is the Telegram transport. Create it with New and run it with Start.
type Bot struct {
	tg            *tgbot.Bot
	api           *botapi.Client // the lean JSON calls, downloads, and tg's HTTP client
	eng           Engine
	desk          Desk // failureNotingDesk: its Desk may be nil
	msgs          *i18n.Catalog
	cards         Cards // nil: cards are not recorded
	files         Files
	log           *slog.Logger
	reviewChatID  int64
	username      string // from getMe; "" when skipped
	updateTimeout time.Duration
	typingDelay   time.Duration // typingDelay; tests shorten it
	drainTimeout  time.Duration
	reviewAdmins  bool
	callbackKey   []byte

	outbox  *outbox       // the review group's queue; nil without a review group
	shared  *sharedLimits // the replicas' buckets (ratelimit.go); nil: this process's only
	notices *noticeLanes  // the durable notices; nil without WithNotices
	admins  admins

	lanes   lanes
	pending chan struct{} // one token per accepted, unfinished update
	wg      sync.WaitGroup

	// stopMu guards stopping, which Start sets before it waits for wg:
	// after that, work no update asked for (Deliver) must not join wg.
	stopMu   sync.Mutex
	stopping bool

	poller  *botapi.Poller  // polling mode
	webhook *botapi.Webhook // webhook mode
	obs     Observer

	webhookURL, webhookListen, webhookSecret string
	webhookAddr                              atomic.Value // string: the bound address
	routes                                   []route

	kbMu     sync.Mutex
	keyboard map[int64]bool // chats that may still show the contact keyboard
}

// New returns a Bot for token driving eng. Unless WithSkipGetMe is given it
// calls getMe, which checks the token and learns the bot's username.
func New(token string, eng Engine, opts ...Option) (*Bot, error) {
	if eng == nil {
		panic("bot: nil Engine")
	}
	cfg := config{pollTimeout: defaultPollTimeout, updateTimeout: defaultUpdateTimeout,
		groupRate: defaultGroupRate, groupBurst: groupBurst, drainTimeout: defaultDrainTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	if cfg.pollTimeout < 2*time.Second {
		cfg.pollTimeout = 2 * time.Second // a 0 s long poll would spin
	}
	if cfg.observer == nil {
		cfg.observer = nopObserver{}
	}
	if cfg.serverURL == "" {
		cfg.serverURL = "https://api.telegram.org"
	}
	b := &Bot{
		eng:   failureNoting{eng},
		desk:  failureNotingDesk{cfg.desk},
		msgs:  cmp.Or(cfg.msgs, i18n.Default()),
		cards: cfg.cards,
		// A call without a deadline of its own (the long poll, which
		// lasts pollTimeout-1s; uploads; start-up calls) gets one of
		// pollTimeout+30s.
		api:           botapi.NewClient(cfg.serverURL, token, cfg.observer, cfg.pollTimeout+30*time.Second),
		obs:           cfg.observer,
		webhookURL:    cfg.webhookURL,
		webhookListen: cfg.webhookListen,
		webhookSecret: cfg.webhookSecret,
		routes:        cfg.routes,
		files:         cfg.files,
		log:           cfg.log,
		reviewChatID:  cfg.reviewChatID,
		updateTimeout: cfg.updateTimeout,
		typingDelay:   typingDelay,
		drainTimeout:  cfg.drainTimeout,
		reviewAdmins:  cfg.reviewAdmins,
		callbackKey:   cfg.callbackKey,
		pending:       make(chan struct{}, maxPending),
		keyboard:      map[int64]bool{},
	}
	b.poller = botapi.NewPoller(b.api, b.dispatch, cfg.pollTimeout, allowedUpdates, b.log)
	b.webhook = botapi.NewWebhook(cfg.webhookSecret, b.dispatch, b.log)
	if len(b.callbackKey) == 0 {
		b.log.Warn("bot: no callback key configured: review buttons are signed with a random key and stop working on restart")
		b.callbackKey = randomKey()
	}
	b.shared = newSharedLimits(cfg.shared, b.log, b.obs)
	if b.reviewChatID != 0 {
		b.outbox = newOutbox(b, cfg.groupRate, cfg.groupBurst)
	}
	if cfg.notices != nil {
		b.notices = newNoticeLanes(b, cfg.notices, cfg.noticeRenderer, cfg.noticeLease)
	}
	b.lanes.m = map[int64]*lane{}
	tgOpts := []tgbot.Option{
		tgbot.WithSkipGetMe(), // called below, to keep the username
		tgbot.WithHTTPClient(cfg.pollTimeout, b.api.HTTPClient()),
		tgbot.WithServerURL(cfg.serverURL),
		// The library only runs the middleware chain: dispatch (the
		// botapi poller's or webhook's) calls ProcessUpdate in the
		// update's chat lane, and the chain runs synchronously there.
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithMiddlewares(
			b.recoverer,
			b.rateLimited(cfg.chatRate),
			b.logged,
		),
		tgbot.WithDefaultHandler(b.handleUpdate),
		tgbot.WithErrorsHandler(b.clientError),
	}
	tg, err := tgbot.New(token, tgOpts...)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	b.tg = tg
	if !cfg.skipGetMe {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		me, err := tg.GetMe(ctx)
		if err != nil {
			return nil, fmt.Errorf("bot: getMe: %s", b.redact(err))
		}
		b.username = me.Username
	}
	return b, nil
}

// Start publishes the command menu and receives updates until ctx is
// done: with WithWebhook it calls setWebhook and serves the webhook,
// otherwise it deletes any webhook and long-polls. Either way an
// update is confirmed to Telegram only once handled. When ctx is done it
// stops accepting updates, waits for the handlers of those already
// received (they run with their own timeouts, not ctx), confirms them
// (polling), drains the review group's outbox and sends the due notices
// for up to the drain timeout, and returns nil. It returns an error only if receiving cannot begin.
func (b *Bot) Start(ctx context.Context) error {
	if b.webhookURL == "" {
		// Telegram refuses getUpdates while a webhook is set.
		_, err := withRetry(ctx, b, "deleteWebhook", func(ctx context.Context) (bool, error) {
			return b.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		})
		if err != nil {
			return fmt.Errorf("bot: deleteWebhook: %s", b.redact(err))
		}
	}
	b.setCommands(ctx)
	if b.outbox != nil {
		b.outbox.start()
	}
	if b.notices != nil {
		b.notices.start()
	}
	var err error
	if b.webhookURL != "" {
		err = b.runWebhook(ctx)
	} else {
		b.log.Info("bot: polling", "review_chat_id", b.reviewChatID)
		b.poller.Run(ctx)
	}
	b.stopMu.Lock()
	b.stopping = true
	b.stopMu.Unlock()
	b.wg.Wait()
	if b.webhookURL == "" {
		b.poller.Confirm()
	}
	var drained sync.WaitGroup
	if b.outbox != nil {
		drained.Go(func() { b.outbox.drain(b.drainTimeout) })
	}
	if b.notices != nil {
		drained.Go(func() { b.notices.drain(b.drainTimeout) })
	}
	drained.Wait()
	b.log.Info("bot: stopped")
	return err
}

// commands is the private chats' menu; each command's description is the
// text "menu.<command>".
var commands = []string{"start", "help", "back", "cancel", "status", "lang", "privacy", "mydata", "withdraw", "delete"}

// groupCommands is the review group's menu; each command's description is
// the text "review.menu.<command>" (the group works in Chinese).
var groupCommands = []string{"pending", "find", "show", "help"}

// setCommands publishes the private-chat menu in Chinese (default) and
// English, and the review group's commands. Failures are only logged: the
// menu is a convenience.
func (b *Bot) setCommands(ctx context.Context) {
	var zh, en, group []models.BotCommand
	for _, c := range commands {
		zh = append(zh, models.BotCommand{Command: c, Description: b.msgs.T(i18n.Chinese, "menu."+c)})
		en = append(en, models.BotCommand{Command: c, Description: b.msgs.T(i18n.English, "menu."+c)})
	}
	for _, c := range groupCommands {
		group = append(group, models.BotCommand{Command: c, Description: b.msgs.T(i18n.Chinese, "review.menu."+c)})
	}
	sets := []*tgbot.SetMyCommandsParams{
		{Commands: zh, Scope: &models.BotCommandScopeAllPrivateChats{}},
		{Commands: en, Scope: &models.BotCommandScopeAllPrivateChats{}, LanguageCode: "en"},
	}
	if b.reviewChatID != 0 {
		sets = append(sets, &tgbot.SetMyCommandsParams{
			Commands: group,
			Scope:    &models.BotCommandScopeChat{ChatID: b.reviewChatID},
		})
	}
	for _, p := range sets {
		_, err := withRetry(ctx, b, "setMyCommands", func(ctx context.Context) (bool, error) {
			return b.tg.SetMyCommands(ctx, p)
		})
		if err != nil {
			b.log.Warn("bot: setMyCommands failed", "language", p.LanguageCode, "err", b.redact(err))
		}
	}
}

// clientError logs the library's background errors. Their text can quote
// a response body, so it is cut short.
func (b *Bot) clientError(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	msg := b.redact(err)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	b.log.Warn("bot: telegram client error", "err", msg)
}

// redact returns err's text without the bot token.
func (b *Bot) redact(err error) string { return b.api.Redact(err) }
