package botapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-telegram/bot/models"
)

// Webhook mode. Telegram POSTs each update to the URL given to setWebhook
// and counts it delivered when the answer is 2xx. The handler therefore
// answers only after the update has been handled: 200 when it was, 500
// when handling failed (Telegram retries; the session's last update id
// makes a repetition of a saved update harmless), 503 while shutting down
// (Telegram retries, possibly on another replica). go-telegram/bot's own
// webhook handler answers 200 on receipt, even to a wrong secret, and
// reads bodies without limit.

// maxWebhookBody bounds an update's JSON (updates are a few KiB).
const maxWebhookBody = 1 << 20

// secretHeader carries the secret_token given to setWebhook.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxWebhookInFlight bounds the webhook updates a process handles at once
// (memory grew to 320 MiB under overload without a bound).
const maxWebhookInFlight = 512

// Webhook is the HTTP handler of Telegram's webhook requests.
type Webhook struct {
	secret   string
	dispatch Dispatch
	log      *slog.Logger
	slots    chan struct{} // one per update being handled

	// accepting is the context dispatch watches for shutdown: cancelled
	// when Serve stops accepting.
	accepting     context.Context
	stopAccepting context.CancelFunc
}

// NewWebhook returns the handler of the webhook whose requests carry
// secret (the secret_token given to setWebhook; "" refuses every
// request). It hands every update to dispatch and logs refused requests
// to log.
func NewWebhook(secret string, dispatch Dispatch, log *slog.Logger) *Webhook {
	ctx, cancel := context.WithCancel(context.Background())
	return &Webhook{secret: secret, dispatch: dispatch, log: log,
		slots: make(chan struct{}, maxWebhookInFlight), accepting: ctx, stopAccepting: cancel}
}

// ServeHTTP checks the secret token in constant time (401 if wrong or
// missing), limits the body to 1 MiB (413), and answers when the update
// is handled: 200, or 500 if handling failed; 429 while too many updates
// are in hand, 503 once Serve stopped accepting.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(secretHeader)
	if h.secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.secret)) != 1 {
		h.log.Warn("bot: webhook request with a wrong secret token", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.log.Warn("bot: webhook body too large", "limit", maxWebhookBody)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	upd := &models.Update{}
	if err := DecodeUpdate(body, upd); err != nil || upd.ID == 0 {
		h.log.Warn("bot: webhook body is not an update", "size", len(body))
		http.Error(w, "not an update", http.StatusBadRequest)
		return
	}
	// Bound the updates held at once: past it Telegram is asked to come
	// back later instead of the process growing without limit.
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusTooManyRequests)
		return
	}
	res := make(chan error, 1)
	if !h.dispatch(h.accepting, upd, func(err error) { res <- err }) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	select {
	case err := <-res:
		if err != nil {
			http.Error(w, "update failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
		// Telegram gave up waiting; it will deliver the update again and
		// the engine recognises it if this handling saved it.
	}
}

// Serve serves the webhook on ln until ctx is done, then stops accepting
// updates (503: Telegram retries elsewhere) and lets the requests in
// flight finish with their updates, for at most maxRequest, which also
// bounds the writing of one request's answer (an update's handling). It
// returns an error only if serving failed before ctx was done.
func (h *Webhook) Serve(ctx context.Context, ln net.Listener, maxRequest time.Duration) error {
	return h.ServeHandler(ctx, ln, h, maxRequest)
}

// ServeHandler is Serve with handler answering the listener's requests:
// h itself, or a mux that routes the webhook's path to h and serves other
// paths beside it. Shutting down stops them all alike.
func (h *Webhook) ServeHandler(ctx context.Context, ln net.Listener, handler http.Handler, maxRequest time.Duration) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      maxRequest,
		IdleTimeout:       2 * time.Minute,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-done:
		return fmt.Errorf("webhook server: %w", err)
	}
	h.stopAccepting()
	sctx, cancel := context.WithTimeout(context.Background(), maxRequest)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		h.log.Warn("bot: webhook shutdown", "err", err)
	}
	return nil
}
