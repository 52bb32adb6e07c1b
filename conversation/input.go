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
}

// Document is an uploaded file. The transport downloads it only when its
// announced Size is within domain.MaxAttachmentSize; otherwise Data is nil.
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

// ReviewInput is one event from the review group.
type ReviewInput struct {
	UpdateID     int64
	ChatID       int64 // must be the configured review chat
	ReviewerID   int64
	ReviewerName string
	MessageID    int    // the group message the button belongs to, or the reply
	Data         string // callback data for a button press
	Text         string // text of a reply (a rejection reason)
	ReplyToText  string // text of the bot message being replied to
	Command      string // "pending", "find", "show", "help" for group commands
	Args         string // the rest of the command line ("/find 江北" → "江北")
	// IsAdmin is set by the transport when the group's administrators may
	// decide (REVIEW_ADMINS) and ReviewerID is one of them. The engine
	// authorises a reviewer listed in Config.Reviewers, or IsAdmin.
	IsAdmin bool
	// Tampered is set by the transport when Data failed its integrity check
	// (a forged or altered callback): the engine refuses it.
	Tampered bool
}
