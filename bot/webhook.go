package bot

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}

// WithWebhook switches Start to webhook mode: it registers publicURL with
// setWebhook and the secret, and serves WebhookHandler on listen (TLS is
// terminated in front). Without it Start long-polls.
func WithWebhook(publicURL, listen, secret string) Option {
	return func(c *config) { c.webhookURL, c.webhookListen, c.webhookSecret = publicURL, listen, secret }
}

// WithWebhookRoute serves h under the path prefix (ending in "/") on the
// webhook's listener, beside the webhook (the Mini App's page and API);
// requests for other paths reach the webhook as before. Only in webhook
// mode.
func WithWebhookRoute(prefix string, h http.Handler) Option {
	return func(c *config) { c.routes = append(c.routes, route{prefix, h}) }
}

// route is a handler served under a path prefix beside the webhook.
type route struct {
	prefix string
	h      http.Handler
}

// WebhookHandler returns the handler of Telegram's webhook requests. It
// checks the secret token in constant time (401 if wrong or missing),
// limits the body to 1 MiB (413), and answers when the update is handled:
// 200, or 500 when the engine failed or panicked, so that Telegram
// delivers it again (botapi.Webhook).
func (b *Bot) WebhookHandler() http.Handler { return b.webhook }

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
	b.log.Info("bot: webhook", "listen", ln.Addr().String(), "review_chat_id", b.reviewChatID)
	// An update may wait for its chat's earlier ones and then take up to
	// twice the update timeout (engine, then replies).
	var h http.Handler = b.webhook
	if len(b.routes) > 0 {
		mux := http.NewServeMux()
		mux.Handle("/", b.webhook)
		for _, r := range b.routes {
			mux.Handle(r.prefix, r.h)
		}
		h = mux
	}
	if err := b.webhook.ServeHandler(ctx, ln, h, 3*b.updateTimeout+10*time.Second); err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	return nil
}

// WebhookAddr is the address the webhook server listens on ("" before
// Start has bound it); useful with WEBHOOK_LISTEN=":0".
func (b *Bot) WebhookAddr() string {
	s, _ := b.webhookAddr.Load().(string)
	return s
}
