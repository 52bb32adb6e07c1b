package telegramtest

import (
	"encoding/json"
)

// The Bot API's JSON objects, as far as the fake produces them. They are
// declared here rather than taken from go-telegram/bot's models so that a
// decoding mismatch in the client shows up in tests.

type wireUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

type wireChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

type wireEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type wireDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MIMEType     string `json:"mime_type,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`
}

type wirePhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size,omitempty"`
}

type wireSticker struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Type         string `json:"type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	IsAnimated   bool   `json:"is_animated"`
	IsVideo      bool   `json:"is_video"`
	Emoji        string `json:"emoji,omitempty"`
}

type wireContact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	UserID      int64  `json:"user_id,omitempty"`
}

type wireMessage struct {
	MessageID   int             `json:"message_id"`
	From        *wireUser       `json:"from,omitempty"`
	Date        int64           `json:"date"`
	Chat        wireChat        `json:"chat"`
	ReplyTo     *wireMessage    `json:"reply_to_message,omitempty"`
	EditDate    int64           `json:"edit_date,omitempty"`
	Text        string          `json:"text,omitempty"`
	Entities    []wireEntity    `json:"entities,omitempty"`
	Document    *wireDocument   `json:"document,omitempty"`
	Photo       []wirePhotoSize `json:"photo,omitempty"`
	Sticker     *wireSticker    `json:"sticker,omitempty"`
	Contact     *wireContact    `json:"contact,omitempty"`
	Caption     string          `json:"caption,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
	// MediaGroupID marks the messages of one album.
	MediaGroupID string `json:"media_group_id,omitempty"`
}

// wireInaccessible is what a callback query carries for a message the
// bot can no longer access: date 0 marks it.
type wireInaccessible struct {
	Chat      wireChat `json:"chat"`
	MessageID int      `json:"message_id"`
	Date      int64    `json:"date"`
}

type wireCallbackQuery struct {
	ID           string   `json:"id"`
	From         wireUser `json:"from"`
	Message      any      `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

type wireFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int64  `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

type wireResponse struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *wireParameters `json:"parameters,omitempty"`
}

type wireParameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

// wireMarkup is any reply_markup a client may send.
type wireMarkup struct {
	InlineKeyboard [][]wireInlineButton `json:"inline_keyboard,omitempty"`
	Keyboard       [][]wireKeyButton    `json:"keyboard,omitempty"`
	OneTime        bool                 `json:"one_time_keyboard,omitempty"`
	RemoveKeyboard bool                 `json:"remove_keyboard,omitempty"`
	ForceReply     bool                 `json:"force_reply,omitempty"`
}

type wireInlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
	WebApp       *struct {
		URL string `json:"url"`
	} `json:"web_app,omitempty"`
	CopyText *struct {
		Text string `json:"text"`
	} `json:"copy_text,omitempty"`
}

type wireKeyButton struct {
	Text           string `json:"text"`
	RequestContact bool   `json:"request_contact,omitempty"`
}

// utf16Len is a text's length in UTF-16 code units, the unit of Telegram's
// entity offsets and length limits. (Counted without converting: every
// message is checked.)
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 && r <= 0x10FFFF {
			n += 2 // a surrogate pair
		} else {
			n++ // invalid UTF-8 is U+FFFD, one unit, as utf16.Encode makes it
		}
	}
	return n
}
