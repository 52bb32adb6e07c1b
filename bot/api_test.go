package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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
				{Text: "edited", EditMessageID: in.MessageID}, {Text: "Why?", ForceReply: true}}, nil
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
	if err := b.call(context.Background(), "sendChatAction",
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

// errorKind names how callers classify a Bot API error.
func errorKind(err error) string {
	var tmr *tgbot.TooManyRequestsError
	var mig *tgbot.MigrateError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &tmr):
		return fmt.Sprint("429 retry_after ", tmr.RetryAfter)
	case errors.As(err, &mig):
		return fmt.Sprint("migrate ", mig.MigrateToChatID)
	case errors.Is(err, tgbot.ErrorBadRequest):
		return "bad request"
	case errors.Is(err, tgbot.ErrorForbidden):
		return "forbidden"
	case errors.Is(err, tgbot.ErrorUnauthorized):
		return "unauthorized"
	case errors.Is(err, tgbot.ErrorNotFound):
		return "not found"
	case errors.Is(err, tgbot.ErrorConflict):
		return "conflict"
	}
	return "other"
}

// TestCallErrorsAsGoTelegram answers the same canned bodies to
// go-telegram/bot and to call: both must classify them alike (the same
// sentinels and types, with the same texts, which isNotModified reads),
// whatever the HTTP status says.
func TestCallErrorsAsGoTelegram(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"ok", 200, `{"ok":true,"result":{"message_id":42,"date":1,"chat":{"id":501,"type":"private"},"text":"x"}}`, "ok"},
		{"blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, "forbidden"},
		{"not modified", 400, `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}`, "bad request"},
		{"migrated", 400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}`, "migrate -1001234"},
		{"rate limited", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`, "429 retry_after 7"},
		{"unauthorized", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, "unauthorized"},
		{"not found", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`, "not found"},
		{"conflict", 409, `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request"}`, "conflict"},
		{"server error", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, "other"},
		{"body decides, not status", 502, `{"ok":false,"error_code":403,"description":"Forbidden: user is deactivated"}`, "forbidden"},
		{"proxy page", 502, `<html><body>502 Bad Gateway</body></html>`, "other"},
		{"cut short", 200, `{"ok":true,"result":{"message_id":4`, "other"},
		{"empty", 200, ``, "other"},
		{"result of the wrong type", 200, `{"ok":true,"result":true}`, "other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			}))
			defer srv.Close()
			const token = "123:SECRET-token"
			b, err := New(token, newEngine(), WithServerURL(srv.URL), WithSkipGetMe(),
				WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			p := &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}
			_, old := b.tg.SendMessage(ctx, p)
			var m sentMessage
			err = b.call(ctx, "sendMessage", p, &m)
			if got := errorKind(err); got != c.want {
				t.Errorf("call: %s (%v), want %s", got, err, c.want)
			}
			if got := errorKind(old); got != c.want {
				t.Errorf("go-telegram: %s (%v), want %s", got, old, c.want)
			}
			if c.want != "other" && c.want != "ok" && err.Error() != old.Error() {
				t.Errorf("text %q, go-telegram's %q", err, old)
			}
			if c.want == "ok" && m.ID != 42 {
				t.Errorf("message_id = %d", m.ID)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("token in %q", err)
			}
		})
	}
}

// TestCallKeepsTokenOut: a failed request's error names the method, never
// the token (the URL is /bot<token>/method), and keeps its kind.
func TestCallKeepsTokenOut(t *testing.T) {
	const token = "123:SECRET-token"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close() // refused from now on

	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)

	for _, c := range []struct {
		name, url string
		timeout   time.Duration
		is        error
	}{
		{"connection refused", closedURL, time.Minute, nil},
		{"deadline", slow.URL, 50 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := New(token, newEngine(), WithServerURL(c.url), WithSkipGetMe(),
				WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			err = b.call(ctx, "sendMessage", &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}, nil)
			switch {
			case err == nil:
				t.Fatal("no error")
			case strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "SECRET"):
				t.Errorf("token in %q", err)
			case !strings.HasPrefix(err.Error(), "sendMessage: "):
				t.Errorf("err = %v, want it to name the method", err)
			case c.is != nil && !errors.Is(err, c.is):
				t.Errorf("err = %v, want %v", err, c.is)
			}
		})
	}
}

// TestCallsConcurrently: pooled buffers are not shared between calls in
// flight (run with -race): every message arrives with its own text.
func TestCallsConcurrently(t *testing.T) {
	s := telegramtest.New(t)
	b, _ := newBot(t, s, newEngine(), WithSkipGetMe())
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				text := fmt.Sprintf("worker %d message %d %s", w, i, strings.Repeat("字", 10*i))
				if _, err := b.sendMessage(context.Background(), alice.ID, conversation.Reply{Text: text}, false, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, c := range s.Calls("sendMessage") {
		seen[c.Fields["text"]] = true
	}
	for w := range workers {
		for i := range each {
			if text := fmt.Sprintf("worker %d message %d %s", w, i, strings.Repeat("字", 10*i)); !seen[text] {
				t.Errorf("%q never arrived", text)
			}
		}
	}
}

// TestAnswerDecodesIntoTheCallersResult: encoding/json decodes an answer's
// result into what answer.Result points to, and leaves a discarded one
// undecoded rather than building a generic map of it.
func TestAnswerDecodesIntoTheCallersResult(t *testing.T) {
	body := []byte(`{"ok":true,"result":{"message_id":7,"text":"x","chat":{"id":1,"type":"private"}}}`)
	var m sentMessage
	a := newAnswer(&m)
	if err := json.Unmarshal(body, &a); err != nil || m.ID != 7 {
		t.Errorf("message_id = %d, %v", m.ID, err)
	}
	a = newAnswer(nil)
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Result.(*discard); !ok {
		t.Errorf("discarded result decoded as %T", a.Result)
	}
}
