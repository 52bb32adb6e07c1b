package bot

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/regbot/regbot/internal/i18n"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/bot/botapi"
	"github.com/regbot/regbot/conversation"
)

// The engine sends no label for it, and one label serves both languages.

// maxKeyboardChats bounds the memory of chats that may show the contact
// keyboard; past it the set is dropped (a keyboard may then linger).
const maxKeyboardChats = 10000

// send renders the replies in order. Replies for the review group are
// stored (queueGroup) and sent later through the group's bucket, in order
// with the group's other messages; the rest are sent now, within the
// per-update timeout. A failed reply is logged and the next one is still
// tried.
func (b *Bot) send(ctx context.Context, ev event, replies []conversation.Reply) {
	var now, later []conversation.Reply
	for _, r := range replies {
		if r.ChatID == 0 {
			r.ChatID = ev.chatID
		}
		if b.outbox != nil && b.isReviewChat(r.ChatID) {
			later = append(later, r)
		} else {
			now = append(now, r)
		}
	}
	if len(later) > 0 {
		b.queueGroup(ctx, ev, later)
	}
	if len(now) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
	defer cancel()
	// A message carrying a secret is deleted alongside the answer, not
	// before it: the applicant sees the answer a Bot API round trip sooner
	// (or a retry_after sooner, when Telegram throttles the deletion), and
	// the deletion does not wait behind the answer either. Both are done
	// before the chat's next update is handled.
	var deletions sync.WaitGroup
	rest := make([]conversation.Reply, 0, len(now))
	for _, r := range now {
		if r.DeleteMessageID == 0 {
			rest = append(rest, r)
			continue
		}
		deletions.Go(func() { b.render(ctx, ev, []conversation.Reply{r}, direct, false, nil) })
	}
	b.render(ctx, ev, rest, direct, false, nil)
	deletions.Wait()
}

// queueGroup hands the review group's replies to an update to the
// durable outbox (notices.go), keyed by what they answer so that the
// update delivered again records them once, and returns once they are
// stored: the update is confirmed to Telegram only after that. Without a
// store, for replies that answer no update, or when the store fails, they
// go to the in-memory queue (outbox.go), which a crash loses.
func (b *Bot) queueGroup(ctx context.Context, ev event, replies []conversation.Reply) {
	replies = slices.DeleteFunc(replies, func(r conversation.Reply) bool {
		return r.Text == "" && r.Document == nil && r.DeleteMessageID == 0 && r.ClearButtonsOf == 0 // a toast
	})
	if len(replies) == 0 {
		return
	}
	if b.notices != nil && ev.replyKey != "" {
		key := ev.replyKey
		if o, _ := ctx.Value(outcomeKey{}).(*outcome); o != nil {
			if _, err := o.result(); err != nil {
				// The handling failed: its apology must not take the key
				// from the answer to the update delivered again (a
				// webhook's 500 makes Telegram retry).
				key += "|failed|" + strconv.FormatInt(time.Now().UnixNano(), 36)
			}
		}
		ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
		defer cancel()
		err := b.notices.store.AddReplies(ctx, key, replies)
		if err == nil {
			b.notices.group.signal()
			return
		}
		b.log.Warn("bot: the review group's replies not stored, sent from memory", "update_id", ev.updateID, "err", err)
	}
	b.outbox.enqueue(ev, replies)
}

// direct makes a call as it is (see render).
func direct(ctx context.Context, call func(context.Context) error) error { return call(ctx) }

// render performs replies (their ChatID set) in order, each through do,
// and returns how many succeeded and the first failure. A failed reply is
// logged; the next one is still tried unless stop is set. onSent, if not
// nil, is called after each reply done with (a new message's id, else 0),
// before the next is tried. Replies form a thread: a message or document
// replies to Reply.ReplyTo, and a document without it to the text message
// sent just before it in the same chat (the review notice and its PDFs).
func (b *Bot) render(ctx context.Context, ev event, replies []conversation.Reply, do func(context.Context, func(context.Context) error) error, stop bool, onSent func(messageID int)) (sent int, first error) {
	// A chat asked for its phone again keeps the keyboard: no removal
	// before the new request.
	asksContact := map[int64]bool{}
	for _, r := range replies {
		if r.RequestContact {
			asksContact[r.ChatID] = true
		}
	}
	lastText := map[int64]int{}
	for _, r := range replies {
		chatID := r.ChatID
		var method string
		var err error
		messageID := 0 // of a new message
		switch {
		case r.DeleteMessageID != 0:
			method = "deleteMessage"
			err = do(ctx, func(ctx context.Context) error { return b.deleteMessage(ctx, chatID, r.DeleteMessageID) })
		case r.Document != nil:
			method = "sendDocument"
			replyTo := cmp.Or(r.ReplyTo, lastText[chatID])
			err = do(ctx, func(ctx context.Context) error {
				return b.sendDocument(ctx, ev, chatID, r.Document, replyTo)
			})
		case r.ClearButtonsOf != 0:
			method = "editMessageReplyMarkup"
			err = do(ctx, func(ctx context.Context) error { return b.clearButtons(ctx, chatID, r.ClearButtonsOf) })
		case r.Text != "" && r.EditMessageID != 0:
			method = "editMessageText"
			err = do(ctx, func(ctx context.Context) error { return b.editMessage(ctx, ev, chatID, r) })
		case r.Text != "":
			method = "sendMessage"
			err = do(ctx, func(ctx context.Context) error {
				var err error
				messageID, err = b.sendMessage(ctx, chatID, r, asksContact[chatID], r.ReplyTo)
				return err
			})
			if err == nil {
				lastText[chatID] = messageID
				b.recordCard(ctx, ev, chatID, r.CardOf, messageID)
			}
		default:
			// A toast only: answered with the callback query.
			if onSent != nil {
				onSent(0)
			}
			continue
		}
		if err != nil {
			b.log.Warn("bot: reply failed", "update_id", ev.updateID, "chat_id", chatID,
				"method", method, "err", b.redact(err))
			if stop {
				return sent, err
			}
			if first == nil {
				first = err
			}
			continue
		}
		sent++
		if onSent != nil {
			onSent(messageID)
		}
	}
	return sent, first
}

// sendMessage sends r's text and returns the new message's id. replyTo,
// if not 0, is the message it replies to (sent anyway if that is gone).
func (b *Bot) sendMessage(ctx context.Context, chatID int64, r conversation.Reply, keepKeyboard bool, replyTo int) (int, error) {
	markup := b.markup(chatID, r, keepKeyboard)
	p := &tgbot.SendMessageParams{ChatID: chatID, Text: r.Text, ReplyMarkup: markup, ReplyParameters: replyParams(replyTo)}
	return withRetry(ctx, b, "sendMessage", func(ctx context.Context) (int, error) {
		var m botapi.SentMessage
		err := b.api.Call(ctx, "sendMessage", p, &m)
		return m.ID, err
	})
}

func replyParams(messageID int) *models.ReplyParameters {
	if messageID == 0 {
		return nil
	}
	return &models.ReplyParameters{MessageID: messageID, AllowSendingWithoutReply: true}
}

// markup picks the message's one reply_markup: the inline keyboard, else
// the contact keyboard, else ForceReply. Otherwise, if the chat may still
// show the contact keyboard (one was offered, or the user just shared a
// contact), the message removes it. In-memory state per process: with
// several replicas a keyboard may linger, which is cosmetic.
func (b *Bot) markup(chatID int64, r conversation.Reply, keepKeyboard bool) models.ReplyMarkup {
	switch {
	case len(r.Buttons) > 0:
		return b.inlineKeyboard(r.Buttons)
	case r.RequestContact:
		b.setKeyboard(chatID, true)
		return &models.ReplyKeyboardMarkup{
			Keyboard:        [][]models.KeyboardButton{{{Text: b.msgs.T(i18n.Chinese, "contact.button"), RequestContact: true}}},
			OneTimeKeyboard: true,
			ResizeKeyboard:  true,
		}
	case r.ForceReply:
		return &models.ForceReply{ForceReply: true}
	case len(r.Keyboard) > 0:
		b.setKeyboard(chatID, false) // replaces a contact keyboard
		kb := &models.ReplyKeyboardMarkup{ResizeKeyboard: true, IsPersistent: true}
		for _, row := range r.Keyboard {
			var buttons []models.KeyboardButton
			for _, label := range row {
				buttons = append(buttons, models.KeyboardButton{Text: label})
			}
			kb.Keyboard = append(kb.Keyboard, buttons)
		}
		return kb
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

// inlineKeyboard renders buttons; review buttons' data is signed.
func (b *Bot) inlineKeyboard(rows [][]conversation.Button) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: make([][]models.InlineKeyboardButton, 0, len(rows))}
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]models.InlineKeyboardButton, len(row))
		for i, btn := range row {
			if btn.WebAppURL != "" { // opens the Mini App (private chats only)
				out[i] = models.InlineKeyboardButton{Text: btn.Text, WebApp: &models.WebAppInfo{URL: btn.WebAppURL}}
				continue
			}
			// Always with callback data: a text-only button is refused.
			out[i] = models.InlineKeyboardButton{Text: btn.Text, CallbackData: b.signData(btn.Data)}
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
		markup = b.inlineKeyboard(r.Buttons)
	}
	err := b.callRetried(ctx, "editMessageText", &tgbot.EditMessageTextParams{ChatID: chatID,
		MessageID: r.EditMessageID, Text: r.Text, ReplyMarkup: markup})
	switch {
	case err == nil || isNotModified(err):
		return nil
	case errors.Is(err, tgbot.ErrorBadRequest):
		b.log.Info("bot: edit failed, sending a new message", "update_id", ev.updateID, "chat_id", chatID,
			"message_id", r.EditMessageID, "err", b.redact(err))
		r.EditMessageID = 0
		_, err := b.sendMessage(ctx, chatID, r, true, 0)
		return err
	}
	return err
}

func isNotModified(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified")
}

func (b *Bot) deleteMessage(ctx context.Context, chatID int64, messageID int) error {
	return b.callRetried(ctx, "deleteMessage", &tgbot.DeleteMessageParams{ChatID: chatID, MessageID: messageID})
}

// sendDocument sends a stored document by its file_id, or uploads it from
// the blob store when it has none or Telegram refuses the id (ids are per
// bot; a new token invalidates them). Forbidden (the user blocked the bot)
// and 429 (rate limited: the caller waits and tries again) are not worth an
// upload. replyTo, if not 0, is the message the document replies to.
func (b *Bot) sendDocument(ctx context.Context, ev event, chatID int64, d *conversation.OutDocument, replyTo int) error {
	if d.FileID != "" {
		_, err := withRetry(ctx, b, "sendDocument", func(ctx context.Context) (*models.Message, error) {
			return b.tg.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chatID,
				Document: &models.InputFileString{Data: d.FileID}, Caption: d.Caption, ReplyParameters: replyParams(replyTo)})
		})
		var tmr *tgbot.TooManyRequestsError
		if err == nil || errors.Is(err, tgbot.ErrorForbidden) || errors.As(err, &tmr) || ctx.Err() != nil ||
			d.BlobKey == "" || b.files == nil {
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
			Document: &models.InputFileUpload{Filename: name, Data: bytes.NewReader(data)}, Caption: d.Caption,
			ReplyParameters: replyParams(replyTo)})
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

// callRetried makes a lean JSON call without a result (botapi.Client.Call)
// through withRetry.
func (b *Bot) callRetried(ctx context.Context, method string, params any) error {
	_, err := withRetry(ctx, b, method, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.api.Call(ctx, method, params, nil)
	})
	return err
}

// clearButtons removes the inline keyboard of an answered question. A
// message that is gone or already without buttons is fine.
func (b *Bot) clearButtons(ctx context.Context, chatID int64, messageID int) error {
	err := b.callRetried(ctx, "editMessageReplyMarkup", &tgbot.EditMessageReplyMarkupParams{ChatID: chatID,
		MessageID: messageID, ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}})
	if errors.Is(err, tgbot.ErrorBadRequest) {
		return nil // not modified, or the message can no longer be edited
	}
	return err
}

// Deliver sends replies to a chat that no update of it asked for (a save
// of the Mini App form), in the chat's lane: after the replies of the
// updates being handled, before those of the updates that follow. It
// returns at once; Start waits for the sending on shutdown. Once Start is
// stopping (the form may still be served, on the ops listener, until the
// process ends), it sends them before it returns, within the drain
// timeout, so that the caller's request holds the process until they are
// out.
func (b *Bot) Deliver(chatID int64, replies []conversation.Reply) {
	if len(replies) == 0 {
		return
	}
	b.stopMu.Lock()
	if b.stopping {
		b.stopMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), b.drainTimeout)
		defer cancel()
		b.send(ctx, event{chatID: chatID}, replies)
		return
	}
	b.wg.Add(1)
	b.stopMu.Unlock()
	b.lanes.run(chatID, func() {
		defer b.wg.Done()
		b.send(context.Background(), event{chatID: chatID}, replies)
	})
}

// Send delivers replies that no update asked for (reminders), as if they
// answered an update of their first reply's chat.
func (b *Bot) Send(ctx context.Context, replies []conversation.Reply) {
	if len(replies) == 0 {
		return
	}
	b.send(ctx, event{chatID: replies[0].ChatID}, replies)
}

// Cards records the review group's messages that show an application;
// *postgres.DB implements it.
type Cards interface {
	AddCard(ctx context.Context, applicationID, chatID int64, messageID int) error
}

// WithCards sets where the messages marked Reply.CardOf are recorded.
func WithCards(c Cards) Option { return func(cfg *config) { cfg.cards = c } }

// recordCard records a sent card. A failure is logged: the card then
// misses later edits, which is cosmetic next to the message itself.
func (b *Bot) recordCard(ctx context.Context, ev event, chatID, appID int64, messageID int) {
	if appID == 0 || b.cards == nil {
		return
	}
	if err := b.cards.AddCard(context.WithoutCancel(ctx), appID, chatID, messageID); err != nil {
		b.log.Warn("bot: review card not recorded", "update_id", ev.updateID, "chat_id", chatID,
			"application", appID, "err", err)
	}
}
