package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/regbot/regbot/bot/telegramtest"
)

// TestUserRoundTrip plays the bot's side by hand against the fake as the
// load tool runs it: a user's text reaches getUpdates, the bot's answer
// with a button (a JSON body, as the bot sends it) reaches the user, and
// the user's press comes back as a callback query on that message. (The
// fake's lean mode has tests of its own in bot/telegramtest.)
func TestUserRoundTrip(t *testing.T) {
	u := newUser(42, "测试")
	api, err := telegramtest.NewServer(telegramtest.WithLean(keepMessages+4), telegramtest.WithEvents(func(ev telegramtest.Event) {
		if ev.Message.ChatID == u.chatID {
			u.event(ev)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	u.api = api
	call := func(method string, body map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(api.URL()+"/bot"+api.Token+"/"+method, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["ok"] != true {
			t.Fatalf("%s: %v %v", method, out, err)
		}
		return out
	}
	poll := func(offset int64) []any {
		t.Helper()
		return call("getUpdates", map[string]any{"offset": offset, "timeout": 1})["result"].([]any)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := u.do(ctx, step{kind: sayText, arg: "/start", want: "欢迎"}, nil)
		done <- err
	}()
	var upds []any
	for len(upds) == 0 {
		upds = poll(0)
	}
	upd := upds[0].(map[string]any)
	msg := upd["message"].(map[string]any)
	if msg["text"] != "/start" || msg["entities"] == nil || msg["from"].(map[string]any)["language_code"] != "zh-hans" {
		t.Fatalf("update %v", upd)
	}
	call("sendMessage", map[string]any{"chat_id": 42, "text": "欢迎使用",
		"reply_markup": json.RawMessage(`{"inline_keyboard":[[{"text":"开始注册","callback_data":"start|go"}]]}`)})
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	go func() {
		_, err := u.do(ctx, step{kind: pressButton, arg: "开始", want: "须知"}, nil)
		done <- err
	}()
	next := int64(upd["update_id"].(float64)) + 1
	for upds = nil; len(upds) == 0; {
		upds = poll(next)
	}
	cq := upds[0].(map[string]any)["callback_query"].(map[string]any)
	if cq["data"] != "start|go" {
		t.Fatalf("callback %v", cq)
	}
	mid := cq["message"].(map[string]any)["message_id"]
	call("answerCallbackQuery", map[string]any{"callback_query_id": cq["id"]})
	call("editMessageReplyMarkup", map[string]any{"chat_id": 42, "message_id": mid,
		"reply_markup": map[string]any{"inline_keyboard": []any{}}})
	select {
	case err := <-done:
		t.Fatalf("a removed keyboard ended the step: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	call("sendMessage", map[string]any{"chat_id": 42, "text": "注册须知"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A PDF: the bot can fetch it by the update's file_id.
	go func() {
		_, err := u.do(ctx, step{kind: sendPDF, arg: "licence.pdf", want: "已收到"}, []byte("%PDF-1.7"))
		done <- err
	}()
	next = int64(upds[0].(map[string]any)["update_id"].(float64)) + 1
	for upds = nil; len(upds) == 0; {
		upds = poll(next)
	}
	doc := upds[0].(map[string]any)["message"].(map[string]any)["document"].(map[string]any)
	if doc["file_name"] != "licence.pdf" || doc["mime_type"] != "application/pdf" {
		t.Fatalf("document %v", doc)
	}
	f := call("getFile", map[string]any{"file_id": doc["file_id"]})["result"].(map[string]any)
	resp, err := http.Get(api.URL() + "/file/bot" + api.Token + "/" + f["file_path"].(string))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %v %v", resp, err)
	}
	resp.Body.Close()
	call("sendMessage", map[string]any{"chat_id": 42, "text": "已收到营业执照"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}} {
		if got := pct(ds, c.p); got != c.want {
			t.Errorf("pct(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if pct(nil, 99) != 0 {
		t.Error("pct of nothing is not 0")
	}
}

// TestChaosUserToleratesQuestionAskedTwice: in a chaos run an update taken
// over by another replica is answered with the current question again, and
// may come before or after the answer the applicant waits for. A chaos
// user presses the newest copy of a question, waits for a button that is
// not there yet instead of failing, takes the answer whichever copies come
// around it, and remembers its secret messages and their deletion.
func TestChaosUserToleratesQuestionAskedTwice(t *testing.T) {
	u := newUser(42, "测试")
	u.chaos, u.deleted = true, map[int]bool{}
	api, err := telegramtest.NewServer(telegramtest.WithLean(keepMessages+4), telegramtest.WithEvents(func(ev telegramtest.Event) {
		if ev.Message.ChatID == u.chatID {
			u.event(ev)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	u.api = api
	call := func(method string, body map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(api.URL()+"/bot"+api.Token+"/"+method, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	question := func(text, button, data string) {
		call("sendMessage", map[string]any{"chat_id": 42, "text": text,
			"reply_markup": map[string]any{"inline_keyboard": [][]map[string]string{{{"text": button, "callback_data": data}}}}})
	}
	poll := func(offset int64) map[string]any {
		t.Helper()
		for {
			b, _ := json.Marshal(map[string]any{"offset": offset, "timeout": 1})
			resp, err := http.Post(api.URL()+"/bot"+api.Token+"/getUpdates", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var out struct{ Result []map[string]any }
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Result) > 0 {
				return out.Result[0]
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)

	// The button is not there yet: the user waits for it.
	go func() {
		_, err := u.do(ctx, step{kind: pressButton, arg: "电力用户", want: "关键词"}, nil)
		done <- err
	}()
	question("请选择市场成员类型", "电力用户", "member|v:1")
	upd := poll(0)
	call("sendMessage", map[string]any{"chat_id": 42, "text": "请输入企业名称中的关键词"})
	call("sendMessage", map[string]any{"chat_id": 42, "text": "请输入企业名称中的关键词"}) // a takeover's copy
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A question asked twice: the newest copy is pressed.
	question("请选择用户类型", "零售用户", "usertype|v:retail")
	question("请选择用户类型", "零售用户", "usertype|v:retail")
	go func() {
		_, err := u.do(ctx, step{kind: pressButton, arg: "零售用户", want: "确认吗"}, nil)
		done <- err
	}()
	upd = poll(int64(upd["update_id"].(float64)) + 1)
	cq := upd["callback_query"].(map[string]any)
	if mid := cq["message"].(map[string]any)["message_id"].(float64); mid != 5 {
		t.Errorf("pressed message %v; want the newest copy, 5", mid)
	}
	call("sendMessage", map[string]any{"chat_id": 42, "text": "确认吗？"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	next := int64(upd["update_id"].(float64)) + 1

	// A secret: its message is remembered, and so is its deletion; an
	// older question asked again before the answer does not end the step.
	go func() {
		_, err := u.do(ctx, step{kind: sayText, arg: "11010519491231002x", want: "已记录身份证号码", secret: true}, nil)
		done <- err
	}()
	msg := poll(next)["message"].(map[string]any)
	mid := int(msg["message_id"].(float64))
	call("sendMessage", map[string]any{"chat_id": 42, "text": "请输入法定代表人身份证号码"})
	select {
	case err := <-done:
		t.Fatalf("a question asked again ended the step: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	call("deleteMessage", map[string]any{"chat_id": 42, "message_id": mid})
	call("sendMessage", map[string]any{"chat_id": 42, "text": "已记录身份证号码：110***********002X"})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.secrets) != 1 || u.secrets[0] != mid || !u.deleted[mid] {
		t.Errorf("secrets %v, deleted %v; want message %d, deleted", u.secrets, u.deleted, mid)
	}
	if u.repeats != 2 {
		t.Errorf("repeats = %d; want 2 (two questions came twice in a row)", u.repeats)
	}
}

func TestServerTiming(t *testing.T) {
	for h, want := range map[string]time.Duration{
		"app;dur=1.234":          1234 * time.Microsecond,
		"app;dur=20, db;dur=3":   20 * time.Millisecond,
		"app;dur=2.5;desc=x":     2500 * time.Microsecond,
		"":                       0,
		"app;desc=\"no time\"":   0,
		"app;dur=not-a-duration": 0,
	} {
		if got := serverTiming(h); got != want {
			t.Errorf("serverTiming(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestTiming(t *testing.T) {
	if got := timing("app;dur=5.5, engine;dur=1.25", "engine"); got != 1250*time.Microsecond {
		t.Errorf("engine = %v", got)
	}
	if got := timing("app;dur=5.5", "engine"); got != 0 {
		t.Errorf("missing metric = %v", got)
	}
}
