package bot

import (
	"context"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/review"
)

// Observer is told what the transport does, for metrics. Its methods are
// called concurrently and must be quick; labels carry no personal data.
type Observer interface {
	// UpdateHandled reports an update's kind ("message", "callback_query",
	// "review", "other"), its result ("ok", "error": the engine failed,
	// "panic", "dropped": not taken at shutdown) and the time from its
	// receipt to the last of its replies sent (review-group replies queue
	// in the outbox and are not waited for).
	UpdateHandled(kind, result string, d time.Duration)
	// TelegramCall reports one Bot API request: the method, the HTTP
	// status (0: no response) and its duration. 429 is Telegram's rate
	// limit. File downloads are "downloadFile". (It makes an Observer a
	// botapi.Observer.)
	TelegramCall(method string, status int, d time.Duration)
	// SharedLimitFailed reports that the replicas' shared bucket of a
	// limit ("chat": an applicant's updates, "group": the review group's
	// sends) could not be reached, and this process's own decided.
	SharedLimitFailed(limit string)
}

type nopObserver struct{}

func (nopObserver) UpdateHandled(string, string, time.Duration) {}
func (nopObserver) TelegramCall(string, int, time.Duration)     {}
func (nopObserver) SharedLimitFailed(string)                    {}

// WithObserver sets the observer of updates and Bot API calls.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }

// Results of UpdateHandled.
const (
	ResultOK      = "ok"
	ResultError   = "error"
	ResultPanic   = "panic"
	ResultDropped = "dropped"
)

// outcome is how the handling of one update ended; the lane's context
// carries it, the engine wrapper and the recoverer fill it in.
type outcome struct {
	mu     sync.Mutex
	err    error
	panics bool
}

type outcomeKey struct{}

func withOutcome(ctx context.Context, o *outcome) context.Context {
	return context.WithValue(ctx, outcomeKey{}, o)
}

func noteFailure(ctx context.Context, err error, panicked bool) {
	o, _ := ctx.Value(outcomeKey{}).(*outcome)
	if o == nil || err == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = err
	}
	o.panics = o.panics || panicked
}

func (o *outcome) result() (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.panics:
		return ResultPanic, o.err
	case o.err != nil:
		return ResultError, o.err
	}
	return ResultOK, nil
}

// failureNoting wraps the engine so that its errors mark the update as
// failed (a webhook then answers 500 and Telegram retries).
type failureNoting struct{ Engine }

func (e failureNoting) Handle(ctx context.Context, in conversation.Input) ([]conversation.Reply, error) {
	r, err := e.Engine.Handle(ctx, in)
	noteFailure(ctx, err, false)
	return r, err
}

// failureNotingDesk does the same for the review desk, and answers nothing
// when there is no desk.
type failureNotingDesk struct{ Desk }

func (d failureNotingDesk) Handle(ctx context.Context, in review.Input) ([]conversation.Reply, error) {
	if d.Desk == nil {
		return nil, nil
	}
	r, err := d.Desk.Handle(ctx, in)
	noteFailure(ctx, err, false)
	return r, err
}

// updateKind is the metrics label of an update.
func (b *Bot) updateKind(upd *models.Update) string {
	switch {
	case upd.Message != nil && b.isReviewChat(upd.Message.Chat.ID):
		return "review"
	case upd.CallbackQuery != nil:
		if id, _, _ := callbackChat(upd.CallbackQuery); id != 0 && b.isReviewChat(id) {
			return "review"
		}
	}
	return updateType(upd)
}
