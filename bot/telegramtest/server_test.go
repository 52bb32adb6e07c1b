package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"
)

const wait = 5 * time.Second

var alice = Chat{ID: 501, UserID: 501, FirstName: "Alice", LanguageCode: "zh-hans"}

func newClient(t *testing.T, s *Server, opts ...tgbot.Option) *tgbot.Bot {
	t.Helper()
	opts = append([]tgbot.Option{tgbot.WithServerURL(s.URL()), tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(err error) { t.Logf("client: %v", err) }),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {})}, opts...)
	b, err := tgbot.New(s.Token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post calls a method with a multipart form, as go-telegram/bot does.
func post(t *testing.T, s *Server, method string, fields map[string]string) (json.RawMessage, error) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	mw.Close()
	resp, err := http.Post(s.URL()+"/bot"+s.Token+"/"+method, mw.FormDataContentType(), &body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if !r.OK {
		return nil, errors.New(r.Description)
	}
	return r.Result, nil
}

func TestLongPollDeliversToClient(t *testing.T) {
	s := New(t)
	got := make(chan *models.Update, 1)
	b := newClient(t, s, tgbot.WithDefaultHandler(func(_ context.Context, _ *tgbot.Bot, u *models.Update) {
		got <- u
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	id := s.SendText(alice, "/start@"+BotUsername+" hello")
	select {
	case u := <-got:
		if u.ID != id || u.Message == nil {
			t.Fatalf("update = %+v, want id %d with a message", u, id)
		}
		m := u.Message
		if m.Text != "/start@"+BotUsername+" hello" || m.Chat.ID != alice.ID || m.Chat.Type != "private" ||
			m.From == nil || m.From.ID != alice.UserID || m.From.LanguageCode != "zh-hans" {
			t.Errorf("message = %+v", m)
		}
		want := []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: len("/start@" + BotUsername)}}
		if diff := cmp.Diff(want, m.Entities); diff != "" {
			t.Errorf("entities (-want +got):\n%s", diff)
		}
		if m.ID != s.UserMessageID(id) {
			t.Errorf("message id %d, server says %d", m.ID, s.UserMessageID(id))
		}
	case <-time.After(wait):
		t.Fatal("no update delivered")
	}
	if !s.WaitConfirmed(id, wait) {
		t.Error("update not confirmed")
	}
}

func TestGetUpdatesBlocksUntilQueued(t *testing.T) {
	s := New(t)
	type result struct {
		raw json.RawMessage
		err error
	}
	res := make(chan result, 1)
	go func() {
		raw, err := post(t, s, "getUpdates", map[string]string{"timeout": "30"})
		res <- result{raw, err}
	}()
	if !s.WaitFor(wait, func() bool { return len(s.Calls("getUpdates")) == 1 }) {
		t.Fatal("getUpdates not called")
	}
	// Queued after the poll started: only a blocking poll can return it.
	id := s.SendText(alice, "hi")
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	var ups []struct {
		UpdateID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(r.raw, &ups); err != nil || len(ups) != 1 || ups[0].UpdateID != id {
		t.Fatalf("getUpdates = %s (%v), want update %d", r.raw, err, id)
	}
}

func TestGetUpdatesTimeoutAndOffset(t *testing.T) {
	s := New(t)
	raw, err := post(t, s, "getUpdates", map[string]string{"timeout": "0"})
	if err != nil || string(raw) != "[]" {
		t.Fatalf("empty poll = %s, %v", raw, err)
	}
	id1 := s.SendText(alice, "one")
	id2 := s.SendText(alice, "two")
	raw, _ = post(t, s, "getUpdates", map[string]string{"offset": itoa(id2)})
	if n := countUpdates(t, raw); n != 1 {
		t.Fatalf("offset %d gave %d updates", id2, n)
	}
	// id1 is confirmed now; a redelivered copy still comes once.
	s.Redeliver(id1)
	raw, _ = post(t, s, "getUpdates", map[string]string{"offset": itoa(id2 + 1)})
	var ups []struct {
		UpdateID int64 `json:"update_id"`
		Message  struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	_ = json.Unmarshal(raw, &ups)
	if len(ups) != 1 || ups[0].UpdateID != id1 || ups[0].Message.Text != "one" {
		t.Fatalf("redelivery = %s", raw)
	}
	raw, _ = post(t, s, "getUpdates", map[string]string{"offset": itoa(id2 + 1)})
	if n := countUpdates(t, raw); n != 0 {
		t.Fatalf("copy delivered twice: %s", raw)
	}
}

func countUpdates(t *testing.T, raw json.RawMessage) int {
	t.Helper()
	var ups []json.RawMessage
	if err := json.Unmarshal(raw, &ups); err != nil {
		t.Fatal(err)
	}
	return len(ups)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSendEditDelete(t *testing.T) {
	s := New(t)
	b := newClient(t, s)
	ctx := context.Background()
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
		{{Text: "Yes", CallbackData: "y"}, {Text: "No", CallbackData: "n"}},
	}}
	m, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "Sure?", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 1 || m.Chat.ID != alice.ID || m.Text != "Sure?" || m.ReplyMarkup == nil ||
		len(m.ReplyMarkup.InlineKeyboard[0]) != 2 || m.From == nil || m.From.ID != BotID {
		t.Errorf("sendMessage result = %+v", m)
	}
	calls := s.Calls("sendMessage")
	if len(calls) != 1 || calls[0].Fields["chat_id"] != "501" || calls[0].Fields["text"] != "Sure?" {
		t.Fatalf("calls = %+v", calls)
	}

	_, err = b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "Sure?", ReplyMarkup: kb})
	if !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("identical edit: err = %v, want bad request (not modified)", err)
	}
	if _, err := b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: alice.ID, MessageID: m.ID, Text: "Done"}); err != nil {
		t.Fatal(err)
	}
	want := []Message{{ID: 1, ChatID: alice.ID, Text: "Done", Edited: true}}
	if diff := cmp.Diff(want, s.Messages(alice.ID)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}

	if _, err := b.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: alice.ID, MessageID: m.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: alice.ID, MessageID: m.ID}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("second delete: err = %v", err)
	}
	if got := s.Deleted(alice.ID); !cmp.Equal(got, []int{1}) {
		t.Errorf("Deleted = %v", got)
	}
	if _, ok := s.LastMessage(alice.ID); ok {
		t.Error("LastMessage found a deleted message")
	}
}

func TestFileRoundTrip(t *testing.T) {
	s := New(t)
	b := newClient(t, s)
	ctx := context.Background()
	data := []byte("%PDF-1.4 fake\n%%EOF\n")
	id := s.SendDocument(alice, "licence.PDF", "application/pdf", data)
	raw, err := post(t, s, "getUpdates", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ups []models.Update
	if err := json.Unmarshal(raw, &ups); err != nil || len(ups) != 1 || ups[0].ID != id || ups[0].Message.Document == nil {
		t.Fatalf("updates = %s (%v)", raw, err)
	}
	doc := ups[0].Message.Document
	if doc.FileName != "licence.PDF" || doc.MimeType != "application/pdf" || doc.FileSize != int64(len(data)) || doc.FileUniqueID == "" {
		t.Errorf("document = %+v", doc)
	}

	f, err := b.GetFile(ctx, &tgbot.GetFileParams{FileID: doc.FileID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(b.FileDownloadLink(f))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("downloaded %q, want %q", got, data)
	}
	if _, err := b.GetFile(ctx, &tgbot.GetFileParams{FileID: "nope"}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("unknown file: err = %v", err)
	}

	// Sending by file_id and by upload.
	if _, err := b.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: alice.ID, Document: &models.InputFileString{Data: doc.FileID}, Caption: "again"}); err != nil {
		t.Fatal(err)
	}
	up := []byte("%PDF-1.7 other")
	if _, err := b.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: alice.ID, Document: &models.InputFileUpload{Filename: "x.pdf", Data: bytes.NewReader(up)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: alice.ID, Document: &models.InputFileString{Data: "unknown"}}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("unknown file_id: err = %v", err)
	}
	msgs := s.Messages(alice.ID)
	if len(msgs) != 2 || msgs[0].Document.FileID != doc.FileID || msgs[0].Text != "again" ||
		!bytes.Equal(msgs[1].Document.Data, up) || msgs[1].Document.FileName != "x.pdf" || msgs[1].Document.MIMEType != "application/pdf" {
		t.Errorf("messages = %+v", msgs)
	}
	calls := s.Calls("sendDocument")
	if len(calls) != 3 || !bytes.Equal(calls[1].Files["document"].Data, up) || calls[2].ErrorCode != 400 {
		t.Errorf("sendDocument calls = %+v", calls)
	}
}

func TestCallbackAndReply(t *testing.T) {
	s := New(t)
	b := newClient(t, s)
	ctx := context.Background()
	group := Chat{ID: -1001, UserID: 77, Type: "supergroup", FirstName: "Rita", LastName: "Reviewer"}
	m, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: group.ID, Text: "Application #R1.1.1",
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "OK", CallbackData: "rv|a"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Press(group, m.ID, "rv|a")
	s.Press(group, 999, "old")
	s.ReplyTo(group, m.ID, "reason")
	raw, _ := post(t, s, "getUpdates", nil)
	var ups []models.Update
	if err := json.Unmarshal(raw, &ups); err != nil || len(ups) != 3 {
		t.Fatalf("updates = %s (%v)", raw, err)
	}
	cq := ups[0].CallbackQuery
	if cq == nil || cq.Data != "rv|a" || cq.From.ID != 77 || cq.Message.Message == nil ||
		cq.Message.Message.ID != m.ID || cq.Message.Message.Chat.ID != group.ID || cq.Message.Message.Text != "Application #R1.1.1" {
		t.Fatalf("callback = %+v", cq)
	}
	if old := ups[1].CallbackQuery; old == nil || old.Message.Message != nil || old.Message.InaccessibleMessage == nil ||
		old.Message.InaccessibleMessage.MessageID != 999 {
		t.Errorf("inaccessible callback = %+v", old)
	}
	if r := ups[2].Message; r == nil || r.ReplyToMessage == nil || r.ReplyToMessage.ID != m.ID ||
		r.ReplyToMessage.Text != "Application #R1.1.1" || r.ReplyToMessage.From.ID != BotID {
		t.Errorf("reply = %+v", r)
	}

	if _, err := b.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: "ok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("second answer: err = %v", err)
	}
}

func TestErrorsAndFaults(t *testing.T) {
	s := New(t)
	b := newClient(t, s)
	ctx := context.Background()
	if _, err := b.Close(ctx); !errors.Is(err, tgbot.ErrorNotFound) { // "close" is not implemented
		t.Errorf("unknown method: err = %v", err)
	}
	s.FailNext("sendMessage", 1, 429, 3)
	_, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"})
	var tmr *tgbot.TooManyRequestsError
	if !errors.As(err, &tmr) || tmr.RetryAfter != 3 {
		t.Fatalf("err = %v, want 429 retry after 3", err)
	}
	if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	if calls := s.Calls("sendMessage"); len(calls) != 2 || calls[0].ErrorCode != 429 || calls[1].ErrorCode != 0 {
		t.Errorf("calls = %+v", calls)
	}
	bad := map[string]*tgbot.SendMessageParams{
		"empty text":     {ChatID: alice.ID, Text: " "},
		"long callback":  {ChatID: alice.ID, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "b", CallbackData: string(make([]byte, 65))}}}}},
		"text-only btn":  {ChatID: alice.ID, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "b"}}}}},
		"too long":       {ChatID: alice.ID, Text: string(bytes.Repeat([]byte("字"), 4097))},
		"missing chat":   {Text: "x"},
		"bad parse mode": {ChatID: alice.ID, Text: "x", ParseMode: "Bogus"},
	}
	for name, p := range bad {
		if _, err := b.SendMessage(ctx, p); !errors.Is(err, tgbot.ErrorBadRequest) {
			t.Errorf("%s: err = %v, want bad request", name, err)
		}
	}
	other, err := tgbot.New("1:wrong", tgbot.WithServerURL(s.URL()), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetMe(ctx); !errors.Is(err, tgbot.ErrorUnauthorized) {
		t.Errorf("wrong token: err = %v", err)
	}
	me, err := b.GetMe(ctx)
	if err != nil || me.ID != BotID || me.Username != BotUsername || !me.IsBot {
		t.Errorf("getMe = %+v, %v", me, err)
	}
}

// postJSON calls a method with a JSON body, as the Bot API allows and
// regbot's own calls do. It returns the answer's result, or its error code.
func postJSON(t *testing.T, s *Server, method, body string) (json.RawMessage, int) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/bot"+s.Token+"/"+method, "application/json; charset=utf-8", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		OK        bool            `json:"ok"`
		Result    json.RawMessage `json:"result"`
		ErrorCode int             `json:"error_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if !r.OK && r.ErrorCode == 0 {
		t.Fatalf("%s: not ok without an error code", method)
	}
	return r.Result, r.ErrorCode
}

// TestJSONBodies: a JSON body is read like a multipart form: numbers and
// objects (reply_markup, reply_parameters) as members, not strings, and
// both encodings leave the same messages. Bodies that are not a JSON
// object are refused with 400.
func TestJSONBodies(t *testing.T) {
	s := New(t)
	res, code := postJSON(t, s, "sendMessage", `{"chat_id":501,"text":"<b>Sure?</b>","parse_mode":"HTML",`+
		`"reply_markup":{"inline_keyboard":[[{"text":"Yes","callback_data":"y"}]]}}`)
	var m struct {
		ID   int `json:"message_id"`
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
		ReplyMarkup json.RawMessage `json:"reply_markup"`
	}
	if err := json.Unmarshal(res, &m); code != 0 || err != nil || m.ID != 1 || m.Chat.ID != alice.ID {
		t.Fatalf("sendMessage = %s, %d, %v", res, code, err)
	}
	if want := `{"inline_keyboard":[[{"text":"Yes","callback_data":"y"}]]}`; string(m.ReplyMarkup) != want {
		t.Errorf("echoed reply_markup = %s, want %s", m.ReplyMarkup, want)
	}
	c := s.Calls("sendMessage")[0]
	if c.Fields["chat_id"] != "501" || c.Fields["text"] != "<b>Sure?</b>" || c.Fields["parse_mode"] != "HTML" ||
		c.JSON == nil || !bytes.Contains(c.JSON, []byte(`"chat_id":501`)) {
		t.Errorf("recorded call = %+v", c)
	}
	if msgs := s.Messages(alice.ID); len(msgs) != 1 || len(msgs[0].Buttons) != 1 || msgs[0].Buttons[0][0].Data != "y" {
		t.Errorf("messages = %+v", msgs)
	}
	if _, code := postJSON(t, s, "sendMessage", `{"chat_id":501,"text":"re","reply_parameters":{"message_id":1}}`); code != 0 {
		t.Errorf("reply: error %d", code)
	}
	if got, _ := s.LastMessage(alice.ID); got.ReplyTo != 1 {
		t.Errorf("reply_parameters ignored: %+v", got)
	}
	if _, code := postJSON(t, s, "editMessageReplyMarkup", `{"chat_id":501,"message_id":1,"reply_markup":{"inline_keyboard":[]}}`); code != 0 {
		t.Errorf("editMessageReplyMarkup: error %d", code)
	}
	if _, code := postJSON(t, s, "deleteMessage", `{"chat_id":501,"message_id":2}`); code != 0 {
		t.Errorf("deleteMessage: error %d", code)
	}
	if _, code := postJSON(t, s, "sendChatAction", `{"chat_id":501,"action":"typing"}`); code != 0 {
		t.Errorf("sendChatAction: error %d", code)
	}
	want := []Message{
		{ID: 1, ChatID: alice.ID, Text: "<b>Sure?</b>", ReplyMarkup: `{"inline_keyboard":[]}`, Edited: true},
		{ID: 2, ChatID: alice.ID, Text: "re", ReplyTo: 1, Deleted: true},
	}
	if diff := cmp.Diff(want, s.Messages(alice.ID)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	for _, body := range []string{`{"chat_id":501,"text":`, `[1]`, `null`, ``} {
		if _, code := postJSON(t, s, "sendMessage", body); code != http.StatusBadRequest {
			t.Errorf("body %q: error %d, want 400", body, code)
		}
	}
}

// The Bot API writes update_id first; the bot's poller reads it from
// there, and falls back to decoding the whole update otherwise.
func TestUpdatesBeginWithTheirID(t *testing.T) {
	s := New(t)
	msg := s.SendText(alice, "hi")
	s.Press(alice, 1, "x")
	raw, err := post(t, s, "getUpdates", map[string]string{"timeout": "0"})
	if err != nil {
		t.Fatal(err)
	}
	var ups []json.RawMessage
	if err := json.Unmarshal(raw, &ups); err != nil || len(ups) != 2 {
		t.Fatalf("getUpdates = %s (%v)", raw, err)
	}
	for i, u := range ups {
		want := `{"update_id":` + itoa(msg+int64(i)) + `,`
		if !strings.HasPrefix(string(u), want) {
			t.Errorf("update %d = %.60s…, want it to begin with %s", i, u, want)
		}
		var v map[string]any
		if err := json.Unmarshal(u, &v); err != nil || len(v) != 2 {
			t.Errorf("update %d = %s (%v), want update_id and one more field", i, u, err)
		}
	}
}
