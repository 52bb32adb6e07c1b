package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/conversation"
)

// contactLabel is the text of the "share my phone number" keyboard button.
// The engine sends no label for it, and one label serves both languages.
const contactLabel = "📱 分享手机号 / Share phone"

// maxKeyboardChats bounds the memory of chats that may show the contact
// keyboard; past it the set is dropped (a keyboard may then linger).
const maxKeyboardChats = 10000

// send renders the replies in order, within the per-update timeout. A
// failed reply is logged and the next one is still tried.
func (b *Bot) send(ctx context.Context, ev event, replies []conversation.Reply) {
	if len(replies) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
	defer cancel()
	chatOf := func(r conversation.Reply) int64 {
		if r.ChatID != 0 {
			return r.ChatID
		}
		return ev.chatID
	}
	// A chat asked for its phone again keeps the keyboard: no removal
	// before the new request.
	asksContact := map[int64]bool{}
	for _, r := range replies {
		if r.RequestContact {
			asksContact[chatOf(r)] = true
		}
	}
	for _, r := range replies {
		chatID := chatOf(r)
		var method string
		var err error
		switch {
		case r.DeleteMessageID != 0:
			method, err = "deleteMessage", b.deleteMessage(ctx, chatID, r.DeleteMessageID)
		case r.Document != nil:
			method, err = "sendDocument", b.sendDocument(ctx, ev, chatID, r.Document)
		case r.Text != "" && r.EditMessageID != 0:
			method, err = "editMessageText", b.editMessage(ctx, ev, chatID, r)
		case r.Text != "":
			method, err = "sendMessage", b.sendMessage(ctx, chatID, r, asksContact[chatID])
		default:
			continue // a toast only: answered with the callback query
		}
		if err != nil {
			b.log.Warn("bot: reply failed", "update_id", ev.updateID, "chat_id", chatID,
				"method", method, "err", b.redact(err))
		}
	}
}

func (b *Bot) sendMessage(ctx context.Context, chatID int64, r conversation.Reply, keepKeyboard bool) error {
	markup := b.markup(chatID, r, keepKeyboard)
	_, err := withRetry(ctx, b, "sendMessage", func(ctx context.Context) (*models.Message, error) {
		return b.tg.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chatID, Text: r.Text, ReplyMarkup: markup})
	})
	return err
}

// markup picks the message's one reply_markup: the inline keyboard, else
// the contact keyboard, else ForceReply. Otherwise, if the chat may still
// show the contact keyboard (one was offered, or the user just shared a
// contact), the message removes it. In-memory state per process: with
// several replicas a keyboard may linger, which is cosmetic.
func (b *Bot) markup(chatID int64, r conversation.Reply, keepKeyboard bool) models.ReplyMarkup {
	switch {
	case len(r.Buttons) > 0:
		return inlineKeyboard(r.Buttons)
	case r.RequestContact:
		b.setKeyboard(chatID, true)
		return &models.ReplyKeyboardMarkup{
			Keyboard:        [][]models.KeyboardButton{{{Text: contactLabel, RequestContact: true}}},
			OneTimeKeyboard: true,
			ResizeKeyboard:  true,
		}
	case r.ForceReply:
		return &models.ForceReply{ForceReply: true}
	case !keepKeyboard && b.setKeyboard(chatID, false):
		return &models.ReplyKeyboardRemove{RemoveKeyboard: true}
	}
	return nil // an untyped nil: a typed one would be sent as "null"
}

// setKeyboard records whether the chat may show the contact keyboard and
// reports whether it could before.
func (b *Bot) setKeyboard(chatID int64, shown bool) (was bool) {
	b.kbMu.Lock()
	defer b.kbMu.Unlock()
	was = b.keyboard[chatID]
	switch {
	case shown && !was:
		if len(b.keyboard) >= maxKeyboardChats {
			clear(b.keyboard)
		}
		b.keyboard[chatID] = true
	case !shown && was:
		delete(b.keyboard, chatID)
	}
	return was
}

func inlineKeyboard(rows [][]conversation.Button) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: make([][]models.InlineKeyboardButton, 0, len(rows))}
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]models.InlineKeyboardButton, len(row))
		for i, btn := range row {
			// Always with callback data: a text-only button is refused.
			out[i] = models.InlineKeyboardButton{Text: btn.Text, CallbackData: btn.Data}
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, out)
	}
	return kb
}

// editMessage replaces a message's text and inline keyboard (no buttons
// removes the keyboard). "Not modified" counts as success; a message that
// can no longer be edited (deleted, too old) is sent anew instead, so the
// user still sees the question.
func (b *Bot) editMessage(ctx context.Context, ev event, chatID int64, r conversation.Reply) error {
	var markup models.ReplyMarkup
	if len(r.Buttons) > 0 {
		markup = inlineKeyboard(r.Buttons)
	}
	_, err := withRetry(ctx, b, "editMessageText", func(ctx context.Context) (*models.Message, error) {
		return b.tg.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: r.EditMessageID,
			Text: r.Text, ReplyMarkup: markup})
	})
	switch {
	case err == nil || isNotModified(err):
		return nil
	case errors.Is(err, tgbot.ErrorBadRequest):
		b.log.Info("bot: edit failed, sending a new message", "update_id", ev.updateID, "chat_id", chatID,
			"message_id", r.EditMessageID, "err", b.redact(err))
		r.EditMessageID = 0
		return b.sendMessage(ctx, chatID, r, true)
	}
	return err
}

func isNotModified(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified")
}

func (b *Bot) deleteMessage(ctx context.Context, chatID int64, messageID int) error {
	_, err := withRetry(ctx, b, "deleteMessage", func(ctx context.Context) (bool, error) {
		return b.tg.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: chatID, MessageID: messageID})
	})
	return err
}

// sendDocument sends a stored document by its file_id, or uploads it from
// the blob store when it has none or Telegram refuses the id (ids are per
// bot; a new token invalidates them). Forbidden (the user blocked the bot)
// is not worth an upload.
func (b *Bot) sendDocument(ctx context.Context, ev event, chatID int64, d *conversation.OutDocument) error {
	if d.FileID != "" {
		_, err := withRetry(ctx, b, "sendDocument", func(ctx context.Context) (*models.Message, error) {
			return b.tg.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chatID,
				Document: &models.InputFileString{Data: d.FileID}, Caption: d.Caption})
		})
		if err == nil || errors.Is(err, tgbot.ErrorForbidden) || ctx.Err() != nil || d.BlobKey == "" || b.files == nil {
			return err
		}
		b.log.Info("bot: sending document by file_id failed, uploading", "update_id", ev.updateID,
			"chat_id", chatID, "err", b.redact(err))
	}
	if d.BlobKey == "" || b.files == nil {
		return errors.New("document has no file_id and no blob to upload")
	}
	data, err := b.files.Get(ctx, d.BlobKey)
	if err != nil {
		return fmt.Errorf("files: get blob: %w", err)
	}
	name := d.FileName
	if name == "" {
		name = "document.pdf"
	}
	_, err = withRetry(ctx, b, "sendDocument", func(ctx context.Context) (*models.Message, error) {
		// A fresh reader per attempt: a retry must upload the whole file.
		return b.tg.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chatID,
			Document: &models.InputFileUpload{Filename: name, Data: bytes.NewReader(data)}, Caption: d.Caption})
	})
	return err
}

// Rate limits: a 429 is retried up to maxRetries times after the
// retry_after Telegram asks for. A longer wait than maxRetryWait, or one
// past the context's deadline, gives up at once.
const (
	maxRetries   = 3
	maxRetryWait = 30 * time.Second
)

func withRetry[T any](ctx context.Context, b *Bot, method string, call func(context.Context) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := call(ctx)
		var tmr *tgbot.TooManyRequestsError
		if err == nil || attempt == maxRetries || !errors.As(err, &tmr) {
			return v, err
		}
		wait := time.Duration(max(tmr.RetryAfter, 1)) * time.Second
		if wait > maxRetryWait {
			return v, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return v, err
		}
		b.log.Warn("bot: rate limited", "method", method, "retry_after", tmr.RetryAfter, "attempt", attempt+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, err
		case <-t.C:
		}
	}
}
