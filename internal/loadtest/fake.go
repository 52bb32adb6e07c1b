package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeAPI is a lean fake Telegram Bot API for load: it speaks the protocol
// the way bot/telegramtest does (multipart or JSON requests on /bot<token>/<method>,
// long-poll getUpdates, files under /file/bot<token>/<path>) but records
// nothing beyond what the simulated users need, so that it costs little CPU
// and memory next to the bot under test. bot/telegramtest needs a
// testing.TB and keeps every call, which is right for tests and wrong here.
type fakeAPI struct {
	token string
	users map[int64]*user // fixed before the server starts: no lock
	srv   *http.Server
	ln    net.Listener

	mu      sync.Mutex
	nextUpd int64
	queue   []pendingUpdate // not yet confirmed, in update id order
	wake    chan struct{}   // closed and replaced when the queue grows
	closed  chan struct{}

	files sync.Map // file path → []byte

	groupMsgs atomic.Int64 // messages the bot sent to chats that are not users (the review group)
	groupDocs atomic.Int64
	calls     [nMethods]atomic.Int64
	badCalls  atomic.Int64 // calls that named an unknown chat or message

	// Webhook mode: updates are posted to hooks, round robin.
	hooks       []string
	secret      string
	nextHook    atomic.Int64
	hookClient  *http.Client
	setWebhooks atomic.Int64
	hookRetries atomic.Int64
}

// startWebhooks switches delivery from getUpdates to posting every update
// to one of hooks in turn, as Telegram would post to a load balancer in
// front of replicas. A delivery that fails is sent again (to the next
// replica), as Telegram redelivers.
func (f *fakeAPI) startWebhooks(hooks []string, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks, f.secret = hooks, secret
	f.hookClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

func (f *fakeAPI) deliver(id int64, body []byte) {
	raw := []byte(`{"update_id":` + strconv.FormatInt(id, 10) + `,` + string(body) + `}`)
	for try := 0; try < 10; try++ {
		hook := f.hooks[int(f.nextHook.Add(1))%len(f.hooks)]
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(string(raw)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", f.secret)
		resp, err := f.hookClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		f.hookRetries.Add(1)
		select {
		case <-f.closed:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type pendingUpdate struct {
	id  int64
	raw []byte // the update without its id: {"message":…} body after the id
}

const (
	mGetUpdates = iota
	mSendMessage
	mEditText
	mEditMarkup
	mAnswerCallback
	mDeleteMessage
	mGetFile
	mDownload
	mSendDocument
	mChatAction
	mOther
	nMethods
)

var methodNames = [nMethods]string{"getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
	"answerCallbackQuery", "deleteMessage", "getFile", "download", "sendDocument", "sendChatAction", "other"}

func newFakeAPI(token string, users map[int64]*user) (*fakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeAPI{token: token, users: users, ln: ln, wake: make(chan struct{}), closed: make(chan struct{}), nextUpd: 1000}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeAPI) URL() string { return "http://" + f.ln.Addr().String() }

func (f *fakeAPI) Close() {
	close(f.closed)
	_ = f.srv.Close()
}

// enqueue queues an update; body is the JSON after "update_id":N, e.g.
// `"message":{…}`. It returns the update id.
func (f *fakeAPI) enqueue(body []byte) int64 {
	f.mu.Lock()
	f.nextUpd++
	id := f.nextUpd
	if f.hooks != nil {
		f.mu.Unlock()
		go f.deliver(id, body)
		return id
	}
	f.queue = append(f.queue, pendingUpdate{id: id, raw: body})
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
	return id
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		f.calls[mDownload].Add(1)
		_, p, _ := strings.Cut(rest, "/")
		data, ok := f.files.Load(p)
		if !ok {
			http.NotFound(w, r)
			return
		}
		b := data.([]byte)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !ok || token != f.token {
		writeRaw(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// regbot sends getUpdates and its replies (sendMessage, edits, …)
		// as JSON: turn the object into a form. Strings stay as they are,
		// other members (chat_id, reply_markup) become their JSON text.
		var m map[string]json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&m)
		r.Form = map[string][]string{}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				r.Form[k] = []string{str}
			} else {
				r.Form[k] = []string{string(v)}
			}
		}
	} else {
		_ = r.ParseMultipartForm(8 << 20) // param-less methods send an empty body: EOF
		if r.MultipartForm != nil {
			defer func() { _ = r.MultipartForm.RemoveAll() }()
		}
	}
	switch method {
	case "getUpdates":
		f.calls[mGetUpdates].Add(1)
		f.getUpdates(w, r)
	case "sendMessage":
		f.calls[mSendMessage].Add(1)
		f.sendMessage(w, r)
	case "editMessageText":
		f.calls[mEditText].Add(1)
		f.edit(w, r, true)
	case "editMessageReplyMarkup":
		f.calls[mEditMarkup].Add(1)
		f.edit(w, r, false)
	case "answerCallbackQuery":
		f.calls[mAnswerCallback].Add(1)
		writeRaw(w, `{"ok":true,"result":true}`)
	case "deleteMessage":
		f.calls[mDeleteMessage].Add(1)
		writeRaw(w, `{"ok":true,"result":true}`)
	case "getFile":
		f.calls[mGetFile].Add(1)
		id := r.FormValue("file_id")
		p := "documents/" + id + ".pdf"
		data, ok := f.files.Load(p)
		if !ok {
			writeRaw(w, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			return
		}
		writeResult(w, map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_size": len(data.([]byte)), "file_path": p})
	case "sendDocument":
		f.calls[mSendDocument].Add(1)
		f.groupDocs.Add(1)
		chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
		writeResult(w, map[string]any{"message_id": f.groupMsgs.Add(1), "date": time.Now().Unix(),
			"chat":     map[string]any{"id": chat, "type": "supergroup", "title": "审核群"},
			"document": map[string]any{"file_id": "bd" + strconv.FormatInt(f.groupDocs.Load(), 10), "file_unique_id": "ubd", "file_name": "a.pdf"}})
	case "sendChatAction":
		f.calls[mChatAction].Add(1)
		writeRaw(w, `{"ok":true,"result":true}`)
	case "getMe":
		writeRaw(w, `{"ok":true,"result":{"id":7000001,"is_bot":true,"first_name":"RegBot Load","username":"regbot_load_bot"}}`)
	case "getChatMember":
		f.calls[mOther].Add(1)
		writeResult(w, map[string]any{"status": "administrator", "user": map[string]any{"id": 1, "is_bot": false, "first_name": "审核"}})
	case "setWebhook":
		f.setWebhooks.Add(1)
		writeRaw(w, `{"ok":true,"result":true}`)
	default: // deleteWebhook, setMyCommands, …
		f.calls[mOther].Add(1)
		writeRaw(w, `{"ok":true,"result":true}`)
	}
}

func writeRaw(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, s)
}

func writeResult(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(struct {
		OK     bool `json:"ok"`
		Result any  `json:"result"`
	}{true, v})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.ParseInt(r.FormValue("offset"), 10, 64)
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(r.FormValue("timeout"))
	deadline := time.NewTimer(time.Duration(max(timeout, 0))*time.Second + 10*time.Millisecond)
	defer deadline.Stop()
	f.mu.Lock()
	// Confirm what is below offset.
	i := 0
	for i < len(f.queue) && f.queue[i].id < offset {
		i++
	}
	if i > 0 {
		f.queue = append(f.queue[:0:0], f.queue[i:]...)
	}
	for {
		if n := min(len(f.queue), limit); n > 0 {
			var b strings.Builder
			b.WriteString(`{"ok":true,"result":[`)
			for k, q := range f.queue[:n] {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"update_id":`)
				b.WriteString(strconv.FormatInt(q.id, 10))
				b.WriteByte(',')
				b.Write(q.raw)
				b.WriteByte('}')
			}
			b.WriteString(`]}`)
			f.mu.Unlock()
			writeRaw(w, b.String())
			return
		}
		ch := f.wake
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			writeRaw(w, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			return
		case <-f.closed:
			writeRaw(w, `{"ok":true,"result":[]}`)
			return
		}
		f.mu.Lock()
	}
}

// markup is the part of reply_markup the users read.
type markup struct {
	InlineKeyboard [][]struct {
		Text         string `json:"text"`
		CallbackData string `json:"callback_data"`
	} `json:"inline_keyboard"`
}

func parseButtons(raw string) [][2]string {
	if raw == "" {
		return nil
	}
	var mk markup
	if json.Unmarshal([]byte(raw), &mk) != nil {
		return nil
	}
	var out [][2]string
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != "" {
				out = append(out, [2]string{b.Text, b.CallbackData})
			}
		}
	}
	return out
}

func (f *fakeAPI) sendMessage(w http.ResponseWriter, r *http.Request) {
	chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	text := r.FormValue("text")
	u := f.users[chat]
	if u == nil { // the review group
		writeResult(w, map[string]any{"message_id": f.groupMsgs.Add(1), "date": time.Now().Unix(), "text": text,
			"chat": map[string]any{"id": chat, "type": "supergroup", "title": "审核群"}})
		return
	}
	id := u.botMessage(0, text, parseButtons(r.FormValue("reply_markup")), true)
	writeResult(w, map[string]any{"message_id": id, "date": time.Now().Unix(), "text": text,
		"from": map[string]any{"id": 7000001, "is_bot": true, "first_name": "RegBot Load"},
		"chat": map[string]any{"id": chat, "type": "private", "first_name": u.name}})
}

func (f *fakeAPI) edit(w http.ResponseWriter, r *http.Request, withText bool) {
	chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	mid, _ := strconv.Atoi(r.FormValue("message_id"))
	u := f.users[chat]
	if u == nil || mid == 0 {
		f.badCalls.Add(1)
		writeRaw(w, `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`)
		return
	}
	text := r.FormValue("text")
	if !u.editMessage(mid, text, withText, parseButtons(r.FormValue("reply_markup"))) {
		f.badCalls.Add(1)
		writeRaw(w, `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`)
		return
	}
	writeResult(w, map[string]any{"message_id": mid, "date": time.Now().Unix(), "text": text, "edit_date": time.Now().Unix(),
		"chat": map[string]any{"id": chat, "type": "private", "first_name": u.name}})
}

// jsonString quotes s for hand-built JSON.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func fromJSON(u *user) string {
	return fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":%s,"language_code":"zh-hans"}`, u.chatID, jsonString(u.name))
}

func chatJSON(u *user) string {
	return fmt.Sprintf(`{"id":%d,"type":"private","first_name":%s}`, u.chatID, jsonString(u.name))
}
