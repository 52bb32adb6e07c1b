package botapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/regbot/regbot/bot/telegramtest"
)

var (
	alice = telegramtest.Chat{ID: 501, UserID: 501, FirstName: "Alice", LanguageCode: "zh-hans"}
	bob   = telegramtest.Chat{ID: 502, UserID: 502, FirstName: "Bob", LanguageCode: "en"}
)

// newClient returns a client of serverURL and go-telegram/bot's client
// over it, as package bot sets them up.
func newClient(t testing.TB, serverURL, token string) (*Client, *tgbot.Bot) {
	t.Helper()
	c := NewClient(serverURL, token, nil, time.Minute)
	tg, err := tgbot.New(token, tgbot.WithSkipGetMe(), tgbot.WithServerURL(serverURL),
		tgbot.WithHTTPClient(time.Minute, c.HTTPClient()), tgbot.WithErrorsHandler(func(error) {}))
	if err != nil {
		t.Fatal(err)
	}
	return c, tg
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
// sentinels and types, with the same texts, which callers read),
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
			client, tg := newClient(t, srv.URL, token)
			ctx := context.Background()
			p := &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}
			_, old := tg.SendMessage(ctx, p)
			var m SentMessage
			err := client.Call(ctx, "sendMessage", p, &m)
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
			client, _ := newClient(t, c.url, token)
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			err := client.Call(ctx, "sendMessage", &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}, nil)
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
	s.SendText(alice, "hello") // the fake knows the chat once its user wrote
	c, _ := newClient(t, s.URL(), s.Token)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				text := fmt.Sprintf("worker %d message %d %s", w, i, strings.Repeat("字", 10*i))
				var m SentMessage
				err := c.Call(context.Background(), "sendMessage", &tgbot.SendMessageParams{ChatID: alice.ID, Text: text}, &m)
				if err != nil || m.ID == 0 {
					t.Error(m.ID, err)
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
	var m SentMessage
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

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestCallWritesOnce: a call's request, headers and JSON body, leaves in
// one write system call. A body that net/http does not know to be in
// memory makes it flush the headers on their own first.
func TestCallWritesOnce(t *testing.T) {
	s := telegramtest.New(t)
	s.SendText(alice, "hello")
	c, _ := newClient(t, s.URL(), s.Token)
	var writes atomic.Int64
	tr := c.httpc.Transport.(deadlines).next.(observedTransport).next.(sizedBodies).next.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &writes}, nil
	}
	const calls = 5
	for i := range calls {
		var m SentMessage
		p := &tgbot.SendMessageParams{ChatID: alice.ID, Text: fmt.Sprintf("message %d %s", i, strings.Repeat("字", 300))}
		if err := c.Call(context.Background(), "sendMessage", p, &m); err != nil {
			t.Fatal(err)
		}
	}
	if n := writes.Load(); n != calls {
		t.Errorf("%d calls made %d writes, want one each", calls, n)
	}
}

// TestQuickSuccess: the answers read without decoding are successes, with
// the message_id a full decode finds; everything else is left to it.
func TestQuickSuccess(t *testing.T) {
	for _, c := range []struct {
		body      string
		sent      bool // result is a *SentMessage, else nil
		quick     bool
		messageID int
	}{
		{`{"ok":true,"result":true}`, false, true, 0},
		{`{"ok":true,"result":true}` + "\n", false, true, 0},
		{`{"ok":true,"result":{"message_id":7,"chat":{"id":1,"type":"private"},"text":"x"}}` + "\n", true, true, 7},
		{`{"ok":true,"result":{"message_id":7,"chat":{"id":1,"type":"private"},"text":"x"}}`, false, true, 0},
		{`{"ok":true,"result":{"message_id":1234567}}`, true, true, 1234567},
		{`{"ok":true,"result":{"chat":{"id":1},"message_id":7}}`, true, false, 0}, // another order
		{`{"ok":true,"result":{"message_id":"7"}}`, true, false, 0},
		{`{"ok":true,"result":{"message_id":}}`, true, false, 0},
		{`{"ok":true,"result":{"message_id":7`, true, false, 0}, // cut short
		{`{"ok":true,"result":true`, false, false, 0},
		{`{"ok":true,"result":true}`, true, false, 0},
		{`{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}`, false, false, 0},
		{`{"ok": true, "result": true}`, false, false, 0},
	} {
		var m SentMessage
		var result any
		if c.sent {
			result = &m
		}
		if got := quickSuccess([]byte(c.body), result); got != c.quick || m.ID != c.messageID {
			t.Errorf("quickSuccess(%s) = %v, message_id %d; want %v, %d", c.body, got, m.ID, c.quick, c.messageID)
		}
		if !c.quick {
			continue
		}
		var full SentMessage
		a := newAnswer(nil)
		if c.sent {
			a = newAnswer(&full)
		}
		if err := json.Unmarshal([]byte(c.body), &a); err != nil || !a.OK || full.ID != m.ID {
			t.Errorf("%s: a full decode gives ok %v, message_id %d, %v", c.body, a.OK, full.ID, err)
		}
	}
}
