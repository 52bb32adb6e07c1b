// Package telegramtest is a fake Telegram Bot API server. It takes
// requests on POST /bot<token>/<method> the ways the Bot API does:
// multipart/form-data as github.com/go-telegram/bot sends it (param-less
// methods send an empty body; reply_markup is a JSON string field), a
// JSON object (as regbot's own calls send it; reply_markup an object,
// chat_id a number), URL-encoded forms or the query string. Files are
// downloaded from /file/bot<token>/<file_path>, and answers are
// {"ok":true,"result":…} or {"ok":false,"error_code":…,"description":…}.
//
// Tests act as users (SendText, Press, SendDocument, …; chats.go), which
// queues updates for getUpdates or posts them to webhooks (updates.go),
// and inspect what the bot did (Calls, Messages, Deleted; inspect.go).
// WaitFor re-evaluates a condition whenever the server records something,
// so tests synchronise without sleeping. FailNext injects errors
// (faults.go).
//
// In lean mode (WithLean; the load tool's) the server keeps no history:
// no calls, no updates once delivered, only the last few messages of each
// chat; Counts says how often each method was called, and WithEvents
// reports each message the bot sends, edits or deletes as it happens.
// NewServer starts a server without a testing.TB; New is for tests.
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
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	// Token is the bot token the server accepts.
	Token string

	lean   bool        // WithLean: no history
	keep   int         // lean: messages kept per chat
	events func(Event) // WithEvents; nil: none

	srv       *httptest.Server
	closed    chan struct{} // closed by Close: ends long polls and webhook retries
	closeOnce sync.Once

	mu      sync.Mutex
	changed chan struct{} // closed and replaced by bump, when watched
	watched bool          // someone waits on changed
	counts  map[string]*Count

	// updates.go
	nextUpd         int64
	queue           []*queued
	queued          chan struct{} // closed and replaced when the queue grows, when polled
	polled          bool          // a long poll waits on queued
	offset          int64         // highest offset a getUpdates asked for
	raw             map[int64][]byte
	hooks           []string // PostUpdates: where updates go instead of the queue
	hookSecret      string
	hookClient      *http.Client
	nextHook        atomic.Int64
	hookRetries     atomic.Int64
	hookRedelivered atomic.Int64
	postEvery       time.Duration // WithPostRetry
	postTries       int           // 0: until Close

	// chats.go, messages.go
	chats     map[int64]*chatState
	updMsg    map[int64]int // update → the user's message id
	nextCB    int
	nextGroup int               // media group ids of albums
	callbacks map[string]bool   // callback query id → answered
	answers   map[string]string // callback query id → the answer's text
	updCB     map[int64]string  // update → its callback query id
	members   map[[2]int64]string
	hookURL   string // setWebhook's url; "" when none is set
	hookToken string // setWebhook's secret_token

	// files.go
	files    map[string]*storedFile
	byPath   map[string]*storedFile
	nextFile int

	// faults.go, inspect.go
	faults map[string][]fault
	calls  []Call
}

// Option configures a Server.
type Option func(*Server)

// WithLean makes the server cheap to run for long under load, as the load
// tool does: it records no calls (Calls, WaitFailed find none), forgets
// updates once delivered (UpdateJSON, Redeliver, UserMessageID and Answer
// find none), and keeps only the last keep messages of each chat (the
// user's and the bot's: ids are shared). A message older than that is
// forgotten but still exists: the bot may edit or delete it, and a button
// pressed on it (Press) comes as on an inaccessible message. Documents a
// user sends are stored as given, not copied. Counts and WithEvents tell
// what the bot does.
func WithLean(keep int) Option {
	return func(s *Server) { s.lean, s.keep = true, max(keep, 1) }
}

// WithFirstUpdateID makes the server number its updates from id (default
// 101): two servers standing for one Telegram, each delivering some of its
// updates to a replica of the bot, must not give two updates one id.
func WithFirstUpdateID(id int64) Option { return func(s *Server) { s.nextUpd = id - 1 } }

// WithEvents makes the server call f for every change the bot makes in a
// chat, in order, as it happens. f is called with the server's lock held:
// it must be quick and must not call the Server.
func WithEvents(f func(Event)) Option { return func(s *Server) { s.events = f } }

// NewServer starts a server on a loopback port. Close stops it.
func NewServer(opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("telegramtest: %w", err)
	}
	s := &Server{
		Token:     fmt.Sprintf("%d:TEST-%x", BotID, time.Now().UnixNano()),
		closed:    make(chan struct{}),
		changed:   make(chan struct{}),
		queued:    make(chan struct{}),
		counts:    map[string]*Count{},
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
		postEvery: 100 * time.Millisecond,
		postTries: 10,
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{
		Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}}
	s.srv.Start()
	return s, nil
}

// New starts a server for a test; it is closed when the test ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server. Pending long polls answer with no updates, and
// webhook deliveries are not retried any more.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed) // ends pending long polls, or Close would wait for them
		s.srv.Close()
		s.mu.Lock()
		hc := s.hookClient
		s.mu.Unlock()
		if hc != nil {
			hc.CloseIdleConnections()
		}
	})
}

// URL is the server's base URL, for the client's server URL option.
func (s *Server) URL() string { return s.srv.URL }

// bump wakes WaitFor. s.mu must be held.
func (s *Server) bump() {
	if s.watched {
		close(s.changed)
		s.changed = make(chan struct{})
		s.watched = false
	}
}

// changedLocked returns a channel that the next bump closes. s.mu must be
// held.
func (s *Server) changedLocked() <-chan struct{} {
	s.watched = true
	return s.changed
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
	var result any
	var aerr *apiError
	if perr != nil {
		aerr = perr
	} else if f, ok := s.takeFault(method, fields); ok {
		aerr = &apiError{code: f.code, desc: describe(f.code, f.retryAfter), retryAfter: f.retryAfter}
	} else {
		result, aerr = s.dispatchLocked(method, fields, files)
	}
	s.countLocked(method, aerr != nil)
	if !s.lean {
		call := Call{Method: method, Fields: fields, Files: files, JSON: raw, At: time.Now()}
		if aerr != nil {
			call.ErrorCode = aerr.code
		}
		s.calls = append(s.calls, call)
	}
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
			if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &str) == nil {
				fields[k] = str
			} else {
				fields[k] = string(v) // not a string: no failed decode to build an error for
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
		defer func() { _ = r.MultipartForm.RemoveAll() }()
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

// dispatchLocked performs a method. s.mu must be held.
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
		return setMyCommands(f)
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
