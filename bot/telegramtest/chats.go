package telegramtest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // photo sizes of albums
	"strings"
	"time"
)

// Chats, and what their users do: each action is a message or a button
// press, queued as an update.

// Chat is a chat as seen from the user's side. For a private chat ID is
// normally UserID; for a group UserID is the member who acts.
type Chat struct {
	ID           int64
	UserID       int64
	Type         string // "private" (default) or "supergroup", "group"
	FirstName    string
	LastName     string // optional
	Username     string // optional
	LanguageCode string // optional, sent as from.language_code
	Title        string // optional, group title
}

type chatState struct {
	chat   Chat
	nextID int // message ids, shared by the user's and the bot's messages
	msgs   map[int]*message
	order  []int // every id, unless the server is lean
}

func (s *Server) chatLocked(c Chat) *chatState {
	if c.Type == "" {
		c.Type = "private"
	}
	if c.UserID == 0 && c.Type == "private" {
		c.UserID = c.ID
	}
	if c.FirstName == "" {
		c.FirstName = "Test"
	}
	cs := s.chats[c.ID]
	if cs == nil {
		cs = &chatState{msgs: map[int]*message{}}
		s.chats[c.ID] = cs
	}
	cs.chat = c
	return cs
}

// knownChat returns the chat's state, creating it for a chat the bot
// writes to first (negative ids are groups, as in Telegram).
func (s *Server) knownChat(id int64) *chatState {
	if cs := s.chats[id]; cs != nil {
		return cs
	}
	c := Chat{ID: id, Type: "private"}
	if id < 0 {
		c.Type = "supergroup"
	}
	return s.chatLocked(c)
}

func (cs *chatState) wireChat() wireChat {
	c := cs.chat
	w := wireChat{ID: c.ID, Type: c.Type}
	if c.Type == "private" {
		w.FirstName, w.LastName, w.Username = c.FirstName, c.LastName, c.Username
	} else {
		w.Title = c.Title
		if w.Title == "" {
			w.Title = "Test group"
		}
	}
	return w
}

func (cs *chatState) user() wireUser {
	c := cs.chat
	return wireUser{ID: c.UserID, FirstName: c.FirstName, LastName: c.LastName,
		Username: c.Username, LanguageCode: c.LanguageCode}
}

// theBot is the sender of the bot's messages; never modified, so they
// all point to it.
var theBot = wireUser{ID: BotID, IsBot: true, FirstName: "RegBot Test", Username: BotUsername}

func botUser() *wireUser { return &theBot }

// add gives m the chat's next message id and keeps it: all of them, or
// the last keep (lean).
func (s *Server) add(cs *chatState, m *message) {
	cs.nextID++
	m.w.MessageID = cs.nextID
	m.w.Chat = cs.wireChat()
	m.w.Date = time.Now().Unix()
	cs.msgs[cs.nextID] = m
	if s.lean {
		delete(cs.msgs, cs.nextID-s.keep)
	} else {
		cs.order = append(cs.order, cs.nextID)
	}
}

// ids returns the ids of the chat's messages the server keeps, in order.
func (s *Server) ids(cs *chatState) []int {
	if !s.lean {
		return cs.order
	}
	var ids []int
	for id := max(cs.nextID-s.keep+1, 1); id <= cs.nextID; id++ {
		if cs.msgs[id] != nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// forgotten reports whether id is a message that a lean server no longer
// keeps: it exists, but its content is not known.
func (s *Server) forgotten(cs *chatState, id int) bool {
	return s.lean && id > 0 && id <= cs.nextID-s.keep
}

// userMessage queues a message from the chat's user, filled by fill, and
// returns its update id and message id.
func (s *Server) userMessage(c Chat, fill func(cs *chatState, w *wireMessage)) (int64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(c)
	u := cs.user()
	m := &message{w: &wireMessage{From: &u}}
	fill(cs, m.w)
	s.add(cs, m)
	id := s.enqueueLocked("message", map[string]any{"message": m.w})
	if !s.lean {
		s.updMsg[id] = m.w.MessageID
	}
	return id, m.w.MessageID
}

// SendText queues a text message from the chat's user. A text starting
// with "/" carries a bot_command entity at offset 0, as Telegram sends it.
func (s *Server) SendText(chat Chat, text string) int64 {
	id, _ := s.SendTextMessage(chat, text)
	return id
}

// SendTextMessage is SendText that also returns the message's id, which a
// lean server does not keep for UserMessageID: e.g. to see that the bot
// deletes a message carrying a secret (WithEvents reports deleteMessage).
func (s *Server) SendTextMessage(chat Chat, text string) (updateID int64, messageID int) {
	return s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		w.Text = text
		w.Entities = commandEntity(text)
	})
}

func commandEntity(text string) []wireEntity {
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return nil
	}
	cmd, _, _ := strings.Cut(text, " ")
	return []wireEntity{{Type: "bot_command", Offset: 0, Length: utf16Len(cmd)}}
}

// ReplyTo queues a text message replying to message replyTo of the chat
// (normally one of the bot's).
func (s *Server) ReplyTo(chat Chat, replyTo int, text string) int64 {
	id, _ := s.userMessage(chat, func(cs *chatState, w *wireMessage) {
		w.Text = text
		w.Entities = commandEntity(text)
		if m := cs.msgs[replyTo]; m != nil && !m.deleted {
			cp := *m.w
			cp.ReplyTo = nil
			w.ReplyTo = &cp
		}
	})
	return id
}

// SendDocument queues a document from the chat's user and stores its
// content, so that getFile and the download work.
func (s *Server) SendDocument(chat Chat, name, mimeType string, data []byte) int64 {
	id, _ := s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		f := s.storeLocked("documents", name, mimeType, data)
		w.Document = &wireDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: name,
			MIMEType: mimeType, FileSize: int64(len(data))}
	})
	return id
}

// SendDocumentAnnouncing is SendDocument with another size in the message
// than the file has (a client may announce a wrong one; getFile and the
// download give the real size).
func (s *Server) SendDocumentAnnouncing(chat Chat, name, mimeType string, data []byte, announced int64) int64 {
	id, _ := s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		f := s.storeLocked("documents", name, mimeType, data)
		w.Document = &wireDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: name,
			MIMEType: mimeType, FileSize: announced}
	})
	return id
}

// AlbumItem is a photo or a file of an album (SendAlbum): a photo when
// Name is empty (Data a JPEG, sent as its only size), else a document.
type AlbumItem struct {
	Name, MIMEType string
	Data           []byte
}

// SendAlbum queues an album from the chat's user as Telegram delivers one:
// a message per item, with consecutive ids in the album's order and the
// same media_group_id, each in an update of its own. order lists the
// items (by index) in the order their updates are queued, which need not
// be the album's (nil: in order); it returns the items' update ids, by
// item.
func (s *Server) SendAlbum(chat Chat, items []AlbumItem, order []int) []int64 {
	a := s.NewAlbum(chat, items)
	if order == nil {
		for i := range items {
			order = append(order, i)
		}
	}
	ids := make([]int64, len(items))
	for _, i := range order {
		ids[i] = a.Send(i)
	}
	return ids
}

// Album is an album of a chat's user whose items' updates are queued one
// at a time (Send): some before a restart of the bot and some after, say.
type Album struct {
	s    *Server
	msgs []*message
}

// NewAlbum makes the messages of an album (ids in the album's order, one
// media_group_id) without queueing their updates.
func (s *Server) NewAlbum(chat Chat, items []AlbumItem) *Album {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	s.nextGroup++
	group := fmt.Sprintf("1378%010d", s.nextGroup)
	a := &Album{s: s, msgs: make([]*message, len(items))}
	for i, it := range items {
		u := cs.user()
		w := &wireMessage{From: &u, MediaGroupID: group}
		if it.Name == "" {
			f := s.storeLocked("photos", fmt.Sprintf("file_%d.jpg", i), "image/jpeg", it.Data)
			width, height := 1280, 960
			if c, _, err := image.DecodeConfig(bytes.NewReader(it.Data)); err == nil {
				width, height = c.Width, c.Height
			}
			w.Photo = []wirePhotoSize{{FileID: f.id, FileUniqueID: f.uniqueID, Width: width, Height: height,
				FileSize: int64(len(it.Data))}}
		} else {
			f := s.storeLocked("documents", it.Name, it.MIMEType, it.Data)
			w.Document = &wireDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: it.Name,
				MIMEType: it.MIMEType, FileSize: int64(len(it.Data))}
		}
		a.msgs[i] = &message{w: w}
		s.add(cs, a.msgs[i])
	}
	return a
}

// Send queues the update of item i and returns its id.
func (a *Album) Send(i int) int64 {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.enqueueLocked("message", map[string]any{"message": a.msgs[i].w})
	if !s.lean {
		s.updMsg[id] = a.msgs[i].w.MessageID
	}
	return id
}

// MessageID is the message id of item i.
func (a *Album) MessageID(i int) int { return a.msgs[i].w.MessageID }

// SendPhoto queues a photo (three sizes, smallest first) from the chat's user.
func (s *Server) SendPhoto(chat Chat) int64 {
	id, _ := s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		for i, side := range []int{90, 320, 1280} {
			f := s.storeLocked("photos", fmt.Sprintf("file_%d.jpg", i), "image/jpeg",
				append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, side)...))
			w.Photo = append(w.Photo, wirePhotoSize{FileID: f.id, FileUniqueID: f.uniqueID,
				Width: side, Height: side * 3 / 4, FileSize: int64(len(f.data))})
		}
	})
	return id
}

// SendSticker queues a sticker from the chat's user.
func (s *Server) SendSticker(chat Chat) int64 {
	id, _ := s.userMessage(chat, func(_ *chatState, w *wireMessage) {
		f := s.storeLocked("stickers", "file.webp", "image/webp", []byte("RIFF0000WEBP"))
		w.Sticker = &wireSticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular",
			Width: 512, Height: 512, Emoji: "👍"}
	})
	return id
}

// SendContact queues a shared contact; userID is the contact's Telegram
// user (the sender's own id when they share their own number).
func (s *Server) SendContact(chat Chat, phone string, userID int64) int64 {
	id, _ := s.userMessage(chat, func(cs *chatState, w *wireMessage) {
		w.Contact = &wireContact{PhoneNumber: phone, FirstName: cs.chat.FirstName, UserID: userID}
	})
	return id
}

// Press queues a callback query: the chat's user pressed a button with
// data on message messageID. If the bot has no such message, the query
// carries an inaccessible message (date 0).
func (s *Server) Press(chat Chat, messageID int, data string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	s.nextCB++
	cq := wireCallbackQuery{
		ID:           fmt.Sprintf("cq%d", 4000000+s.nextCB),
		From:         cs.user(),
		ChatInstance: fmt.Sprintf("ci%d", chat.ID),
		Data:         data,
	}
	if m := cs.msgs[messageID]; m != nil && !m.deleted {
		cp := *m.w
		cq.Message = &cp
	} else {
		cq.Message = wireInaccessible{Chat: cs.wireChat(), MessageID: messageID}
	}
	s.callbacks[cq.ID] = false
	id := s.enqueueLocked("callback_query", map[string]any{"callback_query": cq})
	if !s.lean {
		s.updCB[id] = cq.ID
	}
	return id
}

// SetMember sets what getChatMember answers for user in chat: "creator",
// "administrator", "member" (the default), "restricted", "left" or "kicked".
func (s *Server) SetMember(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[[2]int64{chatID, userID}] = status
}
