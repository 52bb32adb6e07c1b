package bot

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Every update, polled or posted to the webhook, goes through dispatch:
// it queues the update on its chat's lane, and the lane runs
// go-telegram/bot's middleware chain synchronously (WithNotAsyncHandlers):
// recoverer → logged → handleUpdate, outermost first.

// dispatch queues upd on its chat's lane and returns at once; done is
// called with the outcome once the update is handled (nil, or the
// engine's error or a panic). A lane runs its updates one after another in
// arrival order; lanes of different chats run in parallel. The library's
// own concurrency (a goroutine per update) would lose the order before any
// lock could restore it, and the answers must keep the order of the
// questions they answer.
//
// dispatch returns false, without calling done, when ctx is done before
// the update could be queued (shutdown; at most maxPending updates are in
// hand). The handler gets a context that is not cancelled when ctx is:
// updates already queued are handled to the end (Start waits for them).
func (b *Bot) dispatch(ctx context.Context, upd *models.Update, done func(error)) bool {
	received := time.Now()
	if ctx.Err() != nil {
		return false
	}
	select {
	case b.pending <- struct{}{}:
	case <-ctx.Done():
		b.log.Warn("bot: update not taken at shutdown", "update_id", upd.ID, "chat_id", laneKey(upd))
		b.obs.UpdateHandled(b.updateKind(upd), ResultDropped, time.Since(received))
		return false
	}
	b.wg.Add(1)
	b.lanes.run(laneKey(upd), func() {
		defer b.wg.Done()
		defer func() { <-b.pending }()
		oc := &outcome{}
		b.tg.ProcessUpdate(withOutcome(context.WithoutCancel(ctx), oc), upd)
		result, err := oc.result()
		b.obs.UpdateHandled(b.updateKind(upd), result, time.Since(received))
		done(err)
	})
	return true
}

// laneKey is the chat an update belongs to.
func laneKey(upd *models.Update) int64 {
	switch {
	case upd.Message != nil:
		return upd.Message.Chat.ID
	case upd.CallbackQuery != nil:
		if id, _, _ := callbackChat(upd.CallbackQuery); id != 0 {
			return id
		}
		return upd.CallbackQuery.From.ID
	}
	return 0
}

// recoverer keeps a panicking handler from killing the process (the
// library has no recover). The panic value is logged and the update marked
// failed (a webhook answers 500, so Telegram retries it); the callback
// query is still answered by handleUpdate's deferred call.
func (b *Bot) recoverer(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, tg *tgbot.Bot, upd *models.Update) {
		defer func() {
			if r := recover(); r != nil {
				noteFailure(ctx, fmt.Errorf("panic: %v", r), true)
				b.log.Error("bot: panic while handling update", "update_id", upd.ID,
					"chat_id", laneKey(upd), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		next(ctx, tg, upd)
	}
}

// logged logs each handled update at debug level: ids, kind and duration,
// never content.
func (b *Bot) logged(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, tg *tgbot.Bot, upd *models.Update) {
		start := time.Now()
		next(ctx, tg, upd)
		b.log.Debug("bot: update handled", "update_id", upd.ID, "chat_id", laneKey(upd),
			"type", updateType(upd), "duration", time.Since(start))
	}
}

func updateType(upd *models.Update) string {
	switch {
	case upd.Message != nil:
		return "message"
	case upd.CallbackQuery != nil:
		return "callback_query"
	}
	return "other"
}

// lanes runs functions one at a time per key. A lane exists only while it
// has work: the map holds the active chats, not every chat ever seen.
//
// A lane runs on a worker goroutine that outlives it: once the lane is
// empty the worker waits for the next lane (at most maxIdleWorkers wait).
// A goroutine per lane started with a small stack and grew it on every
// update (json, the engine, go-redis and net/http call deep), and that
// copying was 4 % of the bot's CPU in the open loop (docs/performance.md).
type lanes struct {
	mu   sync.Mutex
	m    map[int64]*lane
	idle int        // workers waiting for a lane
	next chan *lane // hands a new lane to a waiting worker
}

type lane struct {
	key   int64
	first func()
	queue []func() // waiting behind the running one
}

// maxIdleWorkers bounds the workers kept waiting for lanes: above the
// updates in flight at once under load (50 in the load tool's closed
// loop), so that a step rarely starts a goroutine.
const maxIdleWorkers = 64

func (l *lanes) run(key int64, f func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[int64]*lane{}
	}
	if ln, ok := l.m[key]; ok {
		ln.queue = append(ln.queue, f)
		l.mu.Unlock()
		return
	}
	ln := &lane{key: key, first: f}
	l.m[key] = ln
	if l.idle > 0 {
		// The send cannot block: a waiting worker counted in idle is
		// about to receive, and only run sends, under mu.
		l.idle--
		l.mu.Unlock()
		l.next <- ln
		return
	}
	l.mu.Unlock()
	go l.work(ln)
}

// work runs ln, then the lanes handed to it while it waits.
func (l *lanes) work(ln *lane) {
	for {
		f := ln.first
		ln.first = nil
		for {
			f()
			l.mu.Lock()
			if len(ln.queue) == 0 {
				break // with mu held
			}
			f = ln.queue[0]
			ln.queue[0] = nil
			ln.queue = ln.queue[1:]
			l.mu.Unlock()
		}
		delete(l.m, ln.key)
		if l.idle >= maxIdleWorkers {
			l.mu.Unlock()
			return
		}
		l.idle++
		if l.next == nil {
			l.next = make(chan *lane)
		}
		next := l.next
		l.mu.Unlock()
		ln = <-next
	}
}

// active is the number of chats with work in progress.
func (l *lanes) active() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
