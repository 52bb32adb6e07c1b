package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// TestFakeAPIRoundTrip plays the bot's side by hand: a user's text reaches
// getUpdates, the bot's answer with a button (a JSON body, as the bot
// sends it) reaches the user, and the user's press comes back as a
// callback query on that message.
func TestFakeAPIRoundTrip(t *testing.T) {
	u := newUser(42, "测试")
	api, err := newFakeAPI("1:T", map[int64]*user{42: u})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	u.f = api
	// call posts form as a form, or as a JSON object (as the bot sends
	// its replies) if it is a map[string]any.
	call := func(method string, form any) map[string]any {
		t.Helper()
		var resp *http.Response
		var err error
		if v, ok := form.(url.Values); ok {
			resp, err = http.PostForm(api.URL()+"/bot1:T/"+method, v)
		} else {
			body, _ := json.Marshal(form)
			resp, err = http.Post(api.URL()+"/bot1:T/"+method, "application/json", bytes.NewReader(body))
		}
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
	poll := func(offset string) []any {
		t.Helper()
		return call("getUpdates", url.Values{"offset": {offset}, "timeout": {"1"}})["result"].([]any)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := u.do(ctx, step{kind: sayText, arg: "/start", want: "欢迎"}, nil, 0)
		done <- err
	}()
	var upds []any
	for len(upds) == 0 {
		upds = poll("0")
	}
	upd := upds[0].(map[string]any)
	msg := upd["message"].(map[string]any)
	if msg["text"] != "/start" || msg["entities"] == nil {
		t.Fatalf("update %v", upd)
	}
	call("sendMessage", map[string]any{"chat_id": 42, "text": "欢迎使用",
		"reply_markup": json.RawMessage(`{"inline_keyboard":[[{"text":"开始注册","callback_data":"start|go"}]]}`)})
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	go func() {
		_, err := u.do(ctx, step{kind: pressButton, arg: "开始", want: "须知"}, nil, 1)
		done <- err
	}()
	next := int64(upd["update_id"].(float64)) + 1
	for upds = nil; len(upds) == 0; {
		upds = poll(itoa(next))
	}
	cq := upds[0].(map[string]any)["callback_query"].(map[string]any)
	if cq["data"] != "start|go" {
		t.Fatalf("callback %v", cq)
	}
	mid := cq["message"].(map[string]any)["message_id"]
	call("editMessageReplyMarkup", map[string]any{"chat_id": 42, "message_id": mid,
		"reply_markup": map[string]any{"inline_keyboard": []any{}}})
	call("sendMessage", url.Values{"chat_id": {"42"}, "text": {"注册须知"}}) // forms still work
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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
