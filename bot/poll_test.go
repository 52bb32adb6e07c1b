package bot

import (
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
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			var r struct {
				Result []json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
			for _, raw := range r.Result {
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
	})
}
