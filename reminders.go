package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/regbot/regbot/conversation"
)

// reminderSource hands out chats due a reminder, each once across replicas
// (adapters/redis SessionStore).
type reminderSource interface {
	ClaimReminders(ctx context.Context, now time.Time, limit int) ([]conversation.Reminder, error)
}

// reminderEngine renders a reminder (conversation.Engine).
type reminderEngine interface {
	Remind(ctx context.Context, r conversation.Reminder) ([]conversation.Reply, error)
}

// remindLoop claims due reminders at every tick and sends them, until ctx
// is done. The schedule lives in Redis, so it survives restarts; claiming
// is atomic, so several replicas send each reminder once.
func remindLoop(ctx context.Context, ticks <-chan time.Time, src reminderSource, eng reminderEngine,
	send func(context.Context, []conversation.Reply), log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticks:
			due, err := src.ClaimReminders(ctx, now, 100)
			if err != nil {
				log.Warn("reminders: claim failed", "err", err)
				continue
			}
			for _, r := range due {
				replies, err := eng.Remind(ctx, r)
				if err != nil {
					log.Warn("reminders: render failed", "chat_id", r.ChatID, "err", err)
					continue
				}
				if len(replies) > 0 {
					send(ctx, replies)
					log.Info("reminder sent", "chat_id", r.ChatID, "kind", string(r.Kind))
				}
			}
		}
	}
}
