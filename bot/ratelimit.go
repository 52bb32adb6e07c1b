package bot

import (
	"context"
	"sync"
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
// The limit is per process: with several replicas a chat gets up to the
// limit on each, which is still a bound.

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
			ok, tell := limits.allow(chat, time.Now())
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
