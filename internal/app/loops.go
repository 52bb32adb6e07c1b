package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
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

// noticeBook is the bookkeeping of the notices outbox (adapters/postgres.DB).
type noticeBook interface {
	NoticeCounts(ctx context.Context) (pending, sent, gaveUp int, err error)
	PruneNotices(ctx context.Context, before time.Time) (int64, error)
	OldestWaiting(ctx context.Context) (review, handoff time.Time, err error)
}

const (
	// noticeKeep is how long sent and given-up notices are kept (for an
	// operator asking whether someone was told).
	noticeKeep = 30 * 24 * time.Hour
	// prunePeriod spaces the deletions: the counts are read every tick.
	prunePeriod = time.Hour
)

// watchNotices keeps the notices gauge (regbot_notices) and the age of the
// oldest waiting application (regbot_applications_waiting_oldest_seconds)
// from book's counts
// at start and every tick, and deletes the notices done with for longer
// than noticeKeep once every prunePeriod. Every replica does it: the counts
// are the same for all, and a deletion repeated is harmless.
func watchNotices(ctx context.Context, ticks <-chan time.Time, book noticeBook, m *metrics.Metrics, log *slog.Logger) {
	w := noticeWatch{book: book, m: m, log: log}
	w.tick(ctx, time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticks:
			w.tick(ctx, now)
		}
	}
}

type noticeWatch struct {
	book      noticeBook
	m         *metrics.Metrics
	log       *slog.Logger
	lastPrune time.Time
}

func (w *noticeWatch) tick(ctx context.Context, now time.Time) {
	if now.Sub(w.lastPrune) >= prunePeriod {
		w.lastPrune = now
		if n, err := w.book.PruneNotices(ctx, now.Add(-noticeKeep)); err != nil {
			w.log.Warn("notices: pruning failed", "err", err)
		} else if n > 0 {
			w.log.Info("notices: pruned those done with", "count", n, "older_than", noticeKeep.String())
		}
	}
	if review, handoff, err := w.book.OldestWaiting(ctx); err != nil {
		w.log.Warn("applications: reading the oldest waiting failed", "err", err)
	} else {
		w.m.Waiting(now, review, handoff)
	}
	pending, sent, gaveUp, err := w.book.NoticeCounts(ctx)
	if err != nil {
		w.log.Warn("notices: counting failed", "err", err)
		return
	}
	w.m.Notices(pending, sent, gaveUp)
}
