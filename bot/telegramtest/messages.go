package telegramtest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The bot's side of a chat: messages with their keyboards, edits,
// deletions, callback answers, and the other methods that check their
// parameters as Telegram does.

// Button is an inline keyboard button: callback data, or a Mini App's
// address (web_app).
type Button struct {
	Text      string
	Data      string
	WebAppURL string
}

// Message is a message the bot sent, as it currently is.
type Message struct {
	ID          int
	ChatID      int64
	Text        string     // text, or a document's caption
	Buttons     [][]Button // inline keyboard, nil if none
	ReplyMarkup string     // reply_markup as the bot last sent it (JSON), "" if none
	Document    *Document
	ReplyTo     int // the message this one replies to, 0 if none
	Edited      bool
	Deleted     bool
}

func (m Message) markup() wireMarkup {
	var mk wireMarkup
	_ = json.Unmarshal([]byte(m.ReplyMarkup), &mk)
	return mk
}

// RequestsContact reports whether the message offers a reply keyboard with
// a "share contact" button.
func (m Message) RequestsContact() bool {
	for _, row := range m.markup().Keyboard {
		for _, b := range row {
			if b.RequestContact {
				return true
			}
		}
	}
	return false
}

// ForcesReply reports whether the message carries a ForceReply markup.
func (m Message) ForcesReply() bool { return m.markup().ForceReply }

// RemovesKeyboard reports whether the message removes the reply keyboard.
func (m Message) RemovesKeyboard() bool { return m.markup().RemoveKeyboard }

// Event is a change the bot made in a chat, as WithEvents reports it.
type Event struct {
	// Method is the Bot API method that made it: sendMessage,
	// sendDocument, editMessageText, editMessageReplyMarkup or
	// deleteMessage.
	Method string
	// Message is the message as it is now. Its Buttons and Document data
	// are the server's: not to be modified. On a lean server an edit or
	// deletion of a forgotten message carries only what the call said.
	Message Message
}

// message is a message of a chat, the user's or the bot's.
type message struct {
	w       *wireMessage
	fromBot bool
	markup  string     // as sent
	buttons [][]Button // the inline keyboard of markup
	doc     *storedFile
	edited  bool
	deleted bool
}

// export returns the message as tests see it; clone tells whether its
// buttons and a document's content are copied (for a test) or shared
// (for an Event).
func (m *message) export(chatID int64, clone bool) Message {
	out := Message{ID: m.w.MessageID, ChatID: chatID, Text: m.w.Text, Buttons: m.buttons, ReplyMarkup: m.markup,
		Edited: m.edited, Deleted: m.deleted}
	if clone && m.buttons != nil {
		out.Buttons = make([][]Button, len(m.buttons))
		for i, row := range m.buttons {
			out.Buttons[i] = slices.Clone(row)
		}
	}
	if out.Text == "" {
		out.Text = m.w.Caption
	}
	if m.w.ReplyTo != nil {
		out.ReplyTo = m.w.ReplyTo.MessageID
	}
	if m.doc != nil {
		out.Document = &Document{FileID: m.doc.id, FileName: m.doc.name, MIMEType: m.doc.mime, Data: m.doc.data}
		if clone {
			out.Document.Data = slices.Clone(m.doc.data)
		}
	}
	return out
}

// emit reports a change to WithEvents' function. s.mu must be held.
func (s *Server) emit(method string, chatID int64, m *message) {
	if s.events != nil {
		s.events(Event{Method: method, Message: m.export(chatID, false)})
	}
}

// checkMarkup validates reply_markup and returns the part Telegram echoes
// in the message object (only inline keyboards) and its buttons.
func checkMarkup(raw string) (json.RawMessage, [][]Button, *apiError) {
	if raw == "" {
		return nil, nil, nil
	}
	var mk wireMarkup
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		return nil, nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	var buttons [][]Button
	for _, row := range mk.InlineKeyboard {
		var r []Button
		for _, b := range row {
			if b.Text == "" {
				return nil, nil, badRequest("text buttons are unallowed in the inline keyboard")
			}
			webApp := ""
			if b.WebApp != nil {
				if !strings.HasPrefix(b.WebApp.URL, "https://") {
					return nil, nil, badRequest("BUTTON_URL_INVALID") // Telegram wants https
				}
				webApp = b.WebApp.URL
			}
			if b.CallbackData == "" && b.URL == "" && webApp == "" && (b.CopyText == nil || b.CopyText.Text == "") {
				return nil, nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			if len(b.CallbackData) > maxCallbackLen {
				return nil, nil, badRequest("BUTTON_DATA_INVALID")
			}
			r = append(r, Button{Text: b.Text, Data: b.CallbackData, WebAppURL: webApp})
		}
		buttons = append(buttons, r)
	}
	for _, row := range mk.Keyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, nil, badRequest("keyboard button text is empty")
			}
		}
	}
	if len(mk.InlineKeyboard) == 0 {
		return nil, buttons, nil
	}
	echo, _ := json.Marshal(map[string]any{"inline_keyboard": mk.InlineKeyboard})
	return echo, buttons, nil
}

func checkText(text string) *apiError {
	if strings.TrimSpace(text) == "" {
		return badRequest("message text is empty")
	}
	if utf16Len(text) > maxTextLen {
		return badRequest("message is too long")
	}
	return nil
}

func (s *Server) sendMessage(f map[string]string) (any, *apiError) {
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	if err := checkText(f["text"]); err != nil {
		return nil, err
	}
	if pm := f["parse_mode"]; pm != "" && pm != "HTML" && pm != "Markdown" && pm != "MarkdownV2" {
		return nil, badRequest("unsupported parse_mode")
	}
	echo, buttons, err := checkMarkup(f["reply_markup"])
	if err != nil {
		return nil, err
	}
	cs := s.knownChat(id)
	replyTo, err := cs.replyTo(f["reply_parameters"])
	if err != nil {
		return nil, err
	}
	m := &message{w: &wireMessage{From: botUser(), Text: f["text"], ReplyMarkup: echo, ReplyTo: replyTo},
		fromBot: true, markup: f["reply_markup"], buttons: buttons}
	s.add(cs, m)
	s.emit("sendMessage", id, m)
	return m.w, nil
}

// replyTo resolves reply_parameters to the message replied to (a copy,
// without its own reply), as Telegram embeds it.
func (cs *chatState) replyTo(raw string) (*wireMessage, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var p struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, badRequest("can't parse reply parameters JSON object")
	}
	m := cs.msgs[p.MessageID]
	if m == nil || m.deleted {
		if p.AllowSendingWithoutReply {
			return nil, nil
		}
		return nil, badRequest("message to be replied not found")
	}
	cp := *m.w
	cp.ReplyTo = nil
	return &cp, nil
}

func (s *Server) editMessage(f map[string]string, text bool) (any, *apiError) {
	if f["inline_message_id"] != "" {
		return nil, badRequest("inline messages are not supported by the fake")
	}
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	mid, err := messageID(f)
	if err != nil {
		return nil, err
	}
	if text {
		if err := checkText(f["text"]); err != nil {
			return nil, err
		}
	}
	echo, buttons, err := checkMarkup(f["reply_markup"])
	if err != nil {
		return nil, err
	}
	cs := s.chats[id]
	if cs == nil {
		return nil, badRequest("chat not found")
	}
	method := "editMessageReplyMarkup"
	if text {
		method = "editMessageText"
	}
	m := cs.msgs[mid]
	if m == nil && s.forgotten(cs, mid) {
		// Taken to be the bot's and different: the content is not known.
		m = &message{w: &wireMessage{MessageID: mid, From: botUser(), Chat: cs.wireChat(), Date: time.Now().Unix(),
			Text: f["text"], ReplyMarkup: echo, EditDate: time.Now().Unix()},
			fromBot: true, markup: f["reply_markup"], buttons: buttons, edited: true}
		s.emit(method, id, m)
		return m.w, nil
	}
	if m == nil || m.deleted {
		return nil, badRequest("message to edit not found")
	}
	if !m.fromBot {
		return nil, badRequest("message can't be edited")
	}
	newText := m.w.Text
	if text {
		newText = f["text"]
	}
	if newText == m.w.Text && string(echo) == string(m.w.ReplyMarkup) {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message")
	}
	m.w.Text = newText
	m.w.ReplyMarkup = echo
	m.w.EditDate = time.Now().Unix()
	m.markup = f["reply_markup"]
	m.buttons = buttons
	m.edited = true
	s.emit(method, id, m)
	cp := *m.w
	return &cp, nil
}

func (s *Server) answerCallbackQuery(f map[string]string) (any, *apiError) {
	id := f["callback_query_id"]
	answered, ok := s.callbacks[id]
	if !ok || answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if len([]rune(f["text"])) > maxToastLen {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	if s.lean {
		delete(s.callbacks, id) // another answer finds no query: refused alike
		return true, nil
	}
	s.callbacks[id] = true
	s.answers[id] = f["text"]
	return true, nil
}

func (s *Server) deleteMessage(f map[string]string) (any, *apiError) {
	id, err := chatID(f)
	if err != nil {
		return nil, err
	}
	mid, err := messageID(f)
	if err != nil {
		return nil, err
	}
	cs := s.chats[id]
	if cs == nil {
		return nil, badRequest("chat not found")
	}
	m := cs.msgs[mid]
	if m == nil && s.forgotten(cs, mid) {
		s.emit("deleteMessage", id, &message{w: &wireMessage{MessageID: mid}, deleted: true})
		return true, nil
	}
	if m == nil || m.deleted {
		return nil, badRequest("message to delete not found")
	}
	m.deleted = true
	s.emit("deleteMessage", id, m)
	return true, nil
}

func setMyCommands(f map[string]string) (any, *apiError) {
	var cmds []struct {
		Command     string `json:"command"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal([]byte(f["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	for _, c := range cmds {
		if c.Command == "" || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command ||
			strings.ContainsFunc(c.Command, func(r rune) bool {
				return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_'
			}) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := len([]rune(c.Description)); n == 0 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	return true, nil
}

func (s *Server) getChatMember(f map[string]string) (any, *apiError) {
	chat, err := chatID(f)
	if err != nil {
		return nil, err
	}
	user, perr := strconv.ParseInt(f["user_id"], 10, 64)
	if perr != nil {
		return nil, badRequest("invalid user_id specified")
	}
	status := s.members[[2]int64{chat, user}]
	if status == "" {
		status = "member"
	}
	u := wireUser{ID: user, FirstName: "User"}
	if cs := s.chats[chat]; cs != nil && cs.chat.UserID == user {
		u = cs.user()
	}
	out := map[string]any{"status": status, "user": u}
	switch status {
	case "administrator":
		out["can_be_edited"], out["is_anonymous"], out["can_manage_chat"] = false, false, true
	case "creator":
		out["is_anonymous"] = false
	case "restricted", "kicked":
		out["until_date"] = 0
	}
	return out, nil
}
