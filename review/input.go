package review

// Input is one event from the review group, already decoded from the
// transport.
type Input struct {
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
	// decide (REVIEW_ADMINS) and ReviewerID is one of them. The desk
	// authorises a reviewer listed in Config.Reviewers, or IsAdmin.
	IsAdmin bool
	// Tampered is set by the transport when Data failed its integrity check
	// (a forged or altered callback): the engine refuses it.
	Tampered bool
}
