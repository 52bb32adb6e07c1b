package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
)

// fakeBook counts what watchNotices asks of the outbox (the SQL itself is
// tested against Postgres in adapters/postgres).
type fakeBook struct {
	pending, sent, gaveUp int
	countErr              error
	prunes                []time.Time
	review, handoff       time.Time
}

func (b *fakeBook) NoticeCounts(context.Context) (int, int, int, error) {
	return b.pending, b.sent, b.gaveUp, b.countErr
}

func (b *fakeBook) OldestWaiting(context.Context) (time.Time, time.Time, error) {
	return b.review, b.handoff, nil
}

func (b *fakeBook) PruneNotices(_ context.Context, before time.Time) (int64, error) {
	b.prunes = append(b.prunes, before)
	return 3, nil
}

func scrapeMetrics(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// The gauge follows the counts at every tick; notices done with for 30
// days are pruned at the first tick and then once an hour.
func TestNoticeWatch(t *testing.T) {
	book := &fakeBook{pending: 2, sent: 7, gaveUp: 1}
	m := metrics.New()
	w := noticeWatch{book: book, m: m, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()

	book.review = t0.Add(-90 * time.Minute)
	w.tick(ctx, t0)
	if body := scrapeMetrics(t, m); !strings.Contains(body, `regbot_applications_waiting_oldest_seconds{stage="review"} 5400`) ||
		!strings.Contains(body, `regbot_applications_waiting_oldest_seconds{stage="handoff"} 0`) {
		t.Fatalf("waiting ages after the first tick:\n%s", body)
	}
	if body := scrapeMetrics(t, m); !strings.Contains(body, `regbot_notices{state="pending"} 2`) ||
		!strings.Contains(body, `regbot_notices{state="sent"} 7`) || !strings.Contains(body, `regbot_notices{state="given_up"} 1`) {
		t.Fatalf("gauge after the first tick:\n%s", body)
	}
	if len(book.prunes) != 1 || !book.prunes[0].Equal(t0.Add(-30*24*time.Hour)) {
		t.Fatalf("prunes %v; want one, of what was done with before %v", book.prunes, t0.Add(-30*24*time.Hour))
	}

	book.pending = 0
	w.tick(ctx, t0.Add(time.Minute))
	if body := scrapeMetrics(t, m); !strings.Contains(body, `regbot_notices{state="pending"} 0`) {
		t.Fatalf("gauge not updated:\n%s", body)
	}
	if len(book.prunes) != 1 {
		t.Fatalf("pruned again after a minute: %v", book.prunes)
	}
	w.tick(ctx, t0.Add(time.Hour))
	if len(book.prunes) != 2 {
		t.Fatalf("not pruned again after an hour: %v", book.prunes)
	}

	// A failed count leaves the last figures.
	book.pending, book.countErr = 5, errors.New("postgres down")
	w.tick(ctx, t0.Add(time.Hour+time.Minute))
	if body := scrapeMetrics(t, m); !strings.Contains(body, `regbot_notices{state="pending"} 0`) {
		t.Fatalf("gauge changed by a failed count:\n%s", body)
	}
}
