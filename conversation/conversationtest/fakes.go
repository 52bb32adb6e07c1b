// Package conversationtest provides in-memory implementations of the
// conversation ports for tests of the engine and of transports.
package conversationtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/regbot/regbot/review"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// Sessions is an in-memory SessionStore with the same compare-and-set and
// redelivery semantics as the Redis one, for a single consumer: a
// redelivered update that was the last one applied, by another Instance,
// is orphaned (ErrOrphanedUpdate). It stores sessions as JSON, so a test
// sees exactly what would be persisted.
type Sessions struct {
	mu   sync.Mutex
	data map[int64]stored
	// BeforeSave, if set, runs after fn and before the compare-and-set, so a
	// test can interleave a concurrent writer.
	BeforeSave func(chatID int64)
	// Instance names the process applying updates; a test changes it to
	// play a restart.
	Instance string
}

type stored struct {
	version int64
	applied []int64 // the last applied update IDs, oldest first
	owner   string  // the Instance that applied the last of them
	json    []byte
}

func (s stored) lastUpdate() int64 {
	if len(s.applied) == 0 {
		return 0
	}
	return s.applied[len(s.applied)-1]
}

// appliedIDs is how many applied update IDs a session remembers, as in
// the Redis store.
const appliedIDs = 8

func (s stored) isApplied(id int64) bool {
	if slices.Contains(s.applied, id) {
		return true
	}
	return len(s.applied) >= appliedIDs && id < slices.Min(s.applied)
}

var _ conversation.SessionStore = (*Sessions)(nil)

func NewSessions() *Sessions { return &Sessions{data: map[int64]stored{}} }

func (m *Sessions) Update(ctx context.Context, chatID, updateID int64, fn func(*conversation.Session) error) error {
	for try := 0; try < 10; try++ {
		m.mu.Lock()
		cur := m.data[chatID]
		inst := m.Instance
		m.mu.Unlock()
		if updateID != 0 && cur.isApplied(updateID) {
			if updateID == cur.lastUpdate() && cur.owner != inst {
				m.mu.Lock()
				cur.owner = inst
				m.data[chatID] = cur
				m.mu.Unlock()
				return conversation.ErrOrphanedUpdate
			}
			return conversation.ErrDuplicateUpdate
		}
		var s conversation.Session
		if cur.json != nil {
			if err := json.Unmarshal(cur.json, &s); err != nil {
				return err
			}
		}
		s.Version, s.LastUpdateID = cur.version, cur.lastUpdate()
		if err := fn(&s); err != nil {
			return err
		}
		b, err := json.Marshal(&s)
		if err != nil {
			return err
		}
		if m.BeforeSave != nil {
			m.BeforeSave(chatID)
		}
		m.mu.Lock()
		now := m.data[chatID]
		if updateID != 0 && now.isApplied(updateID) {
			m.mu.Unlock()
			return conversation.ErrDuplicateUpdate
		}
		if now.version == cur.version {
			next := stored{version: cur.version + 1, applied: cur.applied, owner: cur.owner, json: b}
			if updateID != 0 {
				next.applied = append(slices.Clone(cur.applied), updateID)
				if len(next.applied) > appliedIDs {
					next.applied = next.applied[1:]
				}
				next.owner = inst
			}
			m.data[chatID] = next
			m.mu.Unlock()
			s.Version, s.LastUpdateID = next.version, next.lastUpdate()
			return nil
		}
		m.mu.Unlock()
	}
	return &domain.Error{Code: domain.CodeConflict, Reason: "session.contention"}
}

// Replied implements conversation.SessionStore: one process, nothing to do.
func (m *Sessions) Replied(context.Context, int64, int64) {}

// SetInstance names the process applying updates from now on (a restart).
func (m *Sessions) SetInstance(name string) {
	m.mu.Lock()
	m.Instance = name
	m.mu.Unlock()
}

func (m *Sessions) Delete(ctx context.Context, chatID int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, chatID)
	return nil
}

// Peek implements conversation.SessionStore.
func (m *Sessions) Peek(ctx context.Context, chatID int64) (conversation.Session, error) {
	m.mu.Lock()
	cur := m.data[chatID]
	m.mu.Unlock()
	var s conversation.Session
	if cur.json != nil {
		if err := json.Unmarshal(cur.json, &s); err != nil {
			return s, err
		}
	}
	s.Version, s.LastUpdateID = cur.version, cur.lastUpdate()
	return s, nil
}

// Raw returns the stored JSON of a chat's session.
func (m *Sessions) Raw(chatID int64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data[chatID].json
}

// Get returns a copy of the chat's session.
func (m *Sessions) Get(chatID int64) conversation.Session {
	var s conversation.Session
	if b := m.Raw(chatID); b != nil {
		_ = json.Unmarshal(b, &s)
	}
	return s
}

// Registrations is an in-memory Registrations.
type Registrations struct {
	mu        sync.Mutex
	apps      map[int64]*domain.Application
	keys      map[string]int64
	decisions map[int64][]domain.Decision
	previous  map[int64]*domain.Application // the version a resubmission replaced
	nextID    int64
	notices   []*fakeNotice // the outbox Submit and Decide write to
	cards     map[int64][]review.Card
	// Down makes every call fail with CodeUnavailable.
	Down bool
}

var (
	_ conversation.Registrations = (*Registrations)(nil)
	_ review.Registrations       = (*Registrations)(nil)
	_ review.Cards               = (*Registrations)(nil)
)

// AddCard records a card of application appID, as the transport does.
func (r *Registrations) AddCard(_ context.Context, appID, chatID int64, messageID int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cards == nil {
		r.cards = map[int64][]review.Card{}
	}
	c := review.Card{ChatID: chatID, MessageID: messageID}
	if !slices.Contains(r.cards[appID], c) {
		r.cards[appID] = append(r.cards[appID], c)
	}
	return nil
}

// Cards returns the recorded cards of application appID.
func (r *Registrations) Cards(_ context.Context, appID int64) ([]review.Card, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, err
	}
	return slices.Clone(r.cards[appID]), nil
}

func NewRegistrations() *Registrations {
	return &Registrations{apps: map[int64]*domain.Application{}, keys: map[string]int64{}, decisions: map[int64][]domain.Decision{}}
}

func (r *Registrations) down() error {
	if r.Down {
		return &domain.Error{Code: domain.CodeUnavailable, Reason: "test.down"}
	}
	return nil
}

func clone(a *domain.Application) *domain.Application {
	b, _ := json.Marshal(a)
	var c domain.Application
	_ = json.Unmarshal(b, &c)
	c.ID = a.ID
	c.ExportedAt, c.ProvisionedAt, c.PlatformID, c.ErasedAt = a.ExportedAt, a.ProvisionedAt, a.PlatformID, a.ErasedAt
	return &c
}

func (r *Registrations) Submit(ctx context.Context, key string, app *domain.Application) (int64, string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return 0, "", false, err
	}
	if id, ok := r.keys[key]; ok {
		app.ID, app.Reference, app.Version = id, r.apps[id].Reference, r.apps[id].Version
		return id, r.apps[id].Reference, false, nil
	}
	for _, a := range r.apps {
		if a.ID != app.ID && a.Status.Active() && strings.EqualFold(a.Account.LoginName, app.Account.LoginName) {
			return 0, "", false, &domain.Error{Code: domain.CodeConflict, Field: domain.FieldLoginName}
		}
	}
	c := clone(app)
	if old, ok := r.apps[c.ID]; ok && c.ID != 0 {
		if r.previous == nil {
			r.previous = map[int64]*domain.Application{}
		}
		r.previous[c.ID] = clone(old)
	}
	if c.ID == 0 {
		r.nextID++
		c.ID = r.nextID
		c.Reference = fmt.Sprintf("CQ-TEST-%06d", c.ID)
	}
	c.Version++
	r.apps[c.ID] = c
	r.keys[key] = c.ID
	kind := review.NoticeSubmitted
	if c.Status == domain.StatusResubmitted {
		kind = review.NoticeResubmitted
	}
	r.addNotice(review.Notice{Kind: kind, ApplicationID: c.ID, Version: c.Version})
	app.ID, app.Reference, app.Version = c.ID, c.Reference, c.Version
	return c.ID, c.Reference, true, nil
}

func (r *Registrations) LoginNameTaken(ctx context.Context, name string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return false, err
	}
	for _, a := range r.apps {
		if a.Status.Active() && strings.EqualFold(a.Account.LoginName, name) {
			return true, nil
		}
	}
	return false, nil
}

func (r *Registrations) Get(ctx context.Context, id int64) (*domain.Application, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, err
	}
	a, ok := r.apps[id]
	if !ok {
		return nil, &domain.Error{Code: domain.CodeNotFound}
	}
	return clone(a), nil
}

func (r *Registrations) Decide(ctx context.Context, version int, d domain.Decision) (*domain.Application, domain.Decision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, domain.Decision{}, err
	}
	a, ok := r.apps[d.ApplicationID]
	if !ok {
		return nil, domain.Decision{}, &domain.Error{Code: domain.CodeNotFound}
	}
	if a.Version != version || !a.Status.Open() {
		var first domain.Decision
		if ds := r.decisions[a.ID]; len(ds) > 0 {
			first = ds[len(ds)-1]
		}
		return nil, first, &domain.Error{Code: domain.CodeConflict, Reason: "decision.already_decided"}
	}
	if err := a.Apply(d); err != nil {
		return nil, domain.Decision{}, err
	}
	r.addNotice(review.Notice{Kind: review.NoticeDecided, ApplicationID: a.ID, Version: a.Version, Decision: d})
	r.addNotice(review.Notice{Kind: review.NoticeCards, ApplicationID: a.ID, Version: a.Version})
	a.Version++
	r.decisions[a.ID] = append(r.decisions[a.ID], d)
	return clone(a), d, nil
}

// Withdraw takes back an open application of chat chatID, recording the
// review group's notice.
func (r *Registrations) Withdraw(ctx context.Context, id, chatID int64) (*domain.Application, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, err
	}
	a, ok := r.apps[id]
	if !ok || a.ChatID != chatID {
		return nil, &domain.Error{Code: domain.CodeNotFound}
	}
	if err := a.Withdraw(); err != nil {
		return nil, err
	}
	a.Version++
	r.addNotice(review.Notice{Kind: review.NoticeWithdrawn, ApplicationID: a.ID, Version: a.Version})
	return clone(a), nil
}

// EraseApplication erases a rejected or withdrawn application of chat
// chatID (domain.Application.Erase).
func (r *Registrations) EraseApplication(ctx context.Context, id, chatID int64) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return false, err
	}
	a, ok := r.apps[id]
	if !ok || a.ChatID != chatID {
		return false, &domain.Error{Code: domain.CodeNotFound}
	}
	if !a.ErasedAt.IsZero() {
		return false, nil
	}
	return true, a.Erase(time.Now(), false)
}

func (r *Registrations) TakenPoints(ctx context.Context, ids []string, except int64) (map[string]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, a := range r.apps {
		if a.ID == except || !a.Status.Active() {
			continue
		}
		for _, u := range a.Units() {
			for _, id := range ids {
				if u.ID == id {
					taken[id] = true
				}
			}
		}
	}
	return taken, nil
}

func (r *Registrations) Decisions(ctx context.Context, id int64) ([]domain.Decision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.Decision(nil), r.decisions[id]...), nil
}

func (r *Registrations) Pending(ctx context.Context, limit int) ([]*domain.Application, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*domain.Application
	for _, a := range r.apps {
		if a.Status.Open() {
			out = append(out, clone(a))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SubmittedAt.Before(out[j].SubmittedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (r *Registrations) Find(ctx context.Context, keyword string, limit int) ([]*domain.Application, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*domain.Application
	for _, a := range r.apps {
		if strings.Contains(a.Basic.EnterpriseName, keyword) || strings.EqualFold(a.Account.LoginName, keyword) ||
			a.Basic.CreditCode == strings.ToUpper(keyword) || a.Reference == keyword {
			out = append(out, clone(a))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (r *Registrations) Previous(ctx context.Context, id int64) (*domain.Application, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.previous[id]; ok {
		return clone(p), nil
	}
	return nil, &domain.Error{Code: domain.CodeNotFound}
}

// Count returns the number of stored applications.
func (r *Registrations) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.apps)
}

// fakeNotice is a recorded notice and its delivery state.
type fakeNotice struct {
	n            review.Notice
	claimedUntil time.Time
	sent, gaveUp bool
}

func (r *Registrations) addNotice(n review.Notice) {
	n.ID = int64(len(r.notices) + 1)
	r.notices = append(r.notices, &fakeNotice{n: n})
}

// Notices returns every notice Submit and Decide recorded, oldest first.
func (r *Registrations) Notices() []review.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]review.Notice, len(r.notices))
	for i, f := range r.notices {
		out[i] = f.n
	}
	return out
}

// Claim leases up to limit notices of the kinds (nil: any) that are
// neither sent, given up nor leased, oldest first, like the Postgres
// outbox (which is shared by replicas; here one process).
func (r *Registrations) Claim(ctx context.Context, kinds []review.NoticeKind, limit int, lease time.Duration) ([]review.Notice, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, err
	}
	now := time.Now()
	var out []review.Notice
	for _, f := range r.notices {
		if len(out) == limit {
			break
		}
		if f.sent || f.gaveUp || f.claimedUntil.After(now) || kinds != nil && !slices.Contains(kinds, f.n.Kind) {
			continue
		}
		f.claimedUntil = now.Add(lease)
		f.n.Attempts++
		out = append(out, f.n)
	}
	return out, nil
}

func (r *Registrations) notice(id int64) *fakeNotice {
	if id < 1 || int(id) > len(r.notices) {
		return &fakeNotice{}
	}
	return r.notices[id-1]
}

// Done marks a notice sent.
func (r *Registrations) Done(ctx context.Context, id int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notice(id).sent = true
	return nil
}

// Retry releases a notice, to be claimed again after delay.
func (r *Registrations) Retry(ctx context.Context, id int64, delay time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notice(id).claimedUntil = time.Now().Add(delay)
	return nil
}

// GiveUp marks a notice as never to be sent.
func (r *Registrations) GiveUp(ctx context.Context, id int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notice(id).gaveUp = true
	return nil
}

// Deliver claims every pending notice, renders it with render and marks
// it sent, and returns the replies in order: what a transport's
// dispatcher would send.
func (r *Registrations) Deliver(ctx context.Context, render func(context.Context, review.Notice) ([]conversation.Reply, error)) ([]conversation.Reply, error) {
	ns, err := r.Claim(ctx, nil, 1<<20, time.Hour)
	if err != nil {
		return nil, err
	}
	var out []conversation.Reply
	for _, n := range ns {
		replies, err := render(ctx, n)
		if err != nil {
			_ = r.Retry(ctx, n.ID, 0)
			return out, err
		}
		out = append(out, replies...)
		_ = r.Done(ctx, n.ID)
	}
	return out, nil
}

// Catalog is an in-memory Catalog.
type Catalog struct{ Entries []domain.CatalogEntry }

var _ conversation.Catalog = (*Catalog)(nil)

func (c *Catalog) Search(ctx context.Context, kw string, offset, limit int) ([]domain.CatalogEntry, int, error) {
	var hits []domain.CatalogEntry
	for _, e := range c.Entries {
		if strings.Contains(e.Name, kw) {
			hits = append(hits, e)
		}
	}
	total := len(hits)
	if offset > len(hits) {
		offset = len(hits)
	}
	hits = hits[offset:]
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, total, nil
}

// MeteringPoints is an in-memory marketing system: account → password → points.
type MeteringPoints struct {
	Accounts map[string]struct {
		Password string
		Points   []domain.MeteringPoint
	}
	Down bool
	mu   sync.Mutex
	// Passwords records every query password received, so tests can check
	// where else it ends up.
	Passwords []string
}

var _ conversation.MeteringPoints = (*MeteringPoints)(nil)

func (m *MeteringPoints) Query(ctx context.Context, account, pw string) ([]domain.MeteringPoint, error) {
	m.mu.Lock()
	m.Passwords = append(m.Passwords, pw)
	m.mu.Unlock()
	if m.Down {
		return nil, &domain.Error{Code: domain.CodeUnavailable}
	}
	a, ok := m.Accounts[account]
	if !ok {
		return nil, &domain.Error{Code: domain.CodeNotFound}
	}
	if a.Password != pw {
		return nil, &domain.Error{Code: domain.CodeWrongPassword}
	}
	return append([]domain.MeteringPoint(nil), a.Points...), nil
}

// Files is an in-memory blob store.
type Files struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ conversation.Files = (*Files)(nil)

func (f *Files) Put(ctx context.Context, data []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string][]byte{}
	}
	sum := sha256.Sum256(data)
	k := hex.EncodeToString(sum[:])
	f.m[k] = append([]byte(nil), data...)
	return k, nil
}

func (f *Files) Get(ctx context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.m[key]
	if !ok {
		return nil, &domain.Error{Code: domain.CodeNotFound}
	}
	return b, nil
}

// Delete removes keys (the fake does not track references).
func (f *Files) Delete(ctx context.Context, keys []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		delete(f.m, k)
	}
	return nil
}

// Len returns the number of stored blobs.
func (f *Files) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m)
}

// Secrets is a fast, NOT secure stand-in for the vault: it "encrypts" by
// hex-encoding a hash so tests can check that no plain value is stored.
type Secrets struct{}

var _ conversation.Secrets = Secrets{}

func (Secrets) SealID(plain string) (domain.SealedID, error) {
	h := sha256.Sum256([]byte("id:" + plain))
	return domain.SealedID{KeyID: "test", Ciphertext: h[:], Hash: h[:8], Masked: domain.MaskIDNumber(plain)}, nil
}

// SealPassword seals pw for real, with age, to PlatformIdentity's
// recipient: tests open it with OpenPassword, as the exchange would.
func (Secrets) SealPassword(pw string) ([]byte, error) {
	var b bytes.Buffer
	w, err := age.Encrypt(&b, PlatformIdentity.Recipient())
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, pw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (Secrets) DigestPassword(pw string) (string, error) {
	h := sha256.Sum256([]byte("digest:" + pw))
	return "digest$" + hex.EncodeToString(h[:]), nil
}

func (s Secrets) DigestMatches(digest, pw string) bool {
	d, _ := s.DigestPassword(pw)
	return d == digest
}

// PlatformIdentity stands for the exchange's age identity in tests: what
// Secrets.SealPassword seals, it opens. A new one in every test process.
var PlatformIdentity = func() *age.X25519Identity {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		panic(err)
	}
	return id
}()

// OpenPassword opens a sealed password with PlatformIdentity, as the
// exchange does with `age -d -i`.
func OpenPassword(sealed []byte) (string, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), PlatformIdentity)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	T  time.Time
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// QueryGuard is an in-memory conversation.QueryGuard: Max failures per
// account lock it (until Unlock).
type QueryGuard struct {
	mu       sync.Mutex
	Max      int
	failures map[string]int
	locked   map[string]bool
}

var _ conversation.QueryGuard = (*QueryGuard)(nil)

func (g *QueryGuard) Locked(ctx context.Context, account string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.locked[account], nil
}

func (g *QueryGuard) Failed(ctx context.Context, account string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failures == nil {
		g.failures, g.locked = map[string]int{}, map[string]bool{}
	}
	max := g.Max
	if max == 0 {
		max = 5
	}
	g.failures[account]++
	if g.failures[account] >= max {
		g.locked[account] = true
		delete(g.failures, account)
		return true, nil
	}
	return false, nil
}
