package conversation

import (
	"slices"
	"time"

	"github.com/regbot/regbot/domain"
)

// Session is one chat's progress: what the session store persists between
// updates. It never holds a password or a query password in clear.
type Session struct {
	Version       int64     `json:"-"` // managed by the store (compare-and-set)
	LastUpdateID  int64     `json:"-"` // managed by the store (redelivery check)
	State         State     `json:"s,omitempty"`
	Lang          string    `json:"l,omitempty"`
	History       []State   `json:"h,omitempty"` // states visited, for /back
	ReturnTo      State     `json:"r,omitempty"` // after an edit from the summary
	DraftID       string    `json:"d,omitempty"` // submission idempotency key
	UpdatedAt     time.Time `json:"t,omitzero"`
	ApplicationID int64     `json:"aid,omitempty"` // last submitted application
	// CatalogCode is read from drafts saved when the catalog's credit code
	// was kept here: it now lives in App.Basic.CatalogCreditCode.
	CatalogCode string `json:"cc,omitempty"`
	// CatalogFlag: the catalog holds the chosen enterprise's code
	// (App.Basic.CatalogCreditCode) as failing its check character.
	CatalogFlag bool               `json:"ccf,omitempty"`
	App         domain.Application `json:"a"`
	Scratch     Scratch            `json:"x,omitzero"`
	// Albums are the albums that became the draft's documents (at most one
	// per document), kept until the document is replaced or submitted: a
	// photo of one that arrives after the conversion (Telegram delivers an
	// album's photos as separate updates, in any order, and delivers one
	// again when a replica failed to answer it) joins its PDF instead of
	// being lost or taken for a new document.
	Albums []Album `json:"alb,omitempty"`
	// SecretMsgs are the ids of the chat's last messages that answered a
	// secret question (at most keptSecretMsgs), so that a redelivery taken
	// over after the chat moved on still deletes its message (Engine.again).
	SecretMsgs []int `json:"sm,omitempty"`
	// Stale are the answers that a change of an answer they depend on
	// cleared, in the form's order: asked before the summary returns, and
	// needed before the application can be submitted (see dependencies).
	Stale []Stale `json:"st,omitempty"`

	// AccountLocked is set by a SessionStore that read, in the same round
	// trip as the session, whether GuardedAccount() is locked (see
	// QueryGuard); nil when the store did not. Never persisted: it holds
	// for the update being applied only.
	AccountLocked *bool `json:"-"`
}

// Clone returns a deep copy of s: the copy shares no slice with s, so
// either can be changed in place without the other seeing it (a store
// that keeps sessions decoded hands each update its own). AccountLocked,
// which holds for one update only, is not copied.
func (s *Session) Clone() Session {
	c := *s
	c.AccountLocked = nil
	c.History = slices.Clone(s.History)
	c.Stale = slices.Clone(s.Stale)
	c.App = s.App.Clone()
	c.Scratch.Candidates = slices.Clone(s.Scratch.Candidates)
	c.Scratch.Points = slices.Clone(s.Scratch.Points)
	c.Scratch.Ticked = slices.Clone(s.Scratch.Ticked)
	c.Scratch.Taken = slices.Clone(s.Scratch.Taken)
	c.Scratch.Sealed = slices.Clone(s.Scratch.Sealed)
	c.Scratch.Pages = slices.Clone(s.Scratch.Pages)
	if s.Albums != nil {
		c.Albums = make([]Album, len(s.Albums))
		for i, a := range s.Albums {
			a.Pages = slices.Clone(a.Pages)
			c.Albums[i] = a
		}
	}
	c.SecretMsgs = slices.Clone(s.SecretMsgs)
	return c
}

// GuardedAccount is the marketing account whose query lock the next
// answer depends on: the account being asked for its query password, ""
// at any other question. A SessionStore may read that lock along with the
// session (AccountLocked), sparing handleMktPwd a round trip to the guard.
func (s *Session) GuardedAccount() string {
	if s.State == StMktPwd {
		return s.Scratch.Account
	}
	return ""
}

// Scratch is working data of the current question, dropped when it is answered.
type Scratch struct {
	Keyword    string                 `json:"kw,omitempty"`
	Page       int                    `json:"pg,omitempty"`
	Total      int                    `json:"tot,omitempty"`
	Candidates []domain.CatalogEntry  `json:"cand,omitempty"`
	Account    string                 `json:"acct,omitempty"`
	Attempts   int                    `json:"att,omitempty"` // wrong query passwords in a row
	Points     []domain.MeteringPoint `json:"pts,omitempty"`
	Ticked     []int                  `json:"tick,omitempty"`  // indexes into Points
	Taken      []int                  `json:"taken,omitempty"` // points held by another active application
	Unit       int                    `json:"unit,omitempty"`  // index into App.Units() being completed
	Pending    string                 `json:"pend,omitempty"`  // a value awaiting confirmation (never a password: at most its keyed digest)
	Sealed     []byte                 `json:"seal,omitempty"`  // the platform password sealed to the exchange, awaiting its confirmation
	Pages      []Page                 `json:"pages,omitempty"` // images awaiting conversion into one PDF, in message order
	Group      string                 `json:"grp,omitempty"`   // the album (media group) the Pages came in; "" for one image
}

// Page is an image sent to become a page of a document: the message it
// came in (which orders an album's pages) and its stored bytes.
type Page struct {
	MessageID int    `json:"m"`
	Key       string `json:"k"` // Files key
	Size      int    `json:"n"`
}

// Album is an album converted into a document: its media group, the
// document, its pages, and the hash of the PDF they made. Once the
// document is replaced, Pages and SHA256 are empty: the album's late
// photos are recognised, and not used.
type Album struct {
	Group  string                `json:"g"`
	Kind   domain.AttachmentKind `json:"k"`
	Pages  []Page                `json:"p"`
	SHA256 string                `json:"h"`
}
