package botapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	tgbot "github.com/go-telegram/bot"
)

// The calls made for nearly every update (sendMessage, editMessageText,
// editMessageReplyMarkup, answerCallbackQuery, deleteMessage,
// sendChatAction) go through Call, with a JSON body, rather than through
// go-telegram/bot. The library builds a multipart form by reflection in a
// goroutine that writes it through an io.Pipe, then reads the answer and
// decodes it twice, the second time into a whole models.Message: 13 % of
// the bot's CPU under load (docs/performance.md). The Bot API takes JSON
// bodies as well (https://core.telegram.org/bots/api#making-requests).
//
// Call uses the client's HTTPClient, which go-telegram/bot is given too,
// so the transport's deadlines, sized bodies and metrics apply alike, and
// returns the library's error values and types (tgbot.ErrorForbidden,
// *tgbot.TooManyRequestsError, …), so that callers treat the errors of
// both the same way. Everything else (uploads, getFile, setMyCommands,
// setWebhook, …) stays with the library.

// maxAnswer bounds the answer call reads: an echoed message of 4096
// characters with a keyboard is far below it.
const maxAnswer = 1 << 20

// maxPooledCall is the largest buffer kept for reuse; a larger one (a
// very long answer) is left to the garbage collector.
const maxPooledCall = 64 << 10

// Call calls a Bot API method with params as its JSON body and decodes the
// answer's result into result (nil: not decoded; a struct pointer gets only
// the fields it declares, e.g. SentMessage). Errors are those of
// go-telegram/bot: a refusal wraps tgbot.ErrorBadRequest, ErrorForbidden,
// ErrorUnauthorized, ErrorNotFound or ErrorConflict, or is a
// *tgbot.TooManyRequestsError or *tgbot.MigrateError; as there, the
// answer's ok and error_code decide, not the HTTP status, and an answer
// that is not JSON is an error. Errors never contain the token.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	buf := calls.Get().(*callBuffers)
	defer buf.release()
	buf.reset()
	enc := json.NewEncoder(&buf.req)
	enc.SetEscapeHTML(false) // "<" as is: shorter, and the Bot API takes either
	if err := enc.Encode(params); err != nil {
		return fmt.Errorf("%s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(method), nil)
	if err != nil {
		return fmt.Errorf("%s: %s", method, c.Redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	// The body is a copy in a reader net/http knows to be in memory: it
	// then writes the headers and the body in one write system call. Any
	// other reader (a pooled buffer that learns when the transport is done
	// with it, as before) makes it flush the headers first, a second write
	// per call, and on loopback a write costs as much as the receiver's
	// whole TCP processing of it. The copy is a few hundred bytes.
	body := bytes.Clone(buf.req.Bytes())
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	// The client's transport, not the client: http.Client.Do copies every
	// request's headers in case it is redirected (the Bot API does not
	// redirect) and wraps errors in a url.Error carrying the URL, token
	// included. The transport's errors name no URL; should one ever carry
	// the token, it is cut out, at the price of the error's type.
	resp, err := c.httpc.Transport.RoundTrip(req)
	if err != nil {
		if c.token != "" && strings.Contains(err.Error(), c.token) {
			return fmt.Errorf("%s: %s", method, c.Redact(err))
		}
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	if n, err := buf.resp.ReadFrom(io.LimitReader(resp.Body, maxAnswer+1)); err != nil {
		return fmt.Errorf("%s: HTTP %d: read answer: %w", method, resp.StatusCode, err)
	} else if n > maxAnswer {
		return fmt.Errorf("%s: HTTP %d: answer longer than %d bytes", method, resp.StatusCode, maxAnswer)
	}
	if quickSuccess(buf.resp.Bytes(), result) {
		return nil
	}
	a := newAnswer(result)
	if err := json.Unmarshal(buf.resp.Bytes(), &a); err != nil {
		// The body is not quoted: a successful answer echoes the message.
		return fmt.Errorf("%s: HTTP %d: decode answer: %w", method, resp.StatusCode, err)
	}
	if !a.OK {
		return a.err(method)
	}
	return nil
}

// quickSuccess reports whether body is a successful answer whose result
// needs no decoding, or only its message_id, as the Bot API writes them:
// {"ok":true,"result":true} or {"ok":true,"result":{"message_id":7,…}}.
// It then sets the message_id of a *SentMessage result. The answer of a
// sendMessage echoes the whole message, keyboard included, and decoding
// it only to drop it was 2 % of the bot's CPU under load; anything else
// (a refusal, another order, another result) is decoded in full.
func quickSuccess(body []byte, result any) bool {
	rest, ok := bytes.CutPrefix(body, []byte(`{"ok":true,"result":`))
	if !ok || !bytes.HasSuffix(bytes.TrimRight(rest, " \r\n"), []byte("}")) {
		return false
	}
	switch r := result.(type) {
	case nil:
		return true
	case *SentMessage:
		rest, ok = bytes.CutPrefix(rest, []byte(`{"message_id":`))
		n, id := 0, 0
		for ; ok && n < len(rest) && n < 10 && rest[n] >= '0' && rest[n] <= '9'; n++ {
			id = id*10 + int(rest[n]-'0')
		}
		if !ok || n == 0 || n == len(rest) || rest[n] != ',' && rest[n] != '}' {
			return false
		}
		r.ID = id
		return true
	}
	return false
}

// answer is the part of a Bot API answer Call decodes.
type answer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int `json:"retry_after"`
		MigrateToChatID int `json:"migrate_to_chat_id"`
	} `json:"parameters"`
	// Result holds the caller's pointer: encoding/json decodes into the
	// value an interface points to.
	Result any `json:"result"`
}

// newAnswer returns an answer that decodes its result into result, or
// only checks it if result is nil.
func newAnswer(result any) answer {
	if result == nil {
		// A pointer: encoding/json decodes into what an interface points
		// to, but replaces a value it holds with a generic one (a map for
		// a Message). Zero size: not allocated.
		return answer{Result: &discard{}}
	}
	return answer{Result: result}
}

// err is a refusal as go-telegram/bot's rawRequest reports it, with the
// same values, types and texts (callers read the description, e.g. for
// "message is not modified").
func (a *answer) err(method string) error {
	switch a.ErrorCode {
	case http.StatusForbidden:
		return fmt.Errorf("%w, %s", tgbot.ErrorForbidden, a.Description)
	case http.StatusBadRequest:
		if a.Parameters.MigrateToChatID != 0 {
			return &tgbot.MigrateError{
				Message:         fmt.Sprintf("%s: %s", tgbot.ErrorBadRequest, a.Description),
				MigrateToChatID: a.Parameters.MigrateToChatID,
			}
		}
		return fmt.Errorf("%w, %s", tgbot.ErrorBadRequest, a.Description)
	case http.StatusUnauthorized:
		return fmt.Errorf("%w, %s", tgbot.ErrorUnauthorized, a.Description)
	case http.StatusNotFound:
		return fmt.Errorf("%w, %s", tgbot.ErrorNotFound, a.Description)
	case http.StatusConflict:
		return fmt.Errorf("%w, %s", tgbot.ErrorConflict, a.Description)
	case http.StatusTooManyRequests:
		return &tgbot.TooManyRequestsError{
			Message:    fmt.Sprintf("%s, %s", tgbot.ErrorTooManyRequests, a.Description),
			RetryAfter: a.Parameters.RetryAfter,
		}
	}
	return fmt.Errorf("%s: error %d: %s", method, a.ErrorCode, a.Description)
}

// discard is a result that is not decoded (json.Unmarshal still checks
// it); see newAnswer.
type discard struct{}

func (*discard) UnmarshalJSON([]byte) error { return nil }

// SentMessage is the part of a Message result the bot uses: pass a
// pointer to one as Call's result.
type SentMessage struct {
	ID int `json:"message_id"`
}

// callBuffers are a call's request (encoded there, sent as a copy) and
// answer.
type callBuffers struct {
	req, resp bytes.Buffer
}

var calls = sync.Pool{New: func() any { return new(callBuffers) }}

func (c *callBuffers) reset() {
	c.req.Reset()
	c.resp.Reset()
}

func (c *callBuffers) release() {
	if c.req.Cap() <= maxPooledCall && c.resp.Cap() <= maxPooledCall {
		calls.Put(c)
	}
}
