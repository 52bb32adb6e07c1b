package bot

import (
	"context"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

const (
	// adminTTL is how long a getChatMember answer is trusted: a member
	// promoted or demoted in the group is seen within this time.
	adminTTL = time.Minute
	// maxAdminEntries bounds the cache; past it the cache is dropped.
	maxAdminEntries = 10000
)

// admins caches whether users administer the review group, per process.
type admins struct {
	mu sync.Mutex
	m  map[int64]adminEntry
}

type adminEntry struct {
	admin bool
	at    time.Time
}

// isAdmin reports whether userID is the creator or an administrator of the
// review group, asking Telegram at most once per adminTTL and user. A
// failed lookup counts as "no" and is not cached.
func (b *Bot) isAdmin(ctx context.Context, userID int64) bool {
	now := time.Now()
	b.admins.mu.Lock()
	e, ok := b.admins.m[userID]
	b.admins.mu.Unlock()
	if ok && now.Sub(e.at) < adminTTL {
		return e.admin
	}
	m, err := withRetry(ctx, b, "getChatMember", func(ctx context.Context) (*models.ChatMember, error) {
		return b.tg.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: b.reviewChatID, UserID: userID})
	})
	if err != nil {
		b.log.Warn("bot: getChatMember failed", "chat_id", b.reviewChatID, "user_id", userID, "err", b.redact(err))
		return false
	}
	admin := m.Type == models.ChatMemberTypeOwner || m.Type == models.ChatMemberTypeAdministrator
	b.admins.mu.Lock()
	if b.admins.m == nil || len(b.admins.m) >= maxAdminEntries {
		b.admins.m = map[int64]adminEntry{}
	}
	b.admins.m[userID] = adminEntry{admin: admin, at: now}
	b.admins.mu.Unlock()
	return admin
}
