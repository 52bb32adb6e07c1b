package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
)

// noticeBook is the bookkeeping of the notices outbox (adapters/postgres.DB).
type noticeBook interface {
	NoticeCounts(ctx context.Context) (pending, sent, gaveUp int, err error)
	PruneNotices(ctx context.Context, before time.Time) (int64, error)
}

const (
	// noticeKeep is how long sent and given-up notices are kept (for an
	// operator asking whether someone was told).
	noticeKeep = 30 * 24 * time.Hour
	// prunePeriod spaces the deletions: the counts are read every tick.
	prunePeriod = time.Hour
)

// watchNotices keeps the notices gauge (regbot_notices) from book's counts
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
	pending, sent, gaveUp, err := w.book.NoticeCounts(ctx)
	if err != nil {
		w.log.Warn("notices: counting failed", "err", err)
		return
	}
	w.m.Notices(pending, sent, gaveUp)
}
