package botapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Long polling that confirms an update only once it has been handled.
//
// getUpdates confirms every update below the offset it is called with, and
// go-telegram/bot's own poller asks for the next offset as soon as it has
// queued an update, so a crash loses whatever was queued. This poller asks
// for offset = the lowest update id not yet handled (or the highest id
// received + 1 when all are done). Updates of different chats are handled
// in parallel, so the offset only advances past the slowest one: Telegram
// then sends the unconfirmed updates again, and the poller skips those it
// already has. When a whole batch is already in hand it waits for one to
// finish, or at most maxPollIdle, instead of asking again at once, and
// while any is held it asks at most every minRepoll. A chat
// whose update hangs thus holds back confirmation of later ones (not
// their handling) for at most the per-update timeouts; a crash in between
// redelivers them, and the session store's applied ids make the
// repetition harmless. Telegram sends at most pollLimit updates from the
// offset, so past that many held updates none newer would arrive until
// the hung one ended: at maxHeld the oldest unfinished ones are confirmed
// while still being handled (see offsets.next).

// pollLimit is getUpdates' batch size (Telegram's maximum).
const pollLimit = 100

// maxHeld bounds the updates received but not confirmable: the slowest
// unfinished one and everything after it. It leaves room in every batch
// for new updates, and is well above the updates in flight under load
// (50 in the load tool's standard run), which it would otherwise confirm
// early.
const maxHeld = pollLimit - pollLimit/10

// offsets tracks received updates until they are handled.
type offsets struct {
	mu      sync.Mutex
	order   []int64        // received, not yet confirmable, ascending
	held    map[int64]bool // the ids in order
	done    map[int64]bool // handled, but behind an unfinished one
	maxSeen int64          // highest id received
	changed chan struct{}  // closed and replaced when an update is handled
}

func newOffsets() *offsets {
	return &offsets{held: map[int64]bool{}, done: map[int64]bool{}, changed: make(chan struct{})}
}

// add records an update received from a getUpdates asked for offset. It
// returns false for an update in hand already: Telegram sends it again
// until the offset passes it, and one that was in hand when the request
// left (id >= offset) may have finished since. An update that had been
// confirmed and still comes again (id < offset: Telegram redelivers in
// rare cases) is handed out again, untracked: the engine recognises it.
func (o *offsets) add(id, offset int64) (handle, track bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.held[id] || id <= o.maxSeen && id >= offset:
		return false, false
	case id <= o.maxSeen:
		return true, false
	}
	o.maxSeen = id
	o.order = append(o.order, id)
	o.held[id] = true
	return true, true
}

// finish marks an update handled.
func (o *offsets) finish(id int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.held[id] { // else confirmed already (see next)
		o.done[id] = true
	}
	for len(o.order) > 0 && o.done[o.order[0]] {
		delete(o.done, o.order[0])
		delete(o.held, o.order[0])
		o.order = o.order[1:]
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// next is the offset to ask getUpdates for, and a channel closed when it
// may have moved. When more than maxHeld updates are held, the oldest are
// let go: the offset moves past them, which confirms them although some
// are still being handled (they are handled to the end; a crash before
// then would not redeliver them). given is how many unfinished ones that
// confirmed.
func (o *offsets) next() (offset int64, changed <-chan struct{}, given int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.order) - maxHeld; n > 0 {
		for _, id := range o.order[:n] {
			if !o.done[id] {
				given++
			}
			delete(o.held, id)
			delete(o.done, id)
		}
		o.order = o.order[n:]
		for len(o.order) > 0 && o.done[o.order[0]] {
			delete(o.done, o.order[0])
			delete(o.held, o.order[0])
			o.order = o.order[1:]
		}
	}
	if len(o.order) > 0 {
		return o.order[0], o.changed, given
	}
	if o.maxSeen == 0 {
		return 0, o.changed, given
	}
	return o.maxSeen + 1, o.changed, given
}

// Poller receives updates by long polling (getUpdates) and confirms each
// only once it has been handled, as described above.
type Poller struct {
	c        *Client
	dispatch Dispatch
	timeout  time.Duration
	allowed  []string
	// allowedJSON is allowed as JSON, for every getUpdates.
	allowedJSON []byte
	log         *slog.Logger
	offsets     *offsets
}

// NewPoller returns a poller that asks c for the allowed kinds of updates
// (allowed_updates), holding each getUpdates for up to timeout (at least
// 2 s; Telegram is asked for a second less), and hands every new update
// to dispatch. Errors and warnings go to log.
func NewPoller(c *Client, dispatch Dispatch, timeout time.Duration, allowed []string, log *slog.Logger) *Poller {
	allowedJSON, _ := json.Marshal(allowed) // strings: cannot fail
	return &Poller{c: c, dispatch: dispatch, timeout: max(timeout, 2*time.Second), allowed: allowed,
		allowedJSON: allowedJSON, log: log, offsets: newOffsets()}
}

// Run long-polls until ctx is done, handing every new update to the
// dispatch function. It returns after the last getUpdates; the caller
// waits for the handlers and then calls Confirm.
func (p *Poller) Run(ctx context.Context) {
	var backoff, idle time.Duration
	for ctx.Err() == nil {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
		offset, changed, given := p.offsets.next()
		if given > 0 {
			p.log.Warn("bot: confirming updates still being handled, so that newer ones can arrive",
				"updates", given, "held", maxHeld)
		}
		asked := time.Now()
		updates, release, err := p.getUpdates(ctx, offset, int(p.timeout/time.Second)-1, pollLimit)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ra retryAfterError
			if errors.As(err, &ra) {
				backoff = time.Duration(ra) * time.Second
			} else {
				backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			}
			p.clientError(fmt.Errorf("getUpdates: %w", err))
			continue
		}
		backoff = 0
		fresh := 0
		for _, raw := range updates {
			id, err := updateID(raw)
			if err != nil {
				p.clientError(fmt.Errorf("getUpdates: an update without update_id: %w", err))
				continue
			}
			handle, track := p.offsets.add(id, offset)
			if !handle {
				continue // in hand already: not confirmed yet
			}
			fresh++
			done := func(error) {}
			if track {
				done = func(error) { p.offsets.finish(id) }
			}
			// Only a fresh update is decoded: with 50 chats in flight most
			// of a batch is updates in hand, sent again (see above).
			upd := new(models.Update)
			if err := DecodeUpdate(raw, upd); err != nil {
				// Never decodable: count it handled, or it would come
				// back forever and hold the offset.
				p.clientError(fmt.Errorf("getUpdates: update %d: %w", id, err))
				done(err)
				continue
			}
			if !p.dispatch(ctx, upd, done) {
				release()
				return // shutting down: it stays unconfirmed
			}
		}
		release() // the fresh ones are decoded
		if len(updates) == 0 || len(updates) == pollLimit {
			// Nothing held (the long poll waited for news), or more may
			// be waiting behind a full batch: ask again at once.
			idle = 0
			continue
		}
		// Telegram sent all it has, and every update of it is being
		// handled: it would send them all again at once.
		if fresh == 0 {
			// Nothing came since the last call: wait for progress, but
			// only for a moment, since updates of other chats may be
			// waiting behind the unconfirmed ones (a slow marketing
			// query must not hold up every other chat).
			idle = min(max(2*idle, 10*time.Millisecond), maxPollIdle)
			if !pause(ctx, changed, idle) {
				return
			}
		} else {
			idle = 0
		}
		// Ask again no sooner than minRepoll after the last call.
		if d := minRepoll - time.Since(asked); d > 0 && !pause(ctx, nil, d) {
			return
		}
	}
}

// pause waits for c to close or d to pass; false if ctx ended first.
func pause(ctx context.Context, c <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-c:
	case <-t.C:
	}
	return true
}

// minRepoll is the least time between two getUpdates calls while updates
// are held. Each such call answers at once, with every held update again;
// asking after every update handled made a thousand calls a second in the
// load tool's open loop (the poller was 13 % of the bot's CPU there, their
// HTTP work aside), only to re-read them.
// A new update waits at most this long for the next call.
const minRepoll = 2 * time.Millisecond

// maxPollIdle bounds how long the poller waits, while every update it
// has is still being handled, before asking Telegram for new ones.
const maxPollIdle = 200 * time.Millisecond

// Confirm tells Telegram that every handled update is done, so that a
// restart does not receive them again. Updates still unfinished (the
// offset stops below them) will be redelivered. Call it once Run has
// returned and the handlers have finished.
func (p *Poller) Confirm() {
	offset, _, _ := p.offsets.next()
	if offset == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, release, err := p.getUpdates(ctx, offset, 0, 1)
	if err == nil {
		release()
	} else {
		p.log.Warn("bot: confirming handled updates failed", "offset", offset, "err", p.c.Redact(err))
	}
}

// clientError logs an error of getUpdates. Its text can quote a response
// body, so it is cut short.
func (p *Poller) clientError(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	msg := p.c.Redact(err)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	p.log.Warn("bot: telegram client error", "err", msg)
}

// retryAfterError is a 429's retry_after in seconds.
type retryAfterError int

func (e retryAfterError) Error() string {
	return fmt.Sprintf("too many requests, retry after %d", int(e))
}

// getUpdates calls getUpdates (JSON body; go-telegram/bot does not
// export its raw request) and returns the updates undecoded. They point
// into a pooled buffer: the caller decodes what it needs, then calls
// release, after which they must not be used.
//
// Most of a batch under load is updates in hand, sent again (see above),
// so the answer is not decoded as a whole: splitResult finds the updates
// in the buffer without copying them, and only fresh ones are decoded.
func (p *Poller) getUpdates(ctx context.Context, offset int64, timeout, limit int) (updates [][]byte, release func(), err error) {
	// Written by hand: json.Marshal of a map sorts its keys by
	// reflection, 1.2 % of the bot's CPU in the open loop.
	body := make([]byte, 0, 64+len(p.allowedJSON))
	body = append(body, `{"offset":`...)
	body = strconv.AppendInt(body, offset, 10)
	body = append(body, `,"limit":`...)
	body = strconv.AppendInt(body, int64(limit), 10)
	body = append(body, `,"timeout":`...)
	body = strconv.AppendInt(body, int64(max(timeout, 0)), 10)
	body = append(body, `,"allowed_updates":`...)
	body = append(body, p.allowedJSON...)
	body = append(body, '}')
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.c.url("getUpdates"), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.c.httpc.Do(req)
	if err != nil {
		return nil, nil, errors.New(p.c.Redact(err))
	}
	defer resp.Body.Close()
	buf := pollBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	release = func() {
		if buf.Cap() <= maxPooledPollBuffer {
			pollBuffers.Put(buf)
		}
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 64<<20)); err != nil {
		release()
		return nil, nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if updates, ok := splitResult(buf.Bytes()); ok {
		return updates, release, nil
	}
	defer release()
	// Anything but a plain success, e.g. an error: decoded the slow way.
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		return nil, nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if !r.OK {
		if r.ErrorCode == http.StatusTooManyRequests && r.Parameters.RetryAfter > 0 {
			return nil, nil, retryAfterError(r.Parameters.RetryAfter)
		}
		return nil, nil, fmt.Errorf("%d %s", r.ErrorCode, r.Description)
	}
	for _, raw := range r.Result {
		updates = append(updates, raw) // copies made by Unmarshal: not in buf
	}
	return updates, func() {}, nil
}

// pollBuffers holds getUpdates answers while they are read; a buffer
// grown past maxPooledPollBuffer (a batch of large updates) is left to
// the garbage collector.
var pollBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledPollBuffer = 1 << 20

// splitResult returns the elements of the result array of a successful
// getUpdates answer as sub-slices of body, if body is exactly
// {"ok":true,"result":[…]} as the Bot API writes it (no spaces). It checks
// the structure (strings, escapes, nesting), not the elements' JSON
// grammar: an element is decoded (validated) when it is used, and
// updateID falls back to a full decode when its prefix is unusual. ok is
// false for anything else, which the caller decodes the slow way.
func splitResult(body []byte) (elems [][]byte, ok bool) {
	const prefix, suffix = `{"ok":true,"result":[`, `]}`
	rest, found := bytes.CutPrefix(bytes.TrimSpace(body), []byte(prefix))
	if !found {
		return nil, false
	}
	rest, found = bytes.CutSuffix(rest, []byte(suffix))
	if !found {
		return nil, false
	}
	if len(bytes.TrimSpace(rest)) == 0 {
		return [][]byte{}, true
	}
	for i := 0; i < len(rest); {
		start, depth, inString := i, 0, false
	scan:
		for ; i < len(rest); i++ {
			c := rest[i]
			switch {
			case inString:
				switch c {
				case '\\':
					i++ // the escaped character
				case '"':
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth < 0 {
					return nil, false
				}
			case c == ',' && depth == 0:
				break scan
			}
		}
		elem := bytes.TrimSpace(rest[start:i])
		if inString || depth != 0 || len(elem) == 0 {
			return nil, false
		}
		elems = append(elems, elem)
		if i < len(rest) { // at a comma: an element must follow
			i++
			if i == len(rest) {
				return nil, false
			}
		}
	}
	return elems, true
}

// updateID returns an undecoded update's update_id. The Bot API writes it
// first, so it is read from the prefix without scanning the whole update;
// anything else is decoded the slow way.
func updateID(raw json.RawMessage) (int64, error) {
	const prefix = `{"update_id":`
	if rest, ok := bytes.CutPrefix(raw, []byte(prefix)); ok {
		var id int64
		n := 0
		for ; n < len(rest) && n < 18 && rest[n] >= '0' && rest[n] <= '9'; n++ {
			id = id*10 + int64(rest[n]-'0')
		}
		if n > 0 && n < len(rest) && (rest[n] == ',' || rest[n] == '}') {
			return id, nil
		}
	}
	var u struct {
		ID *int64 `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return 0, err
	}
	if u.ID == nil {
		return 0, errors.New("no update_id")
	}
	return *u.ID, nil
}
