package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// event is a decoded update: at most one of input and review is set.
type event struct {
	updateID   int64
	chatID     int64  // where replies with ChatID 0 go
	callbackID string // to answer, for a callback query
	messageID  int    // for a callback query: the message its button is on
	input      *conversation.Input
	review     *review.Input
	// replyKey names what a review event answers, for the review group's
	// replies stored durably (queueGroup): the group's message, or the
	// button press. Unlike the update id, which Telegram may pick anew
	// after a quiet week, neither is ever reused.
	replyKey string
}

// decode maps an update to an event. Updates the bot does not handle (other
// groups, channel posts, non-text messages in the review group) give an
// event with neither input nor review; a callback query among them is
// still answered.
func (b *Bot) decode(upd *models.Update) event {
	ev := event{updateID: upd.ID, chatID: laneKey(upd)}
	switch {
	case upd.Message != nil:
		m := upd.Message
		switch {
		case b.isReviewChat(m.Chat.ID):
			ev.review = b.reviewMessage(upd.ID, m)
			ev.replyKey = "m:" + strconv.FormatInt(m.Chat.ID, 10) + ":" + strconv.Itoa(m.ID)
		case m.Chat.Type == models.ChatTypePrivate:
			ev.input = b.privateMessage(upd.ID, m)
		}
	case upd.CallbackQuery != nil:
		cq := upd.CallbackQuery
		ev.callbackID = cq.ID
		chatID, chatType, msgID := callbackChat(cq)
		ev.messageID = msgID
		switch {
		case b.isReviewChat(chatID) || isReviewData(cq.Data):
			in := &review.Input{UpdateID: upd.ID, ChatID: chatID, ReviewerID: cq.From.ID,
				ReviewerName: displayName(&cq.From), MessageID: msgID, Data: cq.Data}
			if isReviewData(cq.Data) {
				var ok bool
				in.Data, ok = b.verifyData(cq.Data)
				in.Tampered = !ok
				if !ok {
					b.log.Warn("bot: review button with a bad signature", "update_id", upd.ID,
						"chat_id", chatID, "user_id", cq.From.ID)
				}
			}
			ev.review = in
			ev.replyKey = "c:" + cq.ID
		case chatType == models.ChatTypePrivate:
			ev.input = &conversation.Input{UpdateID: upd.ID, ChatID: chatID, UserID: cq.From.ID,
				MessageID: msgID, Kind: conversation.InputButton, Data: cq.Data, LangHint: cq.From.LanguageCode}
		}
	}
	return ev
}

func (b *Bot) isReviewChat(id int64) bool { return b.reviewChatID != 0 && id == b.reviewChatID }

// callbackChat returns the chat and message a button was on. The message
// may be inaccessible (too old): its chat and id are still known. Without
// a message (inline mode, unused here) the chat is the presser's private
// chat.
func callbackChat(cq *models.CallbackQuery) (chatID int64, chatType models.ChatType, msgID int) {
	switch {
	case cq.Message.Message != nil:
		m := cq.Message.Message
		return m.Chat.ID, m.Chat.Type, m.ID
	case cq.Message.InaccessibleMessage != nil:
		m := cq.Message.InaccessibleMessage
		return m.Chat.ID, m.Chat.Type, m.MessageID
	}
	return cq.From.ID, models.ChatTypePrivate, 0
}

// privateMessage decodes an applicant's message. A document's bytes are
// fetched later, by fetchDocument, because that needs the network.
func (b *Bot) privateMessage(updateID int64, m *models.Message) *conversation.Input {
	in := &conversation.Input{UpdateID: updateID, ChatID: m.Chat.ID, MessageID: m.ID}
	if m.From != nil {
		in.UserID, in.LangHint = m.From.ID, m.From.LanguageCode
	}
	switch {
	case m.Contact != nil:
		in.Kind = conversation.InputContact
		in.Contact = &conversation.Contact{Phone: m.Contact.PhoneNumber, UserID: m.Contact.UserID}
	case m.Document != nil:
		in.Kind = conversation.InputDocument
		in.Text, in.MediaGroupID = m.Caption, m.MediaGroupID
		in.Document = &conversation.Document{FileID: m.Document.FileID, FileName: m.Document.FileName,
			MIMEType: m.Document.MimeType, Size: m.Document.FileSize}
	case len(m.Photo) > 0:
		// The largest size comes last; it is fetched like a document so the
		// engine can offer to turn it into a PDF.
		p := m.Photo[len(m.Photo)-1]
		in.Kind = conversation.InputPhoto
		in.Text, in.MediaGroupID = m.Caption, m.MediaGroupID
		in.Document = &conversation.Document{FileID: p.FileID, FileName: "photo.jpg", MIMEType: "image/jpeg", Size: int64(p.FileSize)}
	case m.Text != "":
		if cmd, args, _, ok := parseCommand(m.Text); ok {
			// Input has no Args field: the rest of the line goes in Text.
			in.Kind, in.Command, in.Text = conversation.InputCommand, cmd, args
		} else {
			in.Kind, in.Text = conversation.InputText, m.Text
		}
	default:
		in.Kind = conversation.InputOther
		in.Text = m.Caption
	}
	return in
}

// reviewMessage decodes a text message in the review group: a command,
// or a text that may be a rejection reason (a reply to the bot's prompt,
// or a reviewer's message beside it: the desk tells them from chatter).
// Commands addressed to another bot, and replies to other people's
// messages (addressed to them), give nil.
func (b *Bot) reviewMessage(updateID int64, m *models.Message) *review.Input {
	if m.Text == "" || m.From == nil {
		return nil
	}
	in := &review.Input{UpdateID: updateID, ChatID: m.Chat.ID, ReviewerID: m.From.ID,
		ReviewerName: displayName(m.From), MessageID: m.ID, Text: m.Text}
	isCommand := false
	if cmd, args, target, ok := parseCommand(m.Text); ok {
		if target != "" && b.username != "" && !strings.EqualFold(target, b.username) {
			return nil
		}
		in.Command, in.Args, isCommand = cmd, args, true
	}
	// In a forum topic every message replies to the topic's first message:
	// that is no reply to anyone.
	if r := m.ReplyToMessage; r != nil && r.ForumTopicCreated == nil {
		if !b.fromMe(r) {
			if isCommand {
				return in
			}
			return nil
		}
		in.ReplyToText = r.Text
		if in.ReplyToText == "" {
			in.ReplyToText = r.Caption
		}
	}
	return in
}

// fromMe reports whether the bot wrote m. Only replies to the bot's own
// messages count, so that nobody can quote a forged marker.
func (b *Bot) fromMe(m *models.Message) bool {
	// Without getMe (WithSkipGetMe) the bot's id is unknown: then at least
	// the message must come from a bot, not from a group member.
	id := b.tg.ID()
	return m.From != nil && (m.From.ID == id || id == 0 && m.From.IsBot)
}

func displayName(u *models.User) string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	if u.Username != "" {
		return "@" + u.Username
	}
	return fmt.Sprintf("user %d", u.ID)
}

// commandRE is Telegram's command syntax: up to 32 letters, digits or
// underscores, optionally addressed to a bot.
var commandRE = regexp.MustCompile(`^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?$`)

// parseCommand splits "/Cmd@bot rest" into "cmd", "rest" and "bot". A text
// whose first word is not a well-formed command (such as a password that
// starts with "/" and has other symbols) is not one.
func parseCommand(text string) (cmd, args, target string, ok bool) {
	head, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		head, rest = text[:i], text[i:]
	}
	mm := commandRE.FindStringSubmatch(head)
	if mm == nil {
		return "", "", "", false
	}
	return strings.ToLower(mm[1]), strings.TrimSpace(rest), mm[2], true
}

var errTooLarge = errors.New("file too large")

// fetchDocument downloads a document announced within the size limit. On
// failure Data stays nil and the error is returned for the log. A file
// found larger than announced (getFile's size, or the download itself)
// gets its real Size, so that the engine refuses it for its size rather
// than asking for it again as a failed download.
func (b *Bot) fetchDocument(ctx context.Context, d *conversation.Document) error {
	if d.Size > domain.MaxAttachmentSize || d.FileID == "" {
		return nil
	}
	f, err := withRetry(ctx, b, "getFile", func(ctx context.Context) (*models.File, error) {
		return b.tg.GetFile(ctx, &tgbot.GetFileParams{FileID: d.FileID})
	})
	if err != nil {
		return fmt.Errorf("getFile: %w", err)
	}
	if f.FileSize > domain.MaxAttachmentSize {
		d.Size = f.FileSize
		return errTooLarge
	}
	// One byte over the limit is enough for the engine to reject the file.
	data, err := b.api.Download(ctx, f.FilePath, domain.MaxAttachmentSize+1)
	if err != nil {
		return err
	}
	d.Data = data
	d.Size = max(d.Size, int64(len(data)))
	return nil
}
