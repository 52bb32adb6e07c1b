package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// events collects a lean server's events.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) get() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.all...)
}

// newLean starts a lean server without the test's help, as the load tool
// does, keeping keep messages per chat.
func newLean(t *testing.T, keep int) (*Server, *events) {
	t.Helper()
	evs := &events{}
	s, err := NewServer(WithLean(keep), WithEvents(evs.add))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, evs
}

// call posts form as a URL-encoded form, or as a JSON object (as regbot
// sends its replies) if it is a map[string]any, and returns the answer.
func call(t *testing.T, s *Server, method string, form any) map[string]any {
	t.Helper()
	var resp *http.Response
	var err error
	if v, ok := form.(url.Values); ok {
		resp, err = http.PostForm(s.URL()+"/bot"+s.Token+"/"+method, v)
	} else {
		body, _ := json.Marshal(form)
		resp, err = http.Post(s.URL()+"/bot"+s.Token+"/"+method, "application/json", bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return out
}

// TestLeanRoundTrip plays the bot's side by hand on a lean server: a
// user's text reaches getUpdates, the bot's answer with a button (a JSON
// body, as the bot sends it) is an event, and the user's press comes back
// as a callback query on that message. Nothing is recorded but counts.
func TestLeanRoundTrip(t *testing.T) {
	s, evs := newLean(t, 12)
	poll := func(offset int64) []any {
		t.Helper()
		out := call(t, s, "getUpdates", url.Values{"offset": {itoa(offset)}, "timeout": {"1"}})
		return out["result"].([]any)
	}
	id := s.SendText(alice, "/start")
	upds := poll(0)
	if len(upds) != 1 {
		t.Fatalf("updates %v", upds)
	}
	msg := upds[0].(map[string]any)["message"].(map[string]any)
	if msg["text"] != "/start" || msg["entities"] == nil {
		t.Fatalf("update %v", upds[0])
	}
	out := call(t, s, "sendMessage", map[string]any{"chat_id": alice.ID, "text": "欢迎使用",
		"reply_markup": json.RawMessage(`{"inline_keyboard":[[{"text":"开始注册","callback_data":"start|go"}]]}`)})
	if out["ok"] != true {
		t.Fatalf("sendMessage: %v", out)
	}
	mid := int(out["result"].(map[string]any)["message_id"].(float64))
	want := Event{Method: "sendMessage", Message: Message{ID: mid, ChatID: alice.ID, Text: "欢迎使用",
		Buttons:     [][]Button{{{Text: "开始注册", Data: "start|go"}}},
		ReplyMarkup: `{"inline_keyboard":[[{"text":"开始注册","callback_data":"start|go"}]]}`}}
	if got := evs.get(); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}

	s.Press(alice, mid, "start|go")
	upds = poll(id + 1)
	cq := upds[0].(map[string]any)["callback_query"].(map[string]any)
	if cq["data"] != "start|go" || cq["message"].(map[string]any)["text"] != "欢迎使用" {
		t.Fatalf("callback %v", cq)
	}
	if out := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": cq["id"]}); out["ok"] != true {
		t.Errorf("answerCallbackQuery: %v", out)
	}
	if out := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": cq["id"]}); out["ok"] == true {
		t.Error("a callback query answered twice")
	}
	call(t, s, "editMessageReplyMarkup", map[string]any{"chat_id": alice.ID, "message_id": mid,
		"reply_markup": map[string]any{"inline_keyboard": []any{}}})
	call(t, s, "sendMessage", url.Values{"chat_id": {itoa(alice.ID)}, "text": {"注册须知"}}) // forms still work
	got := evs.get()
	if len(got) != 3 || got[1].Method != "editMessageReplyMarkup" || got[1].Message.ID != mid ||
		got[1].Message.Buttons != nil || !got[1].Message.Edited || got[2].Message.Text != "注册须知" {
		t.Errorf("events %+v", got)
	}

	if calls := s.Calls(""); len(calls) != 0 {
		t.Errorf("a lean server recorded %d calls", len(calls))
	}
	if s.UpdateJSON(id) != nil || s.UserMessageID(id) != 0 {
		t.Error("a lean server kept an update")
	}
	counts := s.Counts()
	if c := counts["getUpdates"]; c.Calls != 2 {
		t.Errorf("getUpdates counted %+v", c)
	}
	if c := counts["answerCallbackQuery"]; c.Calls != 2 || c.Refused != 1 {
		t.Errorf("answerCallbackQuery counted %+v", c)
	}
	if c := counts["sendMessage"]; c.Calls != 2 || c.Refused != 0 {
		t.Errorf("sendMessage counted %+v", c)
	}
}

// TestLeanForgets: a lean server keeps the last few messages of a chat;
// older ones may still be edited and deleted, and a button pressed on one
// comes as on an inaccessible message.
func TestLeanForgets(t *testing.T) {
	s, evs := newLean(t, 3)
	s.SendText(alice, "hi") // message 1
	for i := range 4 {      // 2 to 5
		call(t, s, "sendMessage", map[string]any{"chat_id": alice.ID, "text": fmt.Sprint("m", i),
			"reply_markup": map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "b", "callback_data": "d"}}}}})
	}
	msgs := s.Messages(alice.ID)
	if len(msgs) != 3 || msgs[0].ID != 3 || msgs[2].ID != 5 {
		t.Fatalf("kept %+v, want messages 3 to 5", msgs)
	}
	if out := call(t, s, "editMessageText", map[string]any{"chat_id": alice.ID, "message_id": 2, "text": "new"}); out["ok"] != true {
		t.Errorf("editing a forgotten message: %v", out)
	}
	if out := call(t, s, "deleteMessage", map[string]any{"chat_id": alice.ID, "message_id": 1}); out["ok"] != true {
		t.Errorf("deleting a forgotten message: %v", out)
	}
	if out := call(t, s, "editMessageText", map[string]any{"chat_id": alice.ID, "message_id": 6, "text": "new"}); out["ok"] == true {
		t.Error("edited a message that never was")
	}
	got := evs.get()
	if ev := got[len(got)-2]; ev.Method != "editMessageText" || ev.Message.ID != 2 || ev.Message.Text != "new" {
		t.Errorf("edit event %+v", ev)
	}
	if ev := got[len(got)-1]; ev.Method != "deleteMessage" || ev.Message.ID != 1 || !ev.Message.Deleted {
		t.Errorf("delete event %+v", ev)
	}
	s.Press(alice, 2, "d")
	s.Press(alice, 5, "d")
	upds := call(t, s, "getUpdates", url.Values{"timeout": {"0"}})["result"].([]any)
	if len(upds) != 3 {
		t.Fatalf("updates %v", upds)
	}
	old := upds[1].(map[string]any)["callback_query"].(map[string]any)["message"].(map[string]any)
	kept := upds[2].(map[string]any)["callback_query"].(map[string]any)["message"].(map[string]any)
	if old["date"] != 0.0 || kept["text"] != "m3" {
		t.Errorf("pressed on forgotten %v, on kept %v", old, kept)
	}
}

// TestPostUpdates: updates go to the webhooks round robin, and one that
// is not answered 200 is posted again to the next.
func TestPostUpdates(t *testing.T) {
	s, _ := newLean(t, 12)
	type post struct {
		hook   int
		secret string
		body   []byte
	}
	posts := make(chan post, 10)
	var hooks []string
	var refused sync.Once
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			posts <- post{i, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), body}
			if bytes.Contains(body, []byte(`"refused"`)) {
				refused.Do(func() { http.Error(w, "busy", http.StatusServiceUnavailable) })
			}
		}))
		t.Cleanup(srv.Close)
		hooks = append(hooks, srv.URL)
	}
	s.PostUpdates(hooks, "sec")
	next := func() post {
		t.Helper()
		select {
		case p := <-posts:
			return p
		case <-time.After(wait):
			t.Fatal("nothing posted")
			return post{}
		}
	}
	id := s.SendText(alice, "one")
	p1 := next()
	var u struct {
		ID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(p1.body, &u); err != nil || u.ID != id || p1.secret != "sec" {
		t.Fatalf("posted %s with secret %q, want update %d", p1.body, p1.secret, id)
	}
	s.SendText(alice, "two")
	if p2 := next(); p2.hook == p1.hook {
		t.Errorf("both updates posted to hook %d", p1.hook)
	}
	// The first hook it is posted to refuses it: then the other one.
	s.SendText(alice, "refused")
	p := next()
	if again := next(); again.hook == p.hook || !bytes.Contains(again.body, []byte(`"refused"`)) {
		t.Fatalf("refused by hook %d, posted again to %d: %s", p.hook, again.hook, again.body)
	}
	if n := s.PostRetries(); n != 1 {
		t.Errorf("PostRetries = %d", n)
	}
	if upds := call(t, s, "getUpdates", url.Values{"timeout": {"0"}})["result"].([]any); len(upds) != 0 {
		t.Errorf("posted updates also queued: %v", upds)
	}
}

// TestPostRetryUntilAnswered: with WithPostRetry(…, 0) an update is
// posted again until a replica answers 200, past the default ten
// deliveries, and each retry goes to the other replica, so that one that
// is down is not tried twice in a row.
func TestPostRetryUntilAnswered(t *testing.T) {
	s, err := NewServer(WithLean(12), WithPostRetry(time.Millisecond, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connections refused, as to a killed replica
	const refusals = 7
	var (
		mu       sync.Mutex
		attempts int
	)
	answered := make(chan struct{})
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if attempts++; attempts <= refusals {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		close(answered)
	}))
	t.Cleanup(flaky.Close)
	s.PostUpdates([]string{dead.URL, flaky.URL}, "sec")
	s.SendText(alice, "one")
	select {
	case <-answered:
	case <-time.After(wait):
		t.Fatal("the update was never answered")
	}
	// Alternating: every other delivery reached the flaky replica.
	retries := s.PostRetries()
	if retries < 2*refusals || retries > 2*refusals+1 {
		t.Errorf("PostRetries = %d, want %d or %d (alternating between the replicas)", retries, 2*refusals, 2*refusals+1)
	}
	if n := s.PostRedelivered(); n != 1 {
		t.Errorf("PostRedelivered = %d, want 1", n)
	}
}

// TestSendTextMessageID: a lean server keeps no update → message map, so
// SendTextMessage says which message a text became, and a deletion of it
// is reported with that id.
func TestSendTextMessageID(t *testing.T) {
	s, evs := newLean(t, 12)
	_, first := s.SendTextMessage(alice, "11010519491231002x")
	upd, mid := s.SendTextMessage(alice, "Yx#2026pass")
	if mid != first+1 || upd == 0 {
		t.Fatalf("message ids %d then %d (update %d)", first, mid, upd)
	}
	call(t, s, "deleteMessage", map[string]any{"chat_id": alice.ID, "message_id": mid})
	for _, ev := range evs.get() {
		if ev.Method == "deleteMessage" && ev.Message.ChatID == alice.ID && ev.Message.ID == mid {
			return
		}
	}
	t.Fatalf("no deleteMessage event for message %d: %+v", mid, evs.get())
}

func BenchmarkLeanStep(b *testing.B) {
	s, err := NewServer(WithLean(12), WithEvents(func(Event) {}))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{}
	body := []byte(`{"chat_id":501,"text":"第 12/45 步 · 基本信息\n请选择用户类型。",` +
		`"reply_markup":{"inline_keyboard":[[{"text":"直接交易用户","callback_data":"usertype|v:direct"},` +
		`{"text":"零售用户","callback_data":"usertype|v:retail"}],[{"text":"上一步","callback_data":"g|back"}]]}}`)
	do := func(method string, body []byte) {
		resp, err := client.Post(s.URL()+"/bot"+s.Token+"/"+method, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.ReportAllocs()
	var offset int64
	for b.Loop() {
		offset = s.SendText(alice, "重庆渝新机械制造有限公司")
		do("getUpdates", []byte(`{"offset":`+itoa(offset)+`,"timeout":0}`))
		do("sendMessage", body)
	}
}
