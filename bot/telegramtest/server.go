// Package telegramtest is a fake Telegram Bot API server for tests. It
// takes requests on POST /bot<token>/<method> the ways the Bot API does:
// multipart/form-data as github.com/go-telegram/bot sends it (param-less
// methods send an empty body; reply_markup is a JSON string field), a
// JSON object (as regbot's own calls send it; reply_markup an object,
// chat_id a number), URL-encoded forms or the query string. Files are
// downloaded from /file/bot<token>/<file_path>, and answers are
// {"ok":true,"result":…} or {"ok":false,"error_code":…,"description":…}.
//
// Tests act as users (SendText, Press, SendDocument, …), which queues
// updates for getUpdates, and inspect what the bot did (Calls, Messages,
// Deleted). WaitFor re-evaluates a condition whenever the server records
// something, so tests synchronise without sleeping.
//
// Implemented methods: getMe, setWebhook, deleteWebhook, setMyCommands, getUpdates,
// sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
// deleteMessage, getFile, sendDocument, sendChatAction, getChatMember.
// Others answer 404. sendMessage and sendDocument honour reply_parameters.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BotID and BotUsername identify the fake's bot (getMe, and the sender of
// the bot's messages). The token starts with BotID, as real tokens do.
const (
	BotID       = 7000001
	BotUsername = "regbot_test_bot"
)

// Limits the fake enforces like the real API.
const (
	maxTextLen     = 4096     // UTF-16 units
	maxCaptionLen  = 1024     // UTF-16 units
	maxToastLen    = 200      // characters
	maxCallbackLen = 64       // bytes
	maxGetFileSize = 20 << 20 // getFile refuses bigger files
)

// Chat is a chat as seen from the user's side. For a private chat ID is
// normally UserID; for a group UserID is the member who acts.
type Chat struct {
	ID           int64
	UserID       int64
	Type         string // "private" (default) or "supergroup", "group"
	FirstName    string
	LastName     string // optional
	Username     string // optional
	LanguageCode string // optional, sent as from.language_code
	Title        string // optional, group title
}

// Call is one recorded request.
type Call struct {
	Method string
	Fields map[string]string
	Files  map[string]File // uploaded files by form field
	// JSON is the body of a request sent as application/json, nil for
	// the other encodings. Fields holds its members too: strings as
	// they are, other values as their JSON text.
	JSON      json.RawMessage
	ErrorCode int       // 0 if the call succeeded
	At        time.Time // when the server answered it
}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// Button is an inline keyboard button.
type Button struct {
	Text string
	Data string
}

// Document is a document the bot sent.
type Document struct {
	FileID   string
	FileName string
	MIMEType string
	Data     []byte // the content, for uploads and stored files
}

// Message is a message the bot sent, as it currently is.
type Message struct {
	ID          int
	ChatID      int64
	Text        string     // text, or a document's caption
	Buttons     [][]Button // inline keyboard, nil if none
	ReplyMarkup string     // reply_markup as the bot last sent it (JSON), "" if none
	Document    *Document
	ReplyTo     int // the message this one replies to, 0 if none
	Edited      bool
	Deleted     bool
}

func (m Message) markup() wireMarkup {
	var mk wireMarkup
	_ = json.Unmarshal([]byte(m.ReplyMarkup), &mk)
	return mk
}

// RequestsContact reports whether the message offers a reply keyboard with
// a "share contact" button.
func (m Message) RequestsContact() bool {
	for _, row := range m.markup().Keyboard {
		for _, b := range row {
			if b.RequestContact {
				return true
			}
		}
	}
	return false
}

// ForcesReply reports whether the message carries a ForceReply markup.
func (m Message) ForcesReply() bool { return m.markup().ForceReply }

// RemovesKeyboard reports whether the message removes the reply keyboard.
func (m Message) RemovesKeyboard() bool { return m.markup().RemoveKeyboard }

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	// Token is the bot token the server accepts.
	Token string

	srv    *httptest.Server
	closed chan struct{}

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever something is recorded
	nextUpd   int64
	queue     []*queued
	raw       map[int64][]byte // every update ever queued, for Redeliver
	updMsg    map[int64]int    // update → the user's message id
	offset    int64            // highest offset a getUpdates asked for
	chats     map[int64]*chatState
	files     map[string]*storedFile
	byPath    map[string]*storedFile
	nextFile  int
	nextCB    int
	callbacks map[string]bool   // callback query id → answered
	answers   map[string]string // callback query id → the answer's text
	updCB     map[int64]string  // update → its callback query id
	calls     []Call
	faults    map[string][]fault
	members   map[[2]int64]string // {chat, user} → getChatMember status
	hookURL   string              // setWebhook's url; "" when none is set
	hookToken string              // setWebhook's secret_token
}

type queued struct {
	id        int64
	kind      string // "message", "callback_query"
	raw       []byte
	forced    bool // a redelivered copy: delivered whatever the offset
	delivered bool
}

type chatState struct {
	chat   Chat
	nextID int
	msgs   map[int]*message
	order  []int
}

type message struct {
	w       *wireMessage
	fromBot bool
	markup  string // as sent
	doc     *storedFile
	edited  bool
	deleted bool
}

type storedFile struct {
	id, uniqueID, path, name, mime string
	data                           []byte
}

type fault struct {
	code, retryAfter int
	chatID           int64 // 0: any chat
}

// apiError is an error answer.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func badRequest(desc string) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + desc}
}

// New starts a server; it is closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		Token:     fmt.Sprintf("%d:TEST-%x", BotID, time.Now().UnixNano()),
		closed:    make(chan struct{}),
		changed:   make(chan struct{}),
		raw:       map[int64][]byte{},
		updMsg:    map[int64]int{},
		chats:     map[int64]*chatState{},
		files:     map[string]*storedFile{},
		byPath:    map[string]*storedFile{},
		callbacks: map[string]bool{},
		answers:   map[string]string{},
		updCB:     map[int64]string{},
		faults:    map[string][]fault{},
		members:   map[[2]int64]string{},
		nextUpd:   100,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	tb.Cleanup(func() {
		close(s.closed) // ends pending long polls, or Close would wait for them
		s.srv.Close()
	})
	return s
}

// URL is the server's base URL, for the client's server URL option.
func (s *Server) URL() string { return s.srv.URL }

// bump wakes WaitFor and long polls. s.mu must be held.
func (s *Server) bump() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// --- user side

func (s *Server) chatLocked(c Chat) *chatState {
	if c.Type == "" {
		c.Type = "private"
	}
	if c.UserID == 0 && c.Type == "private" {
		c.UserID = c.ID
	}
	if c.FirstName == "" {
		c.FirstName = "Test"
	}
	cs := s.chats[c.ID]
	if cs == nil {
		cs = &chatState{msgs: map[int]*message{}}
		s.chats[c.ID] = cs
	}
	cs.chat = c
	return cs
}

// knownChat returns the chat's state, creating it for a chat the bot
// writes to first (negative ids are groups, as in Telegram).
func (s *Server) knownChat(id int64) *chatState {
	if cs := s.chats[id]; cs != nil {
		return cs
	}
	c := Chat{ID: id, Type: "private"}
	if id < 0 {
		c.Type = "supergroup"
	}
	return s.chatLocked(c)
}

func (cs *chatState) wireChat() wireChat {
	c := cs.chat
	w := wireChat{ID: c.ID, Type: c.Type}
	if c.Type == "private" {
		w.FirstName, w.LastName, w.Username = c.FirstName, c.LastName, c.Username
	} else {
		w.Title = c.Title
		if w.Title == "" {
			w.Title = "Test group"
		}
	}
	return w
}

func (cs *chatState) user() wireUser {
	c := cs.chat
	return wireUser{ID: c.UserID, FirstName: c.FirstName, LastName: c.LastName,
		Username: c.Username, LanguageCode: c.LanguageCode}
}

func botUser() *wireUser {
	return &wireUser{ID: BotID, IsBot: true, FirstName: "RegBot Test", Username: BotUsername}
}

func (cs *chatState) add(m *message) {
	cs.nextID++
	m.w.MessageID = cs.nextID
	m.w.Chat = cs.wireChat()
	m.w.Date = time.Now().Unix()
	cs.msgs[cs.nextID] = m
	cs.order = append(cs.order, cs.nextID)
}

func (s *Server) userMessage(c Chat, fill func(cs *chatState, w *wireMessage)) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(c)
	u := cs.user()
	m := &message{w: &wireMessage{From: &u}}
	fill(cs, m.w)
	cs.add(m)
	id := s.enqueueLocked("message", map[string]any{"message": m.w})
	s.updMsg[id] = m.w.MessageID
	return id
}

func (s *Server) enqueueLocked(kind string, body map[string]any) int64 {
	s.nextUpd++
	id := s.nextUpd
	body["update_id"] = id
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	s.raw[id] = raw
	s.queue = append(s.queue, &queued{id: id, kind: kind, raw: raw})
	s.bump()
	return id
}

// SendText queues a text message from the chat's user. A text starting
// with "/" carries a bot_command entity at offset 0, as Telegram sends it.
func (s *Server) SendText(chat Chat, text string) int64 {
	return s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		w.Text = text
		w.Entities = commandEntity(text)
	})
}

func commandEntity(text string) []wireEntity {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return nil
	}
	cmd, _, _ := strings.Cut(text, " ")
	return []wireEntity{{Type: "bot_command", Offset: 0, Length: utf16Len(cmd)}}
}

// ReplyTo queues a text message replying to message replyTo of the chat
// (normally one of the bot's).
func (s *Server) ReplyTo(chat Chat, replyTo int, text string) int64 {
	return s.userMessage(chat, func(cs *chatState, w *wireMessage) {
		w.Text = text
		w.Entities = commandEntity(text)
		if m := cs.msgs[replyTo]; m != nil && !m.deleted {
			cp := *m.w
			cp.ReplyTo = nil
			w.ReplyTo = &cp
		}
	})
}

// SendDocument queues a document from the chat's user and stores its
// content, so that getFile and the download work.
func (s *Server) SendDocument(chat Chat, name, mimeType string, data []byte) int64 {
	return s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		f := s.storeLocked("documents", name, mimeType, data)
		w.Document = &wireDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: name,
			MIMEType: mimeType, FileSize: int64(len(data))}
	})
}

// SendPhoto queues a photo (three sizes, smallest first) from the chat's user.
func (s *Server) SendPhoto(chat Chat) int64 {
	return s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		for i, side := range []int{90, 320, 1280} {
			f := s.storeLocked("photos", fmt.Sprintf("file_%d.jpg", i), "image/jpeg",
				append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, side)...))
			w.Photo = append(w.Photo, wirePhotoSize{FileID: f.id, FileUniqueID: f.uniqueID,
				Width: side, Height: side * 3 / 4, FileSize: int64(len(f.data))})
		}
	})
}

// SendSticker queues a sticker from the chat's user.
func (s *Server) SendSticker(chat Chat) int64 {
	return s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		f := s.storeLocked("stickers", "file.webp", "image/webp", []byte("RIFF0000WEBP"))
		w.Sticker = &wireSticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular",
			Width: 512, Height: 512, Emoji: "👍"}
	})
}

// SendContact queues a shared contact; userID is the contact's Telegram
// user (the sender's own id when they share their own number).
func (s *Server) SendContact(chat Chat, phone string, userID int64) int64 {
	return s.userMessage(chat, func(cs *chatState, w *wireMessage) {
		w.Contact = &wireContact{PhoneNumber: phone, FirstName: cs.chat.FirstName, UserID: userID}
	})
}

// Press queues a callback query: the chat's user pressed a button with
// data on message messageID. If the bot has no such message, the query
// carries an inaccessible message (date 0).
func (s *Server) Press(chat Chat, messageID int, data string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	s.nextCB++
	cq := wireCallbackQuery{
		ID:           fmt.Sprintf("cq%d", 4000000+s.nextCB),
		From:         cs.user(),
		ChatInstance: fmt.Sprintf("ci%d", chat.ID),
		Data:         data,
	}
	if m := cs.msgs[messageID]; m != nil && !m.deleted {
		cp := *m.w
		cq.Message = &cp
	} else {
		cq.Message = wireInaccessible{Chat: cs.wireChat(), MessageID: messageID}
	}
	s.callbacks[cq.ID] = false
	id := s.enqueueLocked("callback_query", map[string]any{"callback_query": cq})
	s.updCB[id] = cq.ID
	return id
}

// Answer returns the text the bot answered the callback query of update
// with (a toast; "" for none), and whether it has answered it.
func (s *Server) Answer(updateID int64) (text string, answered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.updCB[updateID]
	return s.answers[id], s.callbacks[id]
}

// Redeliver queues a copy of an earlier update with the same update id,
// as Telegram does when a bot did not confirm it. The copy is delivered
// once, whatever offset the client asks for.
func (s *Server) Redeliver(updateID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.raw[updateID]
	if !ok {
		panic(fmt.Sprintf("telegramtest: Redeliver: no update %d", updateID))
	}
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(raw, &probe)
	kind := "message"
	if _, ok := probe["callback_query"]; ok {
		kind = "callback_query"
	}
	s.queue = append(s.queue, &queued{id: updateID, kind: kind, raw: raw, forced: true})
	s.bump()
}

// UpdateJSON returns the JSON of an update queued earlier, e.g. to post
// it to a webhook handler (updates are queued for getUpdates either way).
func (s *Server) UpdateJSON(updateID int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.raw[updateID])
}

// Webhook returns the URL and secret token of the webhook set with
// setWebhook ("" when none is set, or after deleteWebhook).
func (s *Server) Webhook() (url, secretToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookURL, s.hookToken
}

// UserMessageID returns the message id the user's message of an update got
// (0 for a callback query).
func (s *Server) UserMessageID(updateID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updMsg[updateID]
}

// FailNext makes the next n calls of method fail with errorCode (429 with
// parameters.retry_after when retryAfter > 0).
func (s *Server) FailNext(method string, n, errorCode, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{code: errorCode, retryAfter: retryAfter})
	}
}

// FailNextIn is FailNext for the calls of method whose chat_id is chatID;
// calls to other chats are not affected.
func (s *Server) FailNextIn(method string, chatID int64, n, errorCode, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{code: errorCode, retryAfter: retryAfter, chatID: chatID})
	}
}

// SetMember sets what getChatMember answers for user in chat: "creator",
// "administrator", "member" (the default), "restricted", "left" or "kicked".
func (s *Server) SetMember(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[[2]int64{chatID, userID}] = status
}

// takeFault removes and returns the first injected fault that applies to
// a call of method with fields. s.mu must be held.
func (s *Server) takeFault(method string, fields map[string]string) (fault, bool) {
	for i, f := range s.faults[method] {
		if f.chatID == 0 || strconv.FormatInt(f.chatID, 10) == fields["chat_id"] {
			s.faults[method] = slices.Delete(s.faults[method], i, i+1)
			return f, true
		}
	}
	return fault{}, false
}

func (s *Server) storeLocked(dir, name, mimeType string, data []byte) *storedFile {
	s.nextFile++
	ext := strings.ToLower(path.Ext(name))
	f := &storedFile{
		id:       fmt.Sprintf("BQACAgIAAxkB%08d", s.nextFile),
		uniqueID: fmt.Sprintf("AgAD%08d", s.nextFile),
		path:     fmt.Sprintf("%s/file_%d%s", dir, s.nextFile, ext),
		name:     name,
		mime:     mimeType,
		data:     slices.Clone(data),
	}
	s.files[f.id] = f
	s.byPath[f.path] = f
	return f
}

// --- inspection

// Calls returns the recorded calls of method, oldest first; all calls if
// method is "". File downloads are recorded as method "downloadFile" with
// field "file_path".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (m *message) export(chatID int64) Message {
	out := Message{ID: m.w.MessageID, ChatID: chatID, Text: m.w.Text, ReplyMarkup: m.markup,
		Edited: m.edited, Deleted: m.deleted}
	if out.Text == "" {
		out.Text = m.w.Caption
	}
	if m.w.ReplyTo != nil {
		out.ReplyTo = m.w.ReplyTo.MessageID
	}
	var mk wireMarkup
	if json.Unmarshal([]byte(m.markup), &mk) == nil {
		for _, row := range mk.InlineKeyboard {
			var r []Button
			for _, b := range row {
				r = append(r, Button{Text: b.Text, Data: b.CallbackData})
			}
			out.Buttons = append(out.Buttons, r)
		}
	}
	if m.doc != nil {
		out.Document = &Document{FileID: m.doc.id, FileName: m.doc.name, MIMEType: m.doc.mime,
			Data: slices.Clone(m.doc.data)}
	}
	return out
}

// Messages returns the bot's messages in the chat in order, deleted ones
// included (flagged), with edits applied.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil {
		return nil
	}
	var out []Message
	for _, id := range cs.order {
		if m := cs.msgs[id]; m.fromBot {
			out = append(out, m.export(chatID))
		}
	}
	return out
}

// LastMessage returns the bot's last message in the chat that is not
// deleted, and false if there is none.
func (s *Server) LastMessage(chatID int64) (Message, bool) {
	msgs := s.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].Deleted {
			return msgs[i], true
		}
	}
	return Message{}, false
}

// Deleted returns the ids of the chat's deleted messages (the user's and
// the bot's) in the order of the chat.
func (s *Server) Deleted(chatID int64) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil {
		return nil
	}
	var out []int
	for _, id := range cs.order {
		if cs.msgs[id].deleted {
			out = append(out, id)
		}
	}
	return out
}

// WaitFailed waits up to timeout for a call of method that the server
// answered with code (a fault set by FailNext or FailNextIn), in chat
// chatID or, if chatID is 0, in any chat, and returns the first such call.
func (s *Server) WaitFailed(method string, chatID int64, code int, timeout time.Duration) (Call, bool) {
	var found Call
	ok := s.WaitFor(timeout, func() bool {
		for _, c := range s.Calls(method) {
			if c.ErrorCode == code && (chatID == 0 || c.Fields["chat_id"] == strconv.FormatInt(chatID, 10)) {
				found = c
				return true
			}
		}
		return false
	})
	return found, ok
}

// WaitFor calls cond until it returns true or timeout passes, and reports
// whether it did. cond is re-evaluated whenever the server records a call
// or queues an update; it must not call WaitFor.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		}
	}
}

// WaitConfirmed waits until the client confirmed the update by asking
// getUpdates for a later offset. That means the client received it, not
// that it was handled: wait for the expected reply with WaitFor for that.
func (s *Server) WaitConfirmed(updateID int64, timeout time.Duration) bool {
	return s.WaitFor(timeout, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.offset > updateID
	})
}

// --- HTTP

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		http.NotFound(w, r)
		return
	}
	token, method, _ := strings.Cut(rest, "/")
	if token != s.Token {
		writeJSON(w, http.StatusUnauthorized, wireResponse{ErrorCode: 401, Description: "Unauthorized"})
		return
	}
	fields, files, raw, perr := parseForm(r)
	if method == "getUpdates" && perr == nil {
		s.getUpdates(w, r, fields, raw)
		return
	}

	s.mu.Lock()
	call := Call{Method: method, Fields: fields, Files: files, JSON: raw, At: time.Now()}
	var result any
	var aerr *apiError
	if perr != nil {
		aerr = perr
	} else if f, ok := s.takeFault(method, fields); ok {
		aerr = &apiError{code: f.code, desc: describe(f.code, f.retryAfter), retryAfter: f.retryAfter}
	} else {
		result, aerr = s.dispatchLocked(method, fields, files)
	}
	if aerr != nil {
		call.ErrorCode = aerr.code
	}
	s.calls = append(s.calls, call)
	s.bump()
	s.mu.Unlock()

	if aerr != nil {
		resp := wireResponse{ErrorCode: aerr.code, Description: aerr.desc}
		if aerr.retryAfter > 0 {
			resp.Parameters = &wireParameters{RetryAfter: aerr.retryAfter}
		}
		writeJSON(w, aerr.code, resp)
		return
	}
	writeJSON(w, http.StatusOK, wireResponse{OK: true, Result: result})
}

func describe(code, retryAfter int) string {
	switch code {
	case http.StatusTooManyRequests:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	case http.StatusBadRequest:
		return "Bad Request: injected failure"
	case http.StatusForbidden:
		return "Forbidden: bot was blocked by the user"
	}
	return http.StatusText(code)
}

func writeJSON(w http.ResponseWriter, status int, v wireResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// parseForm reads the parameters the way the Bot API accepts them:
// multipart (what go-telegram/bot sends, with an empty body for
// param-less methods), URL-encoded, JSON or the query string. A JSON body
// also comes back as it is (raw); one that is not a JSON object is
// refused, as Telegram refuses it.
func parseForm(r *http.Request) (fields map[string]string, files map[string]File, raw json.RawMessage, _ *apiError) {
	fields = map[string]string{}
	files = map[string]File{}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return fields, files, nil, badRequest("can't read the request body")
		}
		var m map[string]json.RawMessage
		// The real answer's wording is not known (unverified); the code is 400.
		if err := json.Unmarshal(body, &m); err != nil || m == nil {
			return fields, files, body, badRequest("can't parse JSON object")
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				fields[k] = str
			} else {
				fields[k] = string(v)
			}
		}
		return fields, files, body, nil
	}
	// An empty multipart body fails with "NextPart: EOF": there is nothing
	// to read then, and the form may be partly filled.
	_ = r.ParseMultipartForm(32 << 20)
	for k, v := range r.Form {
		if len(v) > 0 {
			fields[k] = v[0]
		}
	}
	if r.MultipartForm != nil {
		for k, fhs := range r.MultipartForm.File {
			if len(fhs) == 0 {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				continue
			}
			data, _ := io.ReadAll(f)
			f.Close()
			files[k] = File{Name: fhs[0].Filename, Data: data}
		}
	}
	return fields, files, nil, nil
}

func (s *Server) serveFile(w http.ResponseWriter, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	f := s.byPath[filePath]
	if token == s.Token {
		s.calls = append(s.calls, Call{Method: "downloadFile", Fields: map[string]string{"file_path": filePath}, At: time.Now()})
		s.bump()
	}
	s.mu.Unlock()
	if token != s.Token || f == nil {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, fields map[string]string, raw json.RawMessage) {
	offset, _ := strconv.ParseInt(fields["offset"], 10, 64)
	limit, _ := strconv.Atoi(fields["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(fields["timeout"])
	var allowed []string
	if a := fields["allowed_updates"]; a != "" {
		_ = json.Unmarshal([]byte(a), &allowed)
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: "getUpdates", Fields: fields, Files: map[string]File{}, JSON: raw, At: time.Now()})
	s.offset = max(s.offset, offset)
	// Confirm: updates below offset, and redelivered copies already sent,
	// are gone for good.
	s.queue = slices.DeleteFunc(s.queue, func(q *queued) bool {
		return (q.forced && q.delivered) || (!q.forced && offset > 0 && q.id < offset)
	})
	s.bump()
	for {
		var out []json.RawMessage
		for _, q := range s.queue {
			if len(out) == limit {
				break
			}
			if !q.forced && q.id < offset || len(allowed) > 0 && !slices.Contains(allowed, q.kind) {
				continue
			}
			q.delivered = true
			out = append(out, q.raw)
		}
		if len(out) > 0 {
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, wireResponse{OK: true, Result: out})
			return
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			writeJSON(w, http.StatusOK, wireResponse{OK: true, Result: []json.RawMessage{}})
			return
		case <-r.Context().Done():
			return
		case <-s.closed:
			writeJSON(w, http.StatusOK, wireResponse{OK: true, Result: []json.RawMessage{}})
			return
		}
		s.mu.Lock()
	}
}

// --- methods

func (s *Server) dispatchLocked(method string, f map[string]string, files map[string]File) (any, *apiError) {
	switch method {
	case "getMe":
		u := botUser()
		return map[string]any{"id": u.ID, "is_bot": true, "first_name": u.FirstName,
			"username": u.Username, "can_join_groups": true, "can_read_all_group_messages": false,
			"supports_inline_queries": false}, nil
	case "deleteWebhook":
		s.hookURL, s.hookToken = "", ""
		return true, nil
	case "setWebhook":
		if !strings.HasPrefix(f["url"], "https://") {
			return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
		s.hookURL, s.hookToken = f["url"], f["secret_token"]
		return true, nil
	case "setMyCommands":
		return s.setMyCommands(f)
	case "sendMessage":
		return s.sendMessage(f)
	case "editMessageText":
		return s.editMessage(f, true)
	case "editMessageReplyMarkup":
		return s.editMessage(f, false)
	case "answerCallbackQuery":
		return s.answerCallbackQuery(f)
	case "deleteMessage":
		return s.deleteMessage(f)
	case "getFile":
		return s.getFile(f)
	case "sendDocument":
		return s.sendDocument(f, files)
	case "getChatMember":
		return s.getChatMember(f)
	case "sendChatAction":
		if _, err := chatID(f); err != nil {
			return nil, err
		}
		if f["action"] == "" {
			return nil, badRequest("action is empty")
		}
		return true, nil
	}
	return nil, &apiError{code: http.StatusNotFound, desc: "Not Found"}
}

func chatID(f map[string]string) (int64, *apiError) {
	v, ok := f["chat_id"]
	if !ok || v == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("chat not found")
	}
	return id, nil
}

func messageID(f map[string]string) (int, *apiError) {
	id, err := strconv.Atoi(f["message_id"])
	if err != nil || id <= 0 {
		return 0, badRequest("message identifier is not specified")
	}
	return id, nil
}

func (s *Server) setMyCommands(f map[string]string) (any, *apiError) {
	var cmds []struct {
		Command     string `json:"command"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal([]byte(f["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	for _, c := range cmds {
		if c.Command == "" || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command ||
			strings.ContainsFunc(c.Command, func(r rune) bool {
				return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_'
			}) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := len([]rune(c.Description)); n == 0 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	return true, nil
}

// checkMarkup validates reply_markup and returns the part Telegram echoes
// in the message object (only inline keyboards).
func checkMarkup(raw string) (json.RawMessage, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var mk wireMarkup
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, badRequest("text buttons are unallowed in the inline keyboard")
			}
			if b.CallbackData == "" && b.URL == "" && (b.CopyText == nil || b.CopyText.Text == "") {
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			if len(b.CallbackData) > maxCallbackLen {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
		}
	}
	for _, row := range mk.Keyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, badRequest("keyboard button text is empty")
			}
		}
	}
	if len(mk.InlineKeyboard) == 0 {
		return nil, nil
	}
	echo, _ := json.Marshal(map[string]any{"inline_keyboard": mk.InlineKeyboard})
	return echo, nil
}

func checkText(text string) *apiError {
	if strings.TrimSpace(text) == "" {
		return badRequest("message text is empty")
	}
	if utf16Len(text) > maxTextLen {
		return badRequest("message is too long")
	}
	return nil
}

func (s *Server) sendMessage(f map[string]string) (any, *apiError) {
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	if err := checkText(f["text"]); err != nil {
		return nil, err
	}
	if pm := f["parse_mode"]; pm != "" && pm != "HTML" && pm != "Markdown" && pm != "MarkdownV2" {
		return nil, badRequest("unsupported parse_mode")
	}
	echo, err := checkMarkup(f["reply_markup"])
	if err != nil {
		return nil, err
	}
	cs := s.knownChat(id)
	replyTo, err := cs.replyTo(f["reply_parameters"])
	if err != nil {
		return nil, err
	}
	m := &message{w: &wireMessage{From: botUser(), Text: f["text"], ReplyMarkup: echo, ReplyTo: replyTo},
		fromBot: true, markup: f["reply_markup"]}
	cs.add(m)
	return m.w, nil
}

// replyTo resolves reply_parameters to the message replied to (a copy,
// without its own reply), as Telegram embeds it.
func (cs *chatState) replyTo(raw string) (*wireMessage, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var p struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, badRequest("can't parse reply parameters JSON object")
	}
	m := cs.msgs[p.MessageID]
	if m == nil || m.deleted {
		if p.AllowSendingWithoutReply {
			return nil, nil
		}
		return nil, badRequest("message to be replied not found")
	}
	cp := *m.w
	cp.ReplyTo = nil
	return &cp, nil
}

func (s *Server) getChatMember(f map[string]string) (any, *apiError) {
	chat, err := chatID(f)
	if err != nil {
		return nil, err
	}
	user, perr := strconv.ParseInt(f["user_id"], 10, 64)
	if perr != nil {
		return nil, badRequest("invalid user_id specified")
	}
	status := s.members[[2]int64{chat, user}]
	if status == "" {
		status = "member"
	}
	u := wireUser{ID: user, FirstName: "User"}
	if cs := s.chats[chat]; cs != nil && cs.chat.UserID == user {
		u = cs.user()
	}
	out := map[string]any{"status": status, "user": u}
	switch status {
	case "administrator":
		out["can_be_edited"], out["is_anonymous"], out["can_manage_chat"] = false, false, true
	case "creator":
		out["is_anonymous"] = false
	case "restricted", "kicked":
		out["until_date"] = 0
	}
	return out, nil
}

func (s *Server) editMessage(f map[string]string, text bool) (any, *apiError) {
	if f["inline_message_id"] != "" {
		return nil, badRequest("inline messages are not supported by the fake")
	}
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	mid, err := messageID(f)
	if err != nil {
		return nil, err
	}
	if text {
		if err := checkText(f["text"]); err != nil {
			return nil, err
		}
	}
	echo, err := checkMarkup(f["reply_markup"])
	if err != nil {
		return nil, err
	}
	cs := s.chats[id]
	if cs == nil {
		return nil, badRequest("chat not found")
	}
	m := cs.msgs[mid]
	if m == nil || m.deleted {
		return nil, badRequest("message to edit not found")
	}
	if !m.fromBot {
		return nil, badRequest("message can't be edited")
	}
	newText := m.w.Text
	if text {
		newText = f["text"]
	}
	if newText == m.w.Text && string(echo) == string(m.w.ReplyMarkup) {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message")
	}
	m.w.Text = newText
	m.w.ReplyMarkup = echo
	m.w.EditDate = time.Now().Unix()
	m.markup = f["reply_markup"]
	m.edited = true
	cp := *m.w
	return &cp, nil
}

func (s *Server) answerCallbackQuery(f map[string]string) (any, *apiError) {
	id := f["callback_query_id"]
	answered, ok := s.callbacks[id]
	if !ok || answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if len([]rune(f["text"])) > maxToastLen {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	s.callbacks[id] = true
	s.answers[id] = f["text"]
	return true, nil
}

func (s *Server) deleteMessage(f map[string]string) (any, *apiError) {
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	mid, err := messageID(f)
	if err != nil {
		return nil, err
	}
	cs := s.chats[id]
	if cs == nil {
		return nil, badRequest("chat not found")
	}
	m := cs.msgs[mid]
	if m == nil || m.deleted {
		return nil, badRequest("message to delete not found")
	}
	m.deleted = true
	return true, nil
}

func (s *Server) getFile(f map[string]string) (any, *apiError) {
	sf := s.files[f["file_id"]]
	if sf == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(sf.data) > maxGetFileSize {
		return nil, badRequest("file is too big")
	}
	return wireFile{FileID: sf.id, FileUniqueID: sf.uniqueID, FileSize: int64(len(sf.data)), FilePath: sf.path}, nil
}

func (s *Server) sendDocument(f map[string]string, files map[string]File) (any, *apiError) {
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	if utf16Len(f["caption"]) > maxCaptionLen {
		return nil, badRequest("message caption is too long")
	}
	echo, err := checkMarkup(f["reply_markup"])
	if err != nil {
		return nil, err
	}
	var sf *storedFile
	if up, ok := files["document"]; ok {
		if len(up.Data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		mt := mime.TypeByExtension(strings.ToLower(path.Ext(up.Name)))
		if mt == "" {
			mt = "application/octet-stream"
		}
		mt, _, _ = strings.Cut(mt, ";")
		sf = s.storeLocked("documents", up.Name, mt, up.Data)
	} else if ref := f["document"]; ref != "" {
		if sf = s.files[ref]; sf == nil {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
	} else {
		return nil, badRequest("there is no document in the request")
	}
	cs := s.knownChat(id)
	replyTo, rerr := cs.replyTo(f["reply_parameters"])
	if rerr != nil {
		return nil, rerr
	}
	m := &message{w: &wireMessage{From: botUser(), Caption: f["caption"], ReplyMarkup: echo, ReplyTo: replyTo,
		Document: &wireDocument{FileID: sf.id, FileUniqueID: sf.uniqueID, FileName: sf.name,
			MIMEType: sf.mime, FileSize: int64(len(sf.data))}},
		fromBot: true, markup: f["reply_markup"], doc: sf}
	cs.add(m)
	return m.w, nil
}
