// Package webapp serves the Telegram Mini App form (SPEC §2.12): one page
// of static files embedded in the binary (no build step, no CDN, no
// framework) and a small JSON API over the conversation engine's form
// (conversation.Engine.Form, CheckForm, SaveForm).
//
// Every API request carries the launch data Telegram gave the page
// (initData, in the header "Authorization: tma <initData>"). The server
// verifies its signature with the bot's token (initdata.go) and refuses
// data older than an hour; the user it names is the applicant, and the
// chat whose draft the form reads and writes is that user's private chat
// with the bot. A forged, altered or stale request changes nothing and
// gets 401.
//
// The page works without Telegram's JavaScript SDK: it reads tgWebAppData
// from its URL's fragment, where Telegram puts it, and talks to the
// Telegram client (the main button, the theme, closing) with the client's
// own event protocol. Opened in a plain browser with launch data in the
// fragment, it works the same, with a plain save button: that is how the
// browser tests and the development console use it.
//
// API, relative to the page:
//
//	GET  api/form   the form, prefilled from the draft (conversation.Form)
//	POST api/check  the page's values checked as a save would (FormResult)
//	POST api/save   the values saved into the draft (FormResult); the
//	                chat's replies go to Deliver
//
// 200 with the result; 409 when the form cannot be used now (no draft,
// submitted: the result's closed text); 422 for a refused save (the
// result's errors); 401, 413, 429, 503 with {"error": text}. Texts are in
// the draft's language, or the client's when there is no draft to ask.
// Each API answer carries the server's time for it in Server-Timing
// (app;dur=milliseconds, and engine;dur= the part spent in the form's
// engine), which the load tool reads.
package webapp

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/i18n"
)

// Forms is the form of a chat's draft; *conversation.Engine implements it.
type Forms interface {
	// Form returns the chat's form, prefilled (Closed set when it cannot
	// be used now).
	Form(ctx context.Context, chatID int64) (conversation.Form, error)
	// CheckForm reports what a save of in would refuse, changing nothing.
	CheckForm(ctx context.Context, chatID int64, in conversation.FormInput) (conversation.FormResult, error)
	// SaveForm saves in into the draft if nothing is refused, returning
	// the replies for the chat. Errors are store failures.
	SaveForm(ctx context.Context, chatID int64, in conversation.FormInput) (conversation.FormResult, []conversation.Reply, error)
}

// Options configure a Server; Token, Forms and Deliver are required.
type Options struct {
	Token string // the bot's token: it signs the launch data
	Forms Forms
	// Deliver sends a save's replies to the chat (bot.Bot.Deliver).
	Deliver func(chatID int64, replies []conversation.Reply)
	// Messages holds the texts (nil: the built-in ones).
	Messages *i18n.Catalog
	Logger   *slog.Logger
	Now      func() time.Time
	// MaxAge is how old launch data may be (default and at most an hour).
	MaxAge time.Duration
	// Observe, if set, is told of every API request: its endpoint (form,
	// check, save), status and duration.
	Observe func(endpoint string, status int, d time.Duration)
	// Rate and Burst limit each user's API requests (default 5 a second
	// after a burst of 20; a negative Rate lifts the limit).
	Rate  rate.Limit
	Burst int
}

// Server is the Mini App's HTTP handler, serving its page and API at the
// root of what it is given: mount it with http.StripPrefix.
type Server struct {
	o     Options
	log   *slog.Logger
	msgs  *i18n.Catalog
	now   func() time.Time
	mu    sync.Mutex
	users map[int64]*rate.Limiter
}

// saveTimeout bounds a save, which the page's going away does not cut
// short.
const saveTimeout = 30 * time.Second

// maxBody bounds a request's JSON (a whole form is about 2 KiB).
const maxBody = 64 << 10

// maxUsers bounds the per-user limiters kept; past it they are dropped.
const maxUsers = 10000

//go:embed static
var static embed.FS

// New returns a Server. It panics if a required option is missing.
func New(o Options) *Server {
	if o.Token == "" || o.Forms == nil || o.Deliver == nil {
		panic("webapp: New needs Token, Forms and Deliver")
	}
	if o.MaxAge <= 0 || o.MaxAge > time.Hour {
		o.MaxAge = time.Hour
	}
	if o.Rate == 0 {
		o.Rate, o.Burst = 5, 20
	}
	s := &Server{o: o, log: o.Logger, msgs: o.Messages, now: o.Now, users: map[int64]*rate.Limiter{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.msgs == nil {
		s.msgs = i18n.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// ServeHTTP serves the page at "/" and the API under "/api/".
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Telegram's web clients show a Mini App in a frame of their own.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "+
		"img-src 'self' data:; base-uri 'none'; form-action 'none'; "+
		"frame-ancestors 'self' https://web.telegram.org https://*.telegram.org")
	switch p := r.URL.Path; {
	case p == "/" || p == "" || p == "/index.html":
		s.file(w, r, "index.html")
	case p == "/app.js" || p == "/app.css":
		s.file(w, r, strings.TrimPrefix(p, "/"))
	case p == "/api/form":
		s.api(w, r, "form", http.MethodGet)
	case p == "/api/check":
		s.api(w, r, "check", http.MethodPost)
	case p == "/api/save":
		s.api(w, r, "save", http.MethodPost)
	default:
		http.NotFound(w, r)
	}
}

// file serves an embedded file; it is revalidated on each load, so a new
// release's page is never mixed with an old script.
func (s *Server) file(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, static, "static/"+name)
}

// api runs one API request: method, launch data, the per-user limit, the
// body, then the endpoint.
func (s *Server) api(w http.ResponseWriter, r *http.Request, endpoint, method string) {
	start := time.Now()
	var engine time.Duration // of it, in the form's engine (draft read, rules, draft written)
	status := http.StatusOK
	defer func() {
		if s.o.Observe != nil {
			s.o.Observe(endpoint, status, time.Since(start))
		}
	}()
	reply := func(code int, v any) {
		status = code
		body, err := json.Marshal(v)
		if err != nil {
			code, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
			status = code
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Server-Timing", fmt.Sprintf("app;dur=%.3f, engine;dur=%.3f", msec(time.Since(start)), msec(engine)))
		w.WriteHeader(code)
		w.Write(body)
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		reply(http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
		return
	}
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "tma ")
	id, err := Verify(raw, s.o.Token, s.now(), s.o.MaxAge)
	if err != nil {
		s.log.Warn("webapp: launch data refused", "endpoint", endpoint, "reason", err.Error(), "remote", r.RemoteAddr)
		reply(http.StatusUnauthorized, map[string]string{"error": s.msgs.T(claimedLanguage(raw), "form.unauthorized")})
		return
	}
	lang := i18n.Match(id.Language)
	if !s.allow(id.UserID) {
		w.Header().Set("Retry-After", "1")
		reply(http.StatusTooManyRequests, map[string]string{"error": s.msgs.T(lang, "form.slow_down")})
		return
	}
	var in conversation.FormInput
	if method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			reply(http.StatusRequestEntityTooLarge, map[string]string{"error": "request body too large"})
			return
		case err != nil:
			reply(http.StatusBadRequest, map[string]string{"error": "cannot read the request"})
			return
		}
		if err := json.Unmarshal(body, &in); err != nil {
			reply(http.StatusBadRequest, map[string]string{"error": "not a form"})
			return
		}
	}
	chatID := id.UserID // a private chat's id is its user's
	unavailable := func(err error) {
		s.log.Error("webapp: form failed", "endpoint", endpoint, "chat_id", chatID, "err", err)
		reply(http.StatusServiceUnavailable, map[string]string{"error": s.msgs.T(lang, "retry.later")})
	}
	t0 := time.Now()
	switch endpoint {
	case "form":
		f, err := s.o.Forms.Form(r.Context(), chatID)
		engine = time.Since(t0)
		if err != nil {
			unavailable(err)
			return
		}
		reply(closedStatus(f.Closed, http.StatusOK), f)
	case "check":
		res, err := s.o.Forms.CheckForm(r.Context(), chatID, in)
		engine = time.Since(t0)
		if err != nil {
			unavailable(err)
			return
		}
		reply(closedStatus(res.Closed, http.StatusOK), res)
	case "save":
		// The save is not cut short when the page goes away mid-request:
		// the draft and the chat's replies go together. It has its own
		// deadline instead: a hung database must not hold it for ever.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), saveTimeout)
		res, out, err := s.o.Forms.SaveForm(ctx, chatID, in)
		cancel()
		engine = time.Since(t0)
		if err != nil {
			unavailable(err)
			return
		}
		if res.Saved {
			s.o.Deliver(chatID, out)
			reply(http.StatusOK, res)
			return
		}
		reply(closedStatus(res.Closed, http.StatusUnprocessableEntity), res)
	}
}

func msec(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func closedStatus(closed string, otherwise int) int {
	if closed != "" {
		return http.StatusConflict
	}
	return otherwise
}

// allow takes a token of the user's rate limit.
func (s *Server) allow(user int64) bool {
	if s.o.Rate < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.users[user]
	if l == nil {
		if len(s.users) >= maxUsers {
			clear(s.users)
		}
		l = rate.NewLimiter(s.o.Rate, s.o.Burst)
		s.users[user] = l
	}
	return l.Allow()
}

// claimedLanguage is the language refused launch data claims: only to
// word the refusal.
func claimedLanguage(raw string) string {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return i18n.Chinese
	}
	var user struct {
		Language string `json:"language_code"`
	}
	_ = json.Unmarshal([]byte(vals.Get("user")), &user)
	return i18n.Match(user.Language)
}
