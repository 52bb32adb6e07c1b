package bot

import (
	"context"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/conversation"
)

// handleUpdate is the one handler for every update: decode, ask the
// engine, answer the callback query, render the replies.
func (b *Bot) handleUpdate(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	ev := b.decode(upd)
	// Also after a panic: the chat's next update must not wait for a
	// reply that will never come.
	defer b.replied(ctx, ev)
	if ev.callbackID != "" {
		// Every callback query is answered exactly once, even when the
		// update is ignored or the engine panics, or the client keeps
		// spinning.
		answered := false
		defer func() {
			if !answered {
				b.answerCallback(ctx, ev, "")
			}
		}()
		replies, ok := b.ask(ctx, &ev)
		b.answerCallback(ctx, ev, firstToast(replies))
		answered = true
		if ok {
			b.send(ctx, ev, replies)
		}
		return
	}
	if replies, ok := b.ask(ctx, &ev); ok {
		b.send(ctx, ev, replies)
	}
}

// replied tells the engine that an applicant's input has been answered.
func (b *Bot) replied(ctx context.Context, ev event) {
	if ev.input != nil {
		b.eng.Replied(ctx, *ev.input)
	}
}

// ask runs the engine on the event within the per-update timeout. ok is
// false when the event is not for the engine.
func (b *Bot) ask(ctx context.Context, ev *event) (replies []conversation.Reply, ok bool) {
	if ev.input == nil && ev.review == nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
	defer cancel()
	var err error
	if in := ev.review; in != nil {
		// A plain message is chatter or the reason of a reviewer the desk
		// already knows: no getChatMember for every message of the group.
		plain := in.Data == "" && in.Command == "" && in.ReplyToText == ""
		if b.reviewAdmins && b.isReviewChat(in.ChatID) && in.ReviewerID != 0 && !plain {
			in.IsAdmin = b.isAdmin(ctx, in.ReviewerID)
		}
		replies, err = b.desk.Handle(ctx, *in)
	} else {
		in := ev.input
		stop := b.typing(ctx, in.ChatID)
		defer stop()
		if in.Kind == conversation.InputContact {
			b.setKeyboard(in.ChatID, true) // the contact keyboard was in use
		}
		if in.Document != nil {
			if derr := b.fetchDocument(ctx, in.Document); derr != nil {
				b.log.Warn("bot: document not downloaded", "update_id", ev.updateID, "chat_id", ev.chatID,
					"size", in.Document.Size, "err", b.redact(derr))
			}
		}
		replies, err = b.eng.Handle(ctx, *in)
	}
	if b.notices != nil {
		// The update may have recorded a notice (a submission, a decision).
		b.notices.signal()
	}
	if err != nil {
		// The replies still go out: they tell the user to retry and may
		// delete a message carrying a secret.
		b.log.Error("bot: engine failed", "update_id", ev.updateID, "chat_id", ev.chatID,
			"review", ev.review != nil, "err", err)
	}
	return replies, true
}

func firstToast(replies []conversation.Reply) string {
	for _, r := range replies {
		if r.Toast != "" {
			return r.Toast
		}
	}
	return ""
}

func (b *Bot) answerCallback(ctx context.Context, ev event, text string) {
	ctx, cancel := context.WithTimeout(ctx, b.updateTimeout)
	defer cancel()
	err := b.callRetried(ctx, "answerCallbackQuery", &tgbot.AnswerCallbackQueryParams{CallbackQueryID: ev.callbackID, Text: text})
	if err != nil {
		b.log.Warn("bot: answerCallbackQuery failed", "update_id", ev.updateID, "chat_id", ev.chatID, "err", b.redact(err))
	}
}

// typing shows "typing…" in the chat if the engine takes longer than
// b.typingDelay. stop, called once, cancels it and waits for a chat action
// in flight, so that it cannot arrive after the reply. Almost every update
// is answered well within the delay: then stop only stops a timer, with no
// goroutine started or waited for (a goroutine per update was ~3 % of the
// open loop's scheduling delay).
func (b *Bot) typing(ctx context.Context, chatID int64) (stop func()) {
	done := make(chan struct{})
	t := time.AfterFunc(b.typingDelay, func() {
		defer close(done)
		if ctx.Err() != nil {
			return
		}
		if err := b.api.Call(ctx, "sendChatAction", &tgbot.SendChatActionParams{ChatID: chatID, Action: models.ChatActionTyping}, nil); err != nil {
			b.log.Debug("bot: sendChatAction failed", "chat_id", chatID, "err", b.redact(err))
		}
	})
	return func() {
		if !t.Stop() {
			<-done // fired: the chat action is being sent, or was
		}
	}
}
