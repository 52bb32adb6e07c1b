package conversation

// Button is an inline button. Data is at most 64 bytes (Telegram's limit).
// A button with a WebAppURL opens that Mini App instead (it has no Data).
type Button struct {
	Text      string
	Data      string
	WebAppURL string
}

// Reply is one thing the transport must do, in order. Exactly one of Text,
// DeleteMessageID or Document describes the action:
//
//   - Text: send a message (or edit EditMessageID when it is set);
//   - DeleteMessageID: delete that message of the chat (a secret);
//   - ClearButtonsOf: remove the buttons of that (answered) message;
//   - Document: send a stored document.
type Reply struct {
	ChatID         int64 // 0: the chat the input came from
	Text           string
	Buttons        [][]Button
	RequestContact bool // offer a "share my phone number" keyboard button
	// Keyboard, when set on a message without Buttons, is a persistent
	// reply keyboard whose labels send themselves as text (上一步 / 帮助 / 取消).
	Keyboard   [][]string
	ForceReply bool // ask the client to reply to this message
	// ReplyTo, on a new message or document, is the message of the chat it
	// replies to (0: none, or for a document the text sent just before it
	// in the same batch of replies).
	ReplyTo         int
	EditMessageID   int
	DeleteMessageID int
	ClearButtonsOf  int // remove the inline keyboard of that message (its question is answered)
	Document        *OutDocument
	Toast           string // answer to a button press (shown briefly); only on the first reply
	// CardOf, on a message of the review group, says it shows application
	// CardOf (its card): the transport records the message's id, so that a
	// later change (a decision, the account created, a withdrawal) edits
	// every card of the application.
	CardOf int64
}

// OutDocument is a stored attachment to send: by the transport's FileID
// when it has one, otherwise uploaded from the blob store.
type OutDocument struct {
	FileID   string
	BlobKey  string
	FileName string
	Caption  string
}
