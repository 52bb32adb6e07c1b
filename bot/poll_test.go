package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/go-telegram/bot/models"
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
