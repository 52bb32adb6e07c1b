package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// jsonBody decodes a recorded call's JSON body; it fails the test if the
// call was not sent as JSON.
func jsonBody(t *testing.T, c telegramtest.Call) map[string]any {
	t.Helper()
	if c.JSON == nil {
		t.Fatalf("%s was not sent as JSON: %+v", c.Method, c.Fields)
	}
	var m map[string]any
	if err := json.Unmarshal(c.JSON, &m); err != nil {
		t.Fatalf("%s: %v", c.Method, err)
	}
	return m
}

// TestHotCallsAreJSON follows one text and one button press through the
// bot and checks the JSON each hot method sends: numbers as numbers,
// reply_markup and reply_parameters as objects, nothing else.
func TestHotCallsAreJSON(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.Kind == conversation.InputButton {
			return []conversation.Reply{{Toast: "saved"}, {ClearButtonsOf: in.MessageID},
				{Text: "edited", EditMessageID: in.MessageID}, {Text: "Why?", ForceReply: true, ReplyTo: in.MessageID}}, nil
		}
		return []conversation.Reply{{DeleteMessageID: in.MessageID},
			{Text: "Pick <one>", Buttons: [][]conversation.Button{{{Text: "A", Data: "s|a"}, {Text: "B", Data: "s|b"}}}}}, nil
	}
	b, _ := startBot(t, s, eng)
	upd := s.SendText(alice, "secret")
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok }) {
		t.Fatal("no question")
	}
	q, _ := s.LastMessage(alice.ID)
	s.Press(alice, q.ID, "s|a")
	if !s.WaitFor(wait, func() bool { return len(s.Calls("sendMessage")) == 2 }) {
		t.Fatalf("no answer to the press: %+v", s.Calls(""))
	}
	// A chat action is sent only after typingDelay: called directly.
	if err := b.api.Call(context.Background(), "sendChatAction",
		&tgbot.SendChatActionParams{ChatID: alice.ID, Action: models.ChatActionTyping}, nil); err != nil {
		t.Fatal(err)
	}

	chat, userMsg := float64(alice.ID), float64(s.UserMessageID(upd))
	button := func(c telegramtest.Call) string { // the signed data of the first button
		kb := jsonBody(t, c)["reply_markup"].(map[string]any)["inline_keyboard"].([]any)
		return kb[0].([]any)[0].(map[string]any)["callback_data"].(string)
	}
	sends := s.Calls("sendMessage")
	cbID := ""
	for _, c := range s.Calls("answerCallbackQuery") {
		cbID = c.Fields["callback_query_id"]
	}
	want := map[string][]map[string]any{
		"deleteMessage": {{"chat_id": chat, "message_id": userMsg}},
		"sendMessage": {
			{"chat_id": chat, "text": "Pick <one>", "reply_markup": map[string]any{"inline_keyboard": []any{[]any{
				map[string]any{"text": "A", "callback_data": button(sends[0]), "copy_text": map[string]any{"text": ""}},
				map[string]any{"text": "B", "callback_data": strings.Replace(button(sends[0]), "|a", "|b", 1),
					"copy_text": map[string]any{"text": ""}}}}}},
			{"chat_id": chat, "text": "Why?", "reply_markup": map[string]any{"force_reply": true},
				"reply_parameters": map[string]any{"message_id": float64(q.ID), "allow_sending_without_reply": true}},
		},
		"answerCallbackQuery":    {{"callback_query_id": cbID, "text": "saved"}},
		"editMessageReplyMarkup": {{"chat_id": chat, "message_id": float64(q.ID), "reply_markup": map[string]any{"inline_keyboard": []any{}}}},
		"editMessageText":        {{"chat_id": chat, "message_id": float64(q.ID), "text": "edited"}},
		"sendChatAction":         {{"chat_id": chat, "action": "typing"}},
	}
	for method, bodies := range want {
		calls := s.Calls(method)
		if len(calls) != len(bodies) {
			t.Errorf("%s: %d calls, want %d: %+v", method, len(calls), len(bodies), calls)
			continue
		}
		for i, c := range calls {
			if c.ErrorCode != 0 {
				t.Errorf("%s refused: %d", method, c.ErrorCode)
			}
			if diff := cmp.Diff(bodies[i], jsonBody(t, c)); diff != "" {
				t.Errorf("%s body (-want +got):\n%s", method, diff)
			}
		}
	}
	if cbID == "" || !strings.HasPrefix(button(sends[0]), "s|a") {
		t.Errorf("callback id %q, button data %q", cbID, button(sends[0]))
	}
	if m, _ := s.LastMessage(alice.ID); m.Text != "Why?" || m.ReplyTo != q.ID {
		t.Errorf("last message %+v", m)
	}
}

// TestSendMessageReturnsMessageID: the id sendMessage returns is the one
// Telegram gave the message (a document replies to it).
func TestSendMessageReturnsMessageID(t *testing.T) {
	s := telegramtest.New(t)
	b, _ := newBot(t, s, newEngine(), WithSkipGetMe())
	ctx := context.Background()
	for want := 1; want <= 3; want++ {
		id, err := b.sendMessage(ctx, alice.ID, conversation.Reply{Text: fmt.Sprint("m", want)}, false, 0)
		if err != nil || id != want {
			t.Fatalf("sendMessage = %d, %v; want %d", id, err, want)
		}
	}
}
