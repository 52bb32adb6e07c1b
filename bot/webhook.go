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
	if err := b.webhook.Serve(ctx, ln, 3*b.updateTimeout+10*time.Second); err != nil {
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
