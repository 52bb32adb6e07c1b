package conversation

// InputKind says what the user sent.
type InputKind int

const (
	InputText     InputKind = iota + 1 // a plain text message
	InputButton                        // an inline button press (Data holds its callback data)
	InputCommand                       // a /command (Command without the slash, Args the rest)
	InputDocument                      // a file
	InputPhoto                         // a photo (compressed image)
	InputContact                       // a shared contact
	InputOther                         // a sticker, voice, location, …: anything else
)

func (k InputKind) String() string {
	switch k {
	case InputText:
		return "text"
	case InputButton:
		return "button"
	case InputCommand:
		return "command"
	case InputDocument:
		return "document"
	case InputPhoto:
		return "photo"
	case InputContact:
		return "contact"
	case InputOther:
		return "other"
	}
	return "unknown"
}

// Input is one event from an applicant's private chat, already decoded from
// the transport. UpdateID identifies it and orders a chat's inputs: an
// input whose UpdateID was applied already is a redelivery and is ignored
// (see SessionStore.Update); 0 turns that check off.
type Input struct {
	UpdateID  int64
	ChatID    int64
	UserID    int64
	MessageID int // the user's message, so that a secret can be deleted
	Kind      InputKind
	Text      string // text, or caption of a document/photo
	Data      string // callback data of a button
	Command   string // "start", "help", … (lower case, no slash, no @bot)
	Document  *Document
	Contact   *Contact
	LangHint  string // the client's language code, used for new sessions
	// MediaGroupID is the album a photo or file came in (Telegram's
	// media_group_id): an album's items arrive as separate inputs, each
	// with the same MediaGroupID, possibly out of order; MessageID orders
	// them. "" for a file sent on its own.
	MediaGroupID string
}

// Document is an uploaded file. The transport downloads it only when its
// Size is within domain.MaxAttachmentSize; otherwise Data is nil. Size is
// the size Telegram announced with the message, or the real size when the
// transport found it larger (the file is then refused for its size, not
// as a failed download).
type Document struct {
	FileID   string
	FileName string
	MIMEType string
	Size     int64
	Data     []byte
}

// Contact is a shared phone contact. UserID is the Telegram user the
// contact belongs to (0 if it is not a Telegram user).
type Contact struct {
	Phone  string
	UserID int64
}
