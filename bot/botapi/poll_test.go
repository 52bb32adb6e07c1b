package botapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/bot/telegramtest"
)

func TestUpdateID(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want int64
		ok   bool
	}{
		{`{"update_id":123456789,"message":{"text":"hi"}}`, 123456789, true},
		{`{"update_id":7}`, 7, true},
		// Not first, spaced, or too long for the fast path: decoded.
		{`{"message":{"update_id":5},"update_id":42}`, 42, true},
		{`{ "update_id" : 9 }`, 9, true},
		{`{"update_id":12345678901234567890123}`, 0, false}, // overflows int64
		{`{"update_id":-3}`, -3, true},
		{`{"message":{}}`, 0, false},
		{`{"update_id":`, 0, false},
		{`not json`, 0, false},
	} {
		got, err := updateID(json.RawMessage(tt.raw))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("updateID(%s) = %d, %v; want %d, ok %v", tt.raw, got, err, tt.want, tt.ok)
		}
	}
}

// BenchmarkPollBatch decodes a getUpdates answer as the poller meets it
// under load: 50 button presses of which 45 are already in hand (sent
// again until handled, poll.go). "all" decodes every update, as the
// poller did before; "fresh" reads the ids and decodes the 5 new ones.
func BenchmarkPollBatch(b *testing.B) {
	var batch []*models.Update
	for i := range 50 {
		batch = append(batch, &models.Update{ID: int64(1000 + i), CallbackQuery: &models.CallbackQuery{
			ID: fmt.Sprint(i), From: models.User{ID: int64(i), FirstName: "Alice", LanguageCode: "zh-hans"}, Data: "usertype|v:direct",
			Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
				ID: 100 + i, Chat: models.Chat{ID: int64(i), Type: models.ChatTypePrivate},
				Text: "第 12/45 步 · 基本信息\n请选择用户类型。",
				ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
					{{Text: "直接交易用户", CallbackData: "usertype|v:direct"}, {Text: "零售用户", CallbackData: "usertype|v:retail"}},
					{{Text: "上一步", CallbackData: "g|back"}},
				}},
			}}}})
	}
	body, err := json.Marshal(map[string]any{"ok": true, "result": batch})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			var r struct {
				Result []*models.Update `json:"result"`
			}
			if err := json.Unmarshal(body, &r); err != nil || len(r.Result) != 50 {
				b.Fatal(err)
			}
		}
	})
	// decodeFresh decodes the 5 updates not in hand, as the poller does.
	decodeFresh := func(b *testing.B, raws []json.RawMessage) {
		for _, raw := range raws {
			id, err := updateID(raw)
			if err != nil {
				b.Fatal(err)
			}
			if id < 1045 {
				continue
			}
			var u models.Update
			if err := json.Unmarshal(raw, &u); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("split", func(b *testing.B) {
		raws := make([]json.RawMessage, 0, 50)
		for b.Loop() {
			elems, ok := splitResult(body)
			if !ok || len(elems) != 50 {
				b.Fatal("not split")
			}
			raws = raws[:0]
			for _, e := range elems {
				raws = append(raws, e)
			}
			decodeFresh(b, raws)
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			var r struct {
				Result []json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
			decodeFresh(b, r.Result)
		}
	})
}

func TestSplitResult(t *testing.T) {
	for _, tt := range []struct {
		body string
		want []string // nil: not split (decoded the slow way)
	}{
		{`{"ok":true,"result":[]}`, []string{}},
		{`{"ok":true,"result":[{"update_id":1}]}`, []string{`{"update_id":1}`}},
		{`{"ok":true,"result":[{"update_id":1,"message":{"text":"a,]}\\\"{"}},{"update_id":2,"x":[1,{"y":"}"}]}]}` + "\n",
			[]string{`{"update_id":1,"message":{"text":"a,]}\\\"{"}}`, `{"update_id":2,"x":[1,{"y":"}"}]}`}},
		{`{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":3}}`, nil},
		{`{"result":[],"ok":true}`, nil},                                 // another order: slow way
		{`{"ok":true,"result":[{"update_id":1},]}`, nil},                 // trailing comma
		{`{"ok":true,"result":[{"update_id":1}`, nil},                    // cut off
		{`{"ok":true,"result":[{"update_id":"1}]}`, nil},                 // open string
		{`{"ok":true,"result":[{"update_id":1}}]}`, nil},                 // unbalanced
		{`{"ok":true,"result":[{"update_id":1},,{"update_id":2}]}`, nil}, // empty element
	} {
		got, ok := splitResult([]byte(tt.body))
		if ok != (tt.want != nil) {
			t.Errorf("splitResult(%s): ok %v, want %v", tt.body, ok, tt.want != nil)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("splitResult(%s) = %q, want %q", tt.body, got, tt.want)
			continue
		}
		for i := range got {
			if string(got[i]) != tt.want[i] {
				t.Errorf("splitResult(%s)[%d] = %s, want %s", tt.body, i, got[i], tt.want[i])
			}
		}
	}
}

// FuzzSplitResult: whenever the answer is valid JSON and split, the
// elements are exactly those encoding/json finds.
func FuzzSplitResult(f *testing.F) {
	f.Add(`{"update_id":1,"message":{"text":"hi"}},{"update_id":2}`)
	f.Add(`{"update_id":1,"message":{"text":"a,]}\\\"{"}}`)
	f.Add(`1,"x",[{}],null`)
	f.Fuzz(func(t *testing.T, inner string) {
		body := []byte(`{"ok":true,"result":[` + inner + `]}`)
		got, ok := splitResult(body)
		var r struct {
			Result []json.RawMessage `json:"result"`
		}
		if !json.Valid(body) {
			return // not the Bot API's: an element that is used is decoded and fails then
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Fatalf("valid answer not split: %s", body)
		}
		if len(got) != len(r.Result) {
			t.Fatalf("%s: split into %d, want %d", body, len(got), len(r.Result))
		}
		for i := range got {
			if !bytes.Equal(got[i], r.Result[i]) {
				t.Fatalf("%s: element %d = %s, want %s", body, i, got[i], r.Result[i])
			}
		}
	})
}

// dispatcher handles each update in a goroutine of its own, as package
// bot's chat lanes do for different chats: it reports the update on
// received, holds it while its chat is the held one and release is open,
// then calls done and reports it on finished.
type dispatcher struct {
	held               int64
	release            chan struct{}
	received, finished chan *models.Update
}

func newDispatcher(held int64) *dispatcher {
	return &dispatcher{held: held, release: make(chan struct{}),
		received: make(chan *models.Update, 1000), finished: make(chan *models.Update, 1000)}
}

func (d *dispatcher) dispatch(ctx context.Context, upd *models.Update, done func(error)) bool {
	if ctx.Err() != nil {
		return false
	}
	go func() {
		d.received <- upd
		if upd.Message != nil && upd.Message.Chat.ID == d.held {
			<-d.release
		}
		done(nil)
		d.finished <- upd
	}()
	return true
}

// startPoller runs a poller on s with d until the test ends, and returns
// its log and a function that lets d's held updates go (called at the end
// of the test too). Telegram is asked to hold a long poll for 49 s, as the
// bot's default asks.
func startPoller(t *testing.T, s *telegramtest.Server, d *dispatcher) (logs *syncBuffer, unblock func()) {
	t.Helper()
	logs = &syncBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), nil))
	p := NewPoller(NewClient(s.URL(), s.Token, nil, time.Minute), d.dispatch, 50*time.Second,
		[]string{"message", "callback_query"}, log)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { p.Run(ctx); close(ran) }()
	var once sync.Once
	unblock = func() { once.Do(func() { close(d.release) }) }
	t.Cleanup(func() { unblock(); cancel(); <-ran })
	return logs, unblock
}

// syncBuffer collects log output for assertions.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func recv(t *testing.T, ch <-chan *models.Update) *models.Update {
	t.Helper()
	select {
	case u := <-ch:
		return u
	case <-time.After(5 * time.Second):
		t.Fatal("no update within 5 s")
		return nil
	}
}

func assertEmpty(t *testing.T, ch <-chan *models.Update) {
	t.Helper()
	select {
	case u := <-ch:
		t.Errorf("unexpected update %d", u.ID)
	default:
	}
}

const wait = 5 * time.Second

func TestPollingConfirmsOnlyHandledUpdates(t *testing.T) {
	s := telegramtest.New(t)
	d := newDispatcher(alice.ID)
	_, unblock := startPoller(t, s, d)

	slow := s.SendText(alice, "slow")
	recv(t, d.received)
	// The poller asks again from alice's unconfirmed update and gets only
	// that one back: bob's, sent after, must still be fetched.
	if !s.WaitFor(wait, func() bool {
		for _, c := range s.Calls("getUpdates") {
			if c.Fields["offset"] == strconv.FormatInt(slow, 10) {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the poller did not ask again")
	}
	fast := s.SendText(bob, "fast")
	recv(t, d.received)
	if u := recv(t, d.finished); u.ID != fast {
		t.Fatalf("update %d finished, want bob's %d", u.ID, fast)
	}
	// Bob's update is handled, alice's is not: neither may be confirmed,
	// since confirming bob's (offset > fast) would confirm alice's too.
	if s.WaitConfirmed(slow, 300*time.Millisecond) {
		t.Fatal("the update was confirmed while its handler was still running")
	}
	unblock()
	if !s.WaitConfirmed(fast, wait) {
		t.Fatal("the updates were not confirmed once handled")
	}
	assertEmpty(t, d.received) // nothing handled twice
}

// A hung update holds back the confirmation of later ones, but not their
// arrival: Telegram sends at most 100 updates from the offset, so with
// more than that behind it the poller lets the oldest go (confirms them
// while still handled) to make room, and tells the operator.
func TestHungUpdateDoesNotStopNewerOnes(t *testing.T) {
	s := telegramtest.New(t)
	d := newDispatcher(alice.ID)
	logs, unblock := startPoller(t, s, d)

	slow := s.SendText(alice, "slow")
	recv(t, d.received)
	const others = 2 * pollLimit
	for i := range others {
		s.SendText(telegramtest.Chat{ID: int64(10000 + i), UserID: int64(10000 + i), FirstName: "U"}, "hi")
	}
	for range others {
		if u := recv(t, d.received); u.ID == slow {
			t.Fatal("alice's update was handled twice")
		}
	}
	if !strings.Contains(logs.String(), "confirming updates still being handled") {
		t.Error("no warning about updates confirmed while being handled")
	}
	unblock()
	// Let go, it is still handled to the end (the others finished first).
	for u := recv(t, d.finished); u.ID != slow; u = recv(t, d.finished) {
	}
	if !s.WaitConfirmed(slow, wait) {
		t.Fatal("not confirmed")
	}
	assertEmpty(t, d.received)
}

// While an update is held, every getUpdates answers at once with it
// again. Each update that arrived or was handled meanwhile used to set off
// another call, about two per update under a steady stream (the load
// tool's open loop); the poller now asks no more often than every
// minRepoll.
func TestRepollSpacedWhileHeld(t *testing.T) {
	s := telegramtest.New(t)
	d := newDispatcher(alice.ID)
	_, unblock := startPoller(t, s, d)

	s.SendText(alice, "slow")
	recv(t, d.received)
	from := time.Now()
	// A steady stream, one update every 250 µs, each handled at once.
	const others = 100
	tick := time.NewTicker(250 * time.Microsecond)
	for i := range others {
		<-tick.C
		s.SendText(telegramtest.Chat{ID: int64(20000 + i), UserID: int64(20000 + i), FirstName: "U"}, "hi")
	}
	tick.Stop()
	for range others {
		recv(t, d.finished)
	}
	to := time.Now()
	// The poller makes one call at a time, so of the calls the server
	// received in [from, to] at most one started before from.
	n := 0
	for _, c := range s.Calls("getUpdates") {
		if !c.At.Before(from) && !c.At.After(to) {
			n++
		}
	}
	if most := int(to.Sub(from)/minRepoll) + 2; n > most {
		t.Errorf("%d getUpdates calls in %v while an update was held, want at most %d (one per %v)",
			n, to.Sub(from).Round(time.Millisecond), most, minRepoll)
	}
	unblock()
}

// getUpdates asks for a full batch, a long poll a second shorter than the
// poller's timeout, and the allowed kinds of updates.
func TestGetUpdatesParameters(t *testing.T) {
	s := telegramtest.New(t)
	d := newDispatcher(0)
	startPoller(t, s, d)
	id := s.SendText(alice, "hi")
	recv(t, d.finished)
	if !s.WaitConfirmed(id, wait) {
		t.Fatal("the update was not confirmed")
	}
	calls := s.Calls("getUpdates")
	last := calls[len(calls)-1]
	want := map[string]string{"offset": strconv.FormatInt(id+1, 10), "limit": "100", "timeout": "49",
		"allowed_updates": `["message","callback_query"]`}
	for k, v := range want {
		if last.Fields[k] != v {
			t.Errorf("getUpdates %s = %q; want %q (fields %v)", k, last.Fields[k], v, last.Fields)
		}
	}
}
