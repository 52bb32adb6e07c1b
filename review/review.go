// Package review is the exchange's side of a registration: the review
// group's use cases (a reviewer approves, rejects with a reason, asks for
// details, lists what is pending, finds and shows applications) and the
// notices (what the group is told of a submission, what an applicant is
// told of a decision, how the group's cards show a change). Like
// conversation, it knows nothing of Telegram: a Desk takes an Input or a
// Notice and returns conversation.Replies, which the transport sends, or
// for the review group stores first (NoticeReplies).
//
// The applicant's dialogue is package conversation; both render
// applications with one conversation.Presenter.
package review

import (
	"context"
	"log/slog"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/i18n"
)

// Registrations is the system of record, as reviewers use it.
type Registrations interface {
	// Get returns the application; CodeNotFound if there is none.
	Get(ctx context.Context, id int64) (*domain.Application, error)
	// Decide records d and moves the application to approved or rejected if
	// it is still open at version, and records in the same transaction the
	// applicant's Notice (NoticeDecided) and the group's (NoticeCards);
	// otherwise it returns CodeConflict and the decision that was taken
	// first (zero if none).
	Decide(ctx context.Context, version int, d domain.Decision) (*domain.Application, domain.Decision, error)
	// Decisions returns the application's decisions, oldest first.
	Decisions(ctx context.Context, applicationID int64) ([]domain.Decision, error)
	// Find lists up to limit applications whose enterprise name, login
	// name, credit code or reference contains keyword, latest first.
	Find(ctx context.Context, keyword string, limit int) ([]*domain.Application, error)
	// Previous returns the application as it was just before its latest
	// resubmission replaced it (so as it was rejected); CodeNotFound if it
	// was never resubmitted.
	Previous(ctx context.Context, id int64) (*domain.Application, error)
	// Pending lists open applications, oldest first.
	Pending(ctx context.Context, limit int) ([]*domain.Application, error)
}

// Sessions are the applicants' chats, read for the language each chose.
type Sessions interface {
	// Peek returns the chat's session without changing it (a zero Session
	// when there is none).
	Peek(ctx context.Context, chatID int64) (conversation.Session, error)
}

// Card is a message of the review group that shows an application (the
// notice of a submission, a /show): recorded by the transport (the replies
// marked conversation.Reply.CardOf), so that a change edits every card.
type Card struct {
	ChatID    int64
	MessageID int
}

// Cards are the recorded cards.
type Cards interface {
	// AddCard records that message messageID of chat chatID shows the
	// application; recording it again changes nothing.
	AddCard(ctx context.Context, applicationID, chatID int64, messageID int) error
	// Cards returns the cards of an application, oldest first.
	Cards(ctx context.Context, applicationID int64) ([]Card, error)
}

// ReasonPrompt is a rejection whose reason a reviewer was asked for (the
// reviewer pressed 驳回) and has not given yet.
type ReasonPrompt struct {
	ApplicationID int64
	Version       int    // the application's version 驳回 was pressed for
	MessageID     int    // the group message 驳回 was pressed on
	Reference     string // the application's reference, to name it
	AskedAt       time.Time
}

// ReasonPrompts remember, per reviewer, the rejections waiting for their
// reason, so that a reason typed without replying to the prompt still
// finds its application, whichever replica gets it and after a restart.
// Failures are *domain.Error with CodeUnavailable.
type ReasonPrompts interface {
	// Ask records p for the reviewer in the group chatID, replacing the
	// reviewer's earlier prompt of the same application. The reviewer's
	// prompts are kept for keep after the latest Ask, then forgotten.
	Ask(ctx context.Context, chatID, reviewerID int64, p ReasonPrompt, keep time.Duration) error
	// Asked returns the reviewer's prompts, latest first; none if there
	// are none.
	Asked(ctx context.Context, chatID, reviewerID int64) ([]ReasonPrompt, error)
	// Answered forgets the reviewer's prompt of the application and
	// reports whether it was there: of callers racing for one prompt, one
	// gets true.
	Answered(ctx context.Context, chatID, reviewerID, applicationID int64) (bool, error)
}

// Config holds the desk's settings.
type Config struct {
	ReviewChatID int64   // the review group; 0: no group (notices for it are dropped)
	Reviewers    []int64 // Telegram user ids allowed to decide
	Regions      []domain.Region
	Messages     *i18n.Catalog // nil: the built-in texts
	Logger       *slog.Logger
	Now          func() time.Time
	// ReasonTTL is how long after pressing 驳回 a reviewer's next message
	// in the group, without replying to the prompt, is taken as the reason
	// (default 10 minutes, which the prompt's text says). A later one is
	// answered that the prompt expired.
	ReasonTTL time.Duration
}

// Desk runs the review group's workflow and renders the notices. It is
// safe for concurrent use.
type Desk struct {
	regs      Registrations
	sessions  Sessions
	cards     Cards
	prompts   ReasonPrompts
	chat      int64
	reviewers map[int64]bool
	p         *conversation.Presenter
	log       *slog.Logger
	now       func() time.Time
	reasonTTL time.Duration
}

// DefaultReasonTTL is Config.ReasonTTL's default.
const DefaultReasonTTL = 10 * time.Minute

// New returns a Desk. It panics if a dependency is missing.
func New(regs Registrations, sessions Sessions, cards Cards, prompts ReasonPrompts, cfg Config) *Desk {
	if regs == nil || sessions == nil || cards == nil || prompts == nil {
		panic("review: New: missing dependency")
	}
	d := &Desk{regs: regs, sessions: sessions, cards: cards, prompts: prompts, chat: cfg.ReviewChatID, reviewers: map[int64]bool{},
		log: cfg.Logger, now: cfg.Now, reasonTTL: cfg.ReasonTTL}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.reasonTTL <= 0 {
		d.reasonTTL = DefaultReasonTTL
	}
	msgs := cfg.Messages
	if msgs == nil {
		msgs = i18n.Default()
	}
	msgs = msgs.WithReport(func(err error) { d.log.Error("review: text", "err", err) })
	d.p = conversation.NewPresenter(msgs, cfg.Regions)
	for _, id := range cfg.Reviewers {
		d.reviewers[id] = true
	}
	return d
}
