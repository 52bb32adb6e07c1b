package conversation

import (
	"context"
	"errors"
	"fmt"

	"github.com/regbot/regbot/domain"
)

// ErrDuplicateUpdate is returned by SessionStore.Update when the update was
// already processed for that chat.
var ErrDuplicateUpdate = errors.New("conversation: duplicate update")

// ErrOrphanedUpdate is returned by SessionStore.Update for a redelivered
// update that was the last one applied, by a process that is gone: it may
// have died after saving and before replying, so the applicant may never
// have seen the next question. The caller is expected to answer it: the
// store counts the update as this process's from then on. It wraps
// ErrDuplicateUpdate.
var ErrOrphanedUpdate = fmt.Errorf("%w, applied by a process that is gone", ErrDuplicateUpdate)

// SessionStore keeps one Session per chat.
type SessionStore interface {
	// Update loads the chat's session (a zero Session when there is none),
	// calls fn on it and saves the result atomically if the session did not
	// change in between; otherwise it reloads and calls fn again (fn must be
	// safe to repeat). It does at most one read and one conditional write
	// per try (a store may skip the read when it knows the session it
	// wrote last; the conditional write still catches a change).
	// If updateID is non-zero and was applied already (the store remembers
	// the last few applied per chat), fn is not called and
	// ErrDuplicateUpdate (or ErrOrphanedUpdate) is returned; on save
	// LastUpdateID becomes updateID. An update whose id is below the last
	// applied one but was never applied is applied, not dropped. Updates of
	// one chat are applied one at a time, across processes: one that
	// arrives while an earlier update of the chat is being applied
	// elsewhere waits for it (within ctx), so that concurrent deliveries
	// land in update-id order. An error from fn is returned as is and
	// nothing is saved. Store failures are *domain.Error with
	// CodeUnavailable.
	//
	// Optionally, a store that can read the QueryGuard's lock in the same
	// round trip as the session sets Session.AccountLocked for the
	// session's GuardedAccount(), read afresh on every load (so on every
	// try); the engine then does not ask the QueryGuard. A store that
	// cannot leaves it nil.
	Update(ctx context.Context, chatID, updateID int64, fn func(*Session) error) error
	// Replied tells the store that the replies to an applied update have
	// been sent: later updates of the chat handled by other processes wait
	// for that too, so that answers reach the chat in order.
	Replied(ctx context.Context, chatID, updateID int64)
	// Delete removes the chat's session.
	Delete(ctx context.Context, chatID int64) error
	// Peek returns the chat's session without changing it (a zero Session
	// when there is none).
	Peek(ctx context.Context, chatID int64) (Session, error)
}

// ReminderKind says which notice an idle draft is due.
type ReminderKind string

const (
	ReminderIdle   ReminderKind = "idle"   // idle for a day: one nudge
	ReminderExpiry ReminderKind = "expiry" // about to expire: the last warning
)

// Reminder is a chat due a notice about its idle draft.
type Reminder struct {
	ChatID int64
	Kind   ReminderKind
}

// Registrations is the system of record for submitted applications, as
// the applicant's dialogue uses it (the reviewers' use is package review's).
type Registrations interface {
	// Submit stores app (status submitted or resubmitted) in one transaction,
	// idempotently: a second call with the same key returns the first
	// application's ID and reference with created=false. On success it sets
	// app.ID, app.Reference and app.Version to the stored values. A call that
	// creates the submission records its notice for the review group
	// (review.NoticeSubmitted or review.NoticeResubmitted, at the stored
	// version) in the same transaction. A login name held
	// by another active application gives CodeConflict, field domain.FieldLoginName.
	Submit(ctx context.Context, key string, app *domain.Application) (id int64, ref string, created bool, err error)
	// LoginNameTaken reports whether an active application holds the login
	// name (case-insensitively).
	LoginNameTaken(ctx context.Context, loginName string) (bool, error)
	// Get returns the application; CodeNotFound if there is none.
	Get(ctx context.Context, id int64) (*domain.Application, error)
	// TakenPoints reports which of the metering point ids already belong to
	// an active application other than the one with id except (0: none).
	TakenPoints(ctx context.Context, ids []string, except int64) (map[string]bool, error)
	// Withdraw takes back application id of chat chatID if it is not
	// decided yet, recording the review group's notice. CodeNotFound (also
	// for another chat's application); CodeConflict when it is decided.
	Withdraw(ctx context.Context, id, chatID int64) (*domain.Application, error)
	// EraseApplication replaces the personal data of application id of chat
	// chatID by tombstones, if it is rejected or withdrawn; erased is false
	// when it was erased already. CodeNotFound; CodeConflict for another
	// status.
	EraseApplication(ctx context.Context, id, chatID int64) (erased bool, err error)
}

// Catalog is the access catalog (准入目录) of enterprises that may register.
type Catalog interface {
	// Search returns up to limit entries whose name contains keyword,
	// starting at offset, and the total number of matches.
	Search(ctx context.Context, keyword string, offset, limit int) ([]domain.CatalogEntry, int, error)
}

// MeteringPoints queries the grid company's marketing system.
type MeteringPoints interface {
	// Query lists the metering points of a marketing account. Errors:
	// CodeWrongPassword, CodeNotFound (unknown account), CodeUnavailable.
	Query(ctx context.Context, account, queryPassword string) ([]domain.MeteringPoint, error)
}

// QueryGuard limits wrong query passwords per marketing account, across
// users (SPEC §2.7: 5 failures within an hour lock the account for an hour).
type QueryGuard interface {
	// Locked reports whether the account is locked now.
	Locked(ctx context.Context, account string) (bool, error)
	// Failed records a wrong password and reports whether it locked the account.
	Failed(ctx context.Context, account string) (locked bool, err error)
}

// Files stores uploaded documents.
type Files interface {
	// Put stores data under a content-derived key and returns the key.
	Put(ctx context.Context, data []byte) (key string, err error)
	// Get returns the data stored under key; CodeNotFound if none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete erases the data under keys unless a submitted application
	// refers to it.
	Delete(ctx context.Context, keys []string) error
}

// Documents checks uploaded files: domain.NewPDFAttachment and
// domain.ImagesToPDF, run where a hostile file cannot hurt the bot (main
// runs them in a child process, adapters/docsandbox). A file refused is a
// CodeInvalid error with domain's reasons; CodeUnavailable means it could
// not be checked now.
type Documents interface {
	NewPDFAttachment(ctx context.Context, kind domain.AttachmentKind, data []byte) (domain.Attachment, error)
	ImagesToPDF(ctx context.Context, images [][]byte) ([]byte, error)
}

// Secrets protects personal data before it is stored anywhere.
type Secrets interface {
	// SealID encrypts a normalised ID number, with a keyed hash and a mask.
	SealID(plain string) (domain.SealedID, error)
	// SealPassword encrypts a platform password to the exchange's public
	// key (age): what is submitted. Nothing the bot holds opens it.
	SealPassword(pw string) ([]byte, error)
	// DigestPassword returns a salted, keyed digest of pw that holds a
	// password only until its confirmation arrives; never a value to
	// submit.
	DigestPassword(pw string) (string, error)
	// DigestMatches reports whether pw matches a DigestPassword digest; a
	// malformed digest matches nothing.
	DigestMatches(digest, pw string) bool
}
