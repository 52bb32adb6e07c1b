package bot

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/i18n"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"
)

// Per-chat message rate limit. A person filling in the form sends a
// message or taps a button every few seconds; a script or a stuck client
// sends dozens a second, and each update costs a session round trip and
// maybe a marketing-system query. Beyond the limit an update is dropped
// before the engine sees it; the first one dropped gets a polite answer
// (a callback query is always answered, with the same text as a toast, so
// that the client stops spinning). The review group is not limited: its
// members are trusted and its replies are rate-limited by the outbox.
//
// Where the buckets are: with WithSharedLimits (webhook mode, any number
// of replicas) a chat's bucket is kept in Redis and every replica takes
// from it, so the limit holds for the replicas together; an update
// delivered to two replicas, or again before another update of the chat
// took a token (the bucket remembers its last token's update), costs one
// token, and the polite answer is sent once per run across them. Without
// it (long polling: one process gets every update) the buckets are this
// process's own, which costs no round trip. While the shared buckets cannot be reached (Redis
// down or slow), this process's buckets stand in: a flood is still
// limited, to the limit per replica, and no applicant is refused because
// Redis failed (which the engine then reports anyway). That is logged
// once per outage and counted (Observer.SharedLimitFailed).

const (
	// defaultChatRate refills one update a second, defaultChatBurst allows
	// quick runs of taps (ticking metering points, paging a list).
	defaultChatRate  = rate.Limit(1)
	defaultChatBurst = 30
	// maxLimitedChats bounds the limiters kept; past it the idle ones
	// (bucket full again) are forgotten.
	maxLimitedChats = 10000
)

// WithChatRate sets the per-chat limit on updates from private chats: a
// steady rate and a burst (default one a second after a burst of 30).
// rate.Inf turns the limit off.
func WithChatRate(limit rate.Limit, burst int) Option {
	return func(c *config) { c.chatRate = newChatLimits(limit, burst) }
}

// chatLimits holds a token bucket per chat.
type chatLimits struct {
	limit rate.Limit
	burst int

	mu    sync.Mutex
	chats map[int64]chatLimit
}

// chatLimit is one chat's token bucket, stored by value in the map: 24
// bytes and nothing for the garbage collector to follow, where a
// *rate.Limiter with its entry took ~130 bytes in three objects. With
// 10,000 chats that was ~1.5 MiB of live heap (docs/performance.md). It
// counts like rate.Limiter.AllowN(now, 1): full when new, refilled at
// limit per second up to burst.
type chatLimit struct {
	tokens float64 // at last
	last   int64   // Unix nanoseconds
	warned bool    // told about this run of dropped updates
}

// at returns the tokens the bucket holds at now (a clock going back counts
// as no time passed).
func (c chatLimit) at(now int64, limit rate.Limit, burst int) float64 {
	t := c.tokens
	if now > c.last && limit > 0 {
		t += time.Duration(now-c.last).Seconds() * float64(limit) // as rate.Limiter rounds
	}
	return min(t, float64(burst))
}

func newChatLimits(limit rate.Limit, burst int) *chatLimits {
	return &chatLimits{limit: limit, burst: burst, chats: map[int64]chatLimit{}}
}

// allow reports whether chat may send an update now and, if not, whether
// it should be told (the first refusal since the last allowed update).
func (l *chatLimits) allow(chat int64, now time.Time) (ok, tell bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ns := now.UnixNano()
	c, ok := l.chats[chat]
	if !ok {
		if len(l.chats) >= maxLimitedChats {
			l.evict(now)
		}
		c = chatLimit{tokens: float64(l.burst), last: ns}
	}
	// Like rate.Limiter: only an allowed update moves the bucket on, and a
	// deficit worth less than a nanosecond of refill counts as none.
	if t := c.at(ns, l.limit, l.burst) - 1; t >= 0 || l.limit > 0 && time.Duration(-t/float64(l.limit)*float64(time.Second)) <= 0 {
		c.tokens, c.last = t, max(c.last, ns)
		c.warned = false
		l.chats[chat] = c
		return true, false
	}
	tell = !c.warned
	c.warned = true
	l.chats[chat] = c
	return false, tell
}

// evict forgets the chats whose bucket is full again (they would start
// afresh anyway); if that frees nothing, all of them.
func (l *chatLimits) evict(now time.Time) {
	ns := now.UnixNano()
	for id, c := range l.chats {
		if c.at(ns, l.limit, l.burst) >= float64(l.burst) {
			delete(l.chats, id)
		}
	}
	if len(l.chats) >= maxLimitedChats {
		clear(l.chats)
	}
}

// SharedLimits are token buckets kept outside the process, which every
// replica takes from; *redis.Limiter (adapters/redis) implements it. A
// bucket is named by a key, holds at most burst tokens and gains one every
// `every`; a bucket never used is full. Errors mean the buckets could not
// be reached.
type SharedLimits interface {
	// Allow takes a token for the update id from the bucket key if there
	// is one now. The id its last token went to passes again without
	// taking one (the update delivered again, or to two replicas). When it
	// refuses, first reports whether this is the bucket's first refusal
	// since it last gave a token.
	Allow(ctx context.Context, key string, id int64, every time.Duration, burst int) (ok, first bool, err error)
	// Reserve takes the bucket key's next token if it is due within
	// maxWait and returns how long until it is (0: now); the caller waits
	// that long before using it. Callers are served in the order they
	// reserve. A token further away is not taken: ok is false and wait is
	// how long it would have been.
	Reserve(ctx context.Context, key string, every time.Duration, burst int, maxWait time.Duration) (wait time.Duration, ok bool, err error)
}

// WithSharedLimits keeps the per-chat limit's buckets and the review
// group's send budget in l, shared with the other replicas, instead of in
// this process; this process's buckets stand in while l fails.
func WithSharedLimits(l SharedLimits) Option { return func(c *config) { c.shared = l } }

// The limits, as named in logs and to the Observer.
const (
	limitChat  = "chat"
	limitGroup = "group"
)

const (
	// sharedLimitTimeout bounds one call of the shared limiter.
	sharedLimitTimeout = time.Second
	// sharedRetry is how long after a failure the shared limiter is left
	// alone (this process's buckets decide meanwhile): an outage then
	// costs no update the timeout.
	sharedRetry = time.Second
)

// sharedLimits is the shared limiter with the bookkeeping of its failures.
type sharedLimits struct {
	l     SharedLimits
	log   *slog.Logger
	obs   Observer
	retry time.Duration // sharedRetry; tests shorten it

	failedAt [2]atomic.Int64 // per limit (chat, group): Unix nanoseconds of the last failure, 0 while it works
}

func newSharedLimits(l SharedLimits, log *slog.Logger, obs Observer) *sharedLimits {
	if l == nil {
		return nil
	}
	return &sharedLimits{l: l, log: log, obs: obs, retry: sharedRetry}
}

func limitIndex(limit string) int {
	if limit == limitGroup {
		return 1
	}
	return 0
}

// usable reports whether the shared limiter is to be asked for limit: it
// worked last time, or its last failure is sharedRetry old.
func (s *sharedLimits) usable(limit string) bool {
	at := s.failedAt[limitIndex(limit)].Load()
	return at == 0 || time.Since(time.Unix(0, at)) >= s.retry
}

// failed records a failure of the shared limiter for limit: this
// process's bucket decides instead. The first of an outage is logged.
func (s *sharedLimits) failed(limit string, err error) {
	s.obs.SharedLimitFailed(limit)
	if s.failedAt[limitIndex(limit)].Swap(time.Now().UnixNano()) == 0 {
		s.log.Warn("bot: the shared rate limit failed: this process's own bucket stands in until it works again", "limit", limit, "err", err)
	}
}

// worked records that the shared limiter answered for limit.
func (s *sharedLimits) worked(limit string) {
	if s.failedAt[limitIndex(limit)].Load() != 0 && s.failedAt[limitIndex(limit)].Swap(0) != 0 {
		s.log.Info("bot: the shared rate limit works again", "limit", limit)
	}
}

// interval is the time between tokens of a bucket refilling at limit (a
// positive, finite limit).
func interval(limit rate.Limit) time.Duration {
	// Clamped as floats: a rate below ~1e-10 a second would overflow a
	// Duration (and come out negative, lifting the limit).
	d := float64(time.Second) / float64(limit)
	return time.Duration(min(max(d, float64(time.Microsecond)), float64(24*time.Hour)))
}

// allowChat takes a token from chat's bucket for the update: the shared
// one if there is one and it answers, else this process's.
func (b *Bot) allowChat(ctx context.Context, limits *chatLimits, chat, updateID int64) (ok, tell bool) {
	if s := b.shared; s != nil && s.usable(limitChat) {
		actx, cancel := context.WithTimeout(ctx, sharedLimitTimeout)
		ok, first, err := s.l.Allow(actx, "chat:"+strconv.FormatInt(chat, 10), updateID, interval(limits.limit), limits.burst)
		cancel()
		if err == nil {
			s.worked(limitChat)
			return ok, first
		}
		if ctx.Err() == nil { // a failure of the limiter, not the end of the update
			s.failed(limitChat, err)
		}
	}
	return limits.allow(chat, time.Now())
}

// rateLimited is the middleware that enforces limits on private chats.
// A nil limits means the defaults.
func (b *Bot) rateLimited(limits *chatLimits) tgbot.Middleware {
	if limits == nil {
		limits = newChatLimits(defaultChatRate, defaultChatBurst)
	}
	return func(next tgbot.HandlerFunc) tgbot.HandlerFunc {
		return func(ctx context.Context, tg *tgbot.Bot, upd *models.Update) {
			chat := laneKey(upd)
			if chat == 0 || b.isReviewChat(chat) || limits.limit == rate.Inf {
				next(ctx, tg, upd)
				return
			}
			ok, tell := b.allowChat(ctx, limits, chat, upd.ID)
			if ok {
				next(ctx, tg, upd)
				return
			}
			b.log.Info("bot: update dropped: chat over its rate limit", "update_id", upd.ID, "chat_id", chat, "told", tell)
			b.deleteIfSecret(ctx, upd, chat)
			b.tellRateLimited(ctx, upd, chat, tell)
		}
	}
}

// deleteIfSecret deletes a dropped message that may carry a secret (an ID
// number, a password typed too fast): the engine, which deletes those, never
// sees it, and the applicant types it again anyway.
func (b *Bot) deleteIfSecret(ctx context.Context, upd *models.Update, chat int64) {
	m := upd.Message
	if m == nil || !conversation.LooksSecret(m.Text+m.Caption) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
	defer cancel()
	if err := b.deleteMessage(ctx, chat, m.ID); err != nil {
		b.log.Warn("bot: a dropped message that may hold a secret was not deleted", "update_id", upd.ID, "chat_id", chat, "err", b.redact(err))
	}
}

// tellRateLimited answers a dropped update: a callback query always (with
// the text as a toast), a message only if tell.
func (b *Bot) tellRateLimited(ctx context.Context, upd *models.Update, chat int64, tell bool) {
	var lang string
	switch {
	case upd.Message != nil && upd.Message.From != nil:
		lang = upd.Message.From.LanguageCode
	case upd.CallbackQuery != nil:
		lang = upd.CallbackQuery.From.LanguageCode
	}
	text := b.msgs.T(i18n.Match(lang), "ratelimit.notice")
	if upd.CallbackQuery != nil {
		b.answerCallback(ctx, event{updateID: upd.ID, chatID: chat, callbackID: upd.CallbackQuery.ID}, text)
		return
	}
	if !tell {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
	defer cancel()
	err := b.callRetried(ctx, "sendMessage", &tgbot.SendMessageParams{ChatID: chat, Text: text})
	if err != nil {
		b.log.Warn("bot: rate-limit notice not sent", "update_id", upd.ID, "chat_id", chat, "err", b.redact(err))
	}
}
