package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Webhook mode. Telegram POSTs each update to WEBHOOK_URL and counts it
// delivered when the answer is 2xx. The handler therefore answers only
// after the update has been handled (replies sent): 200 when it was, 500
// when the engine failed or panicked (Telegram retries; the session's last
// update id makes a repetition of a saved update harmless), 503 while
// shutting down (Telegram retries, possibly on another replica). go-telegram/bot's
// own webhook handler answers 200 on receipt, even to a wrong secret, and
// reads bodies without limit.

// maxWebhookBody bounds an update's JSON (updates are a few KiB).
const maxWebhookBody = 1 << 20

// secretHeader carries the secret_token given to setWebhook.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}

// WithWebhook switches Start to webhook mode: it registers publicURL with
// setWebhook and the secret, and serves WebhookHandler on listen (TLS is
// terminated in front). Without it Start long-polls.
func WithWebhook(publicURL, listen, secret string) Option {
	return func(c *config) { c.webhookURL, c.webhookListen, c.webhookSecret = publicURL, listen, secret }
}

// WebhookHandler returns the handler of Telegram's webhook requests. It
// checks the secret token in constant time (401 if wrong or missing),
// limits the body to 1 MiB (413), and answers when the update is handled.
func (b *Bot) WebhookHandler() http.Handler {
	return http.HandlerFunc(b.serveWebhook)
}

// maxWebhookInFlight bounds the webhook updates a process handles at once
// (memory grew to 320 MiB under overload without a bound).
const maxWebhookInFlight = 512

func (b *Bot) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(secretHeader)
	if b.webhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(b.webhookSecret)) != 1 {
		b.log.Warn("bot: webhook request with a wrong secret token", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			b.log.Warn("bot: webhook body too large", "limit", maxWebhookBody)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	upd := &models.Update{}
	if err := json.Unmarshal(body, upd); err != nil || upd.ID == 0 {
		b.log.Warn("bot: webhook body is not an update", "size", len(body))
		http.Error(w, "not an update", http.StatusBadRequest)
		return
	}
	// Bound the updates held at once: past it Telegram is asked to come
	// back later instead of the process growing without limit.
	select {
	case b.webhookSlots <- struct{}{}:
		defer func() { <-b.webhookSlots }()
	default:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusTooManyRequests)
		return
	}
	res := make(chan error, 1)
	if !b.dispatch(b.webhookCtx(), upd, func(err error) { res <- err }) {
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

// webhookCtx is the context dispatch watches for shutdown: cancelled when
// Start stops accepting.
func (b *Bot) webhookCtx() context.Context {
	b.webhookMu.Lock()
	defer b.webhookMu.Unlock()
	if b.accepting == nil {
		ctx, cancel := context.WithCancel(context.Background())
		b.accepting, b.stopAccepting = ctx, cancel
	}
	return b.accepting
}

// runWebhook runs Start's webhook mode: setWebhook, serve until ctx is
// done, then stop accepting and wait for the requests in flight.
func (b *Bot) runWebhook(ctx context.Context) error {
	ln, err := net.Listen("tcp", b.webhookListen)
	if err != nil {
		return fmt.Errorf("bot: webhook listen: %w", err)
	}
	b.webhookAddr.Store(ln.Addr().String())
	_, err = withRetry(ctx, b, "setWebhook", func(ctx context.Context) (bool, error) {
		return b.tg.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: b.webhookURL, SecretToken: b.webhookSecret,
			AllowedUpdates: allowedUpdates, MaxConnections: 40})
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("bot: setWebhook: %s", b.redact(err))
	}
	srv := &http.Server{
		Handler:           b.WebhookHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// An update may wait for its chat's earlier ones and then take up
		// to twice the update timeout (engine, then replies).
		WriteTimeout: 3*b.updateTimeout + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	b.log.Info("bot: webhook", "listen", ln.Addr().String(), "review_chat_id", b.reviewChatID)
	select {
	case <-ctx.Done():
	case err := <-done:
		return fmt.Errorf("bot: webhook server: %w", err)
	}
	// Stop accepting new updates (503: Telegram retries elsewhere), let
	// the requests in flight finish with their updates.
	b.webhookCtx()
	b.stopAccepting()
	sctx, cancel := context.WithTimeout(context.Background(), 3*b.updateTimeout+10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		b.log.Warn("bot: webhook shutdown", "err", err)
	}
	return nil
}

// WebhookAddr is the address the webhook server listens on ("" before
// Start has bound it); useful with WEBHOOK_LISTEN=":0".
func (b *Bot) WebhookAddr() string {
	s, _ := b.webhookAddr.Load().(string)
	return s
}
