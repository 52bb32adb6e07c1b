package conversation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/looplab/fsm"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/i18n"
)

// keptSecretMsgs is how many of a chat's secret-bearing messages the
// session remembers (Session.SecretMsgs): a redelivery comes within a few
// updates of its original.
const keptSecretMsgs = 4

// Deps are the ports the engine needs; all but Documents are required.
type Deps struct {
	Sessions       SessionStore
	Registrations  Registrations
	Catalog        Catalog
	MeteringPoints MeteringPoints
	Files          Files
	Secrets        Secrets
	QueryGuard     QueryGuard
	// Documents checks uploads; nil checks them in this process.
	Documents Documents
}

// Config holds the engine's settings.
type Config struct {
	CatalogOptional bool // the enterprise name is typed instead of chosen from the catalog
	Regions         []domain.Region
	Logger          *slog.Logger
	Now             func() time.Time
	// Messages holds the texts (nil: the embedded ones, i18n.Default()).
	// Problems rendering a text, which only a mistake in the code can
	// cause, are also logged.
	Messages *i18n.Catalog
	// WebAppURL is the Mini App form's address (form.go): set, the
	// questions that begin the form's part of the dialogue offer it with a
	// web_app button; "" offers nothing.
	WebAppURL string
}

// Engine runs the registration dialogue. It is safe for concurrent use;
// concurrent inputs of one chat are serialised by the session store's
// compare-and-set (the loser re-runs on the new state).
type Engine struct {
	d      Deps
	cfg    Config
	events fsm.Events
	// machines recycles state machines: building one from the events table
	// costs more than the rest of a step's work (it indexes every
	// transition), and one is needed per transition.
	machines sync.Pool
	log      *slog.Logger
	now      func() time.Time
	msg      *i18n.Catalog
	p        *Presenter
	texts    [2]texts // by langIndex
}

// New returns an Engine. It panics if a dependency is missing.
func New(d Deps, cfg Config) *Engine {
	if d.Sessions == nil || d.Registrations == nil || d.Catalog == nil || d.MeteringPoints == nil || d.Files == nil || d.Secrets == nil || d.QueryGuard == nil {
		panic("conversation: New: missing dependency")
	}
	if d.Documents == nil {
		d.Documents = inProcess{}
	}
	e := &Engine{d: d, cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.msg = cfg.Messages
	if e.msg == nil {
		e.msg = i18n.Default()
	}
	e.msg = e.msg.WithReport(func(err error) { e.log.Error("conversation: text", "err", err) })
	e.p = NewPresenter(e.msg, cfg.Regions)
	e.renderTexts()
	for _, st := range flow {
		for ev, dst := range st.Next {
			e.events = append(e.events, fsm.EventDesc{Name: string(ev), Src: []string{string(st.State)}, Dst: string(dst)})
		}
	}
	// The machine moves the state; entering the new one (enter) asks its
	// question. The turn rides along as the event's argument.
	e.machines.New = func() any {
		return fsm.NewFSM(string(StStart), e.events, fsm.Callbacks{
			"enter_state": func(_ context.Context, ev *fsm.Event) {
				e.enter(ev.Args[0].(*turn), Event(ev.Event), State(ev.Src), State(ev.Dst))
			},
		})
	}
	return e
}

// inProcess runs the document checks in this process: the engine's
// default, for tests and tools that have no Documents.
type inProcess struct{}

func (inProcess) NewPDFAttachment(_ context.Context, kind domain.AttachmentKind, data []byte) (domain.Attachment, error) {
	return domain.NewPDFAttachment(kind, data)
}

func (inProcess) ImagesToPDF(_ context.Context, images [][]byte) ([]byte, error) {
	return domain.ImagesToPDF(images)
}

// turn is the work of one input on one session.
type turn struct {
	ctx context.Context
	e   *Engine
	s   *Session
	in  Input
	val string // the value of a button press, without its state prefix
	out []Reply
	// inPlace makes the next prompt edit the message whose button was
	// pressed (paging, ticking) instead of sending a new one.
	inPlace bool
	// discard are files the turn no longer needs: deleted once the
	// session is saved, those it does not refer to any more (garbage).
	discard []string
	// derived is a state entered whose question Derive answered: fire
	// moves on from it.
	derived State
	// notes are lines a dependency's Redo adds to propagate's message.
	notes []string
}

func (t *turn) lang() string { return t.s.Lang }

// say appends a plain message to the chat.
func (t *turn) say(key string, kv ...any) {
	t.out = append(t.out, Reply{Text: t.e.text(t.s, key, kv...)})
}

// Handle processes one input of an applicant's chat and returns what to
// send, in order. A redelivered input returns no replies, unless it is
// orphaned (see ErrOrphanedUpdate): then the current question. Errors are store
// or other infrastructure failures; the caller tells the user to retry.
func (e *Engine) Handle(ctx context.Context, in Input) ([]Reply, error) {
	var out []Reply
	var garbage []string
	err := e.d.Sessions.Update(ctx, in.ChatID, in.UpdateID, func(s *Session) error {
		t := &turn{ctx: ctx, e: e, s: s, in: in}
		if err := e.step(t); err != nil {
			return err
		}
		out, garbage = t.out, t.garbage()
		return nil
	})
	if errors.Is(err, ErrOrphanedUpdate) {
		return e.again(ctx, in)
	}
	if errors.Is(err, ErrDuplicateUpdate) {
		return nil, nil
	}
	if err != nil {
		return e.failure(in), err
	}
	if len(garbage) > 0 {
		// Only now: had the save failed, the session would still need them.
		if err := e.d.Files.Delete(ctx, garbage); err != nil {
			e.log.WarnContext(ctx, "discarded files not deleted", "chat", in.ChatID, "err", err)
		}
	}
	return out, nil
}

// Replied is called by the transport once the replies to in have been
// sent (or given up): until then, a later update of the chat that reaches
// another replica waits, so that answers keep their order.
func (e *Engine) Replied(ctx context.Context, in Input) {
	if in.UpdateID != 0 {
		e.d.Sessions.Replied(ctx, in.ChatID, in.UpdateID)
	}
}

// again answers an orphaned update (applied, but perhaps never answered:
// see ErrOrphanedUpdate) with the current question, changing nothing. The
// input may have been a secret the lost replies would have deleted: it is
// deleted when the session remembers it as one (SecretMsgs: the chat may
// have moved on since, on another replica), or when the question it
// answered or the current one is secret (sessions written before
// SecretMsgs).
func (e *Engine) again(ctx context.Context, in Input) ([]Reply, error) {
	s, err := e.d.Sessions.Peek(ctx, in.ChatID)
	if err != nil {
		return e.failure(in), err
	}
	if s.State == "" || steps[s.State] == nil {
		return nil, nil
	}
	t := &turn{ctx: ctx, e: e, s: &s, in: in}
	secret := steps[s.State].Secret || slices.Contains(s.SecretMsgs, in.MessageID)
	if n := len(s.History); n > 0 && steps[s.History[n-1]] != nil {
		secret = secret || steps[s.History[n-1]].Secret
	}
	if secret && in.MessageID != 0 && in.Kind != InputButton {
		t.out = append(t.out, Reply{DeleteMessageID: in.MessageID})
	}
	// A pressed message is left alone: it may be the current question,
	// edited in place (ticking, paging), and a stale one only gets a toast.
	e.prompt(t)
	return t.out, nil
}

// failure is what the user sees when the store is down: the apology, and
// the deletion of a message that may carry a secret.
func (e *Engine) failure(in Input) []Reply {
	out := []Reply{{Text: e.tr(langOf(in.LangHint), "retry.later")}}
	if in.Kind == InputText && in.MessageID != 0 && LooksSecret(in.Text) {
		out = append([]Reply{{DeleteMessageID: in.MessageID}}, out...)
	}
	return out
}

// LooksSecret guesses whether a text may be an ID number, a password or a
// query password, for when the question it answers is unknown: the
// session cannot be read, or the transport drops the message (a chat over
// its rate limit). It reads the text as people type secrets: full-width
// (a Chinese IME), grouped with spaces or hyphens. A secret is 6 or more
// ASCII characters without spaces once so read; a Chinese sentence or a
// phrase of several words is not.
func LooksSecret(s string) bool {
	s = norm.NFKC.String(strings.TrimSpace(s))
	if strings.Contains(s, "  ") || strings.Count(s, " ") > 4 { // words, not groups of digits
		return false
	}
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	if len(s) < 6 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// step runs one input against the session.
func (e *Engine) step(t *turn) error {
	s := t.s
	if s.State == "" {
		s.Lang = langOf(t.in.LangHint)
		s.State = StStart
		s.DraftID = newID()
		s.App.Status = domain.StatusDraft
		s.App.ChatID = t.in.ChatID
	}
	s.UpdatedAt = e.now()
	if s.CatalogCode != "" { // a draft saved before the catalog's code moved into the application
		if s.App.Basic.CatalogCreditCode == "" {
			s.App.Basic.CatalogCreditCode = s.CatalogCode
		}
		s.CatalogCode = ""
	}
	st := steps[s.State]
	if st == nil { // a state of an older version: restart gracefully
		s.State = StSummary
		st = steps[s.State]
	}
	if st.Secret && t.in.MessageID != 0 && t.in.Kind != InputButton {
		t.out = append(t.out, Reply{DeleteMessageID: t.in.MessageID})
		s.SecretMsgs = append(s.SecretMsgs, t.in.MessageID)
		if n := len(s.SecretMsgs); n > keptSecretMsgs {
			s.SecretMsgs = slices.Delete(s.SecretMsgs, 0, n-keptSecretMsgs)
		}
	}

	if i := lateAlbum(s, t.in); i >= 0 && !(converting(s.State) && s.Scratch.Group == t.in.MediaGroupID) {
		return e.latePage(t, i)
	}
	if cmd, ok := e.navCommand(t.in.Text); ok && t.in.Kind == InputText {
		t.in.Kind, t.in.Command = InputCommand, cmd
	}
	switch t.in.Kind {
	case InputCommand:
		return e.command(t)
	case InputButton:
		state, val, _ := strings.Cut(t.in.Data, "|")
		if state == "g" {
			return e.global(t, val)
		}
		if State(state) != s.State {
			t.out = append(t.out, Reply{Toast: t.e.text(s, "stale.button")})
			e.clearPressed(t)
			e.prompt(t)
			return nil
		}
		t.val = val
		defer e.clearPressed(t)
	}
	offered := t.in.Kind == InputButton && st.Offer && strings.HasPrefix(t.val, "v:")
	if !offered && !st.takes(t.in.Kind) {
		t.say(expectKey(st))
		e.prompt(t)
		return nil
	}
	before := answers(s)
	ev, err := st.Handle(t)
	if err != nil {
		return e.answerError(t, err)
	}
	e.propagate(t, before)
	return e.fire(t, st, ev)
}

// takes reports whether the state accepts an input kind.
func (st *step) takes(k InputKind) bool {
	switch k {
	case InputText:
		return st.Accepts&aText != 0
	case InputButton:
		return st.Accepts&aButton != 0
	case InputDocument:
		return st.Accepts&aDocument != 0
	case InputContact:
		return st.Accepts&aContact != 0
	case InputPhoto:
		return st.Accepts&aPhoto != 0
	}
	return false
}

func expectKey(st *step) string {
	switch {
	case st.Accepts&aDocument != 0:
		return "expect.document"
	case st.Accepts&aContact != 0:
		return "expect.contact"
	case st.Accepts&aText != 0:
		return "expect.text"
	}
	return "expect.button"
}

// answerError tells the user what was wrong and asks again. Domain errors
// that a user can fix are explained; unavailable dependencies get an
// apology and keep the draft; anything else aborts the update.
func (e *Engine) answerError(t *turn, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	switch de.Code {
	case domain.CodeUnavailable:
		e.log.WarnContext(t.ctx, "dependency unavailable", "chat", t.in.ChatID, "state", string(t.s.State), "err", err)
		t.say("retry.later")
		e.prompt(t) // ask again, with its buttons: the retry is one tap away
		return nil
	case domain.CodeInvalid:
		if e.msg.Has(de.Reason) {
			t.say(de.Reason, de.ArgList()...) // the values the rule's text names (domain.Reasons)
		} else {
			t.say("invalid.generic")
		}
	default:
		t.say("invalid.generic")
	}
	e.prompt(t)
	return nil
}

// fire moves the machine from st along ev; the machine is the one
// authority on where ev leads (the flow table's Next, which New gave it),
// and entering the new state asks its question (enter). evStay and evNone
// are no transitions: the question is asked again, or the handler has
// answered already.
func (e *Engine) fire(t *turn, st *step, ev Event) error {
	switch ev {
	case evNone:
		return nil
	case evStay:
		t.inPlace = t.in.Kind == InputButton && t.in.MessageID != 0
		e.prompt(t)
		return nil
	}
	f := e.machines.Get().(*fsm.FSM)
	from := st.State
	for {
		f.SetState(string(from))
		if err := f.Event(t.ctx, string(ev), t); err != nil {
			if errors.As(err, new(fsm.NoTransitionError)) {
				// A row that leads back to itself (the next unit's type): the
				// machine allows it but, being in that state already, enters
				// nothing. It is entered here, as the machine would.
				e.machines.Put(f)
				e.reenter(t)
				return nil
			}
			// An event the row does not declare is a bug in the table. A
			// machine that failed mid-transition (a cancelled context leaves
			// it "in transition" for good) is not reused.
			return fmt.Errorf("conversation: %s --%s-->: %w", from, ev, err)
		}
		if t.derived == "" {
			break
		}
		// The question entered answered itself (Derive): on to the next.
		from, ev, t.derived = t.derived, evNext, ""
	}
	e.machines.Put(f)
	return nil
}

// enter is the machine's enter_state callback: the state moved from src
// to dst along ev. After an edit from the summary, leaving the edited
// field asks the answers the edit cleared (Session.Stale), then returns to
// the summary instead of walking on through the form. Walking on, a
// question that its Derive answers is not asked (fire moves on from it).
func (e *Engine) enter(t *turn, ev Event, src, dst State) {
	if t.s.ReturnTo != "" && ev == evNext && steps[dst].Field != steps[src].Field {
		if st, _, ok := staleQuestion(t.s); ok {
			dst = st
		} else {
			dst = t.s.ReturnTo
			t.s.ReturnTo = ""
		}
		t.s.Scratch = Scratch{}
	}
	if d := steps[dst].Derive; d != nil && ev == evNext && t.s.ReturnTo == "" && d(t) {
		t.derived = dst
		return
	}
	e.moveTo(t, dst)
}

// moveTo enters state dst, remembering the state left for /back.
func (e *Engine) moveTo(t *turn, dst State) {
	if t.s.State != dst {
		t.s.remember()
	}
	t.s.State = dst
	e.prompt(t)
}

// remember records the current state for /back (the edit menu is not
// returned to).
func (s *Session) remember() {
	if s.State == StEdit {
		return
	}
	s.History = append(s.History, s.State)
	if n := len(s.History); n > 64 {
		s.History = s.History[n-64:]
	}
}

// reenter asks the current question again as a new question (the same
// question of the next item of a loop), remembering it for /back.
func (e *Engine) reenter(t *turn) {
	t.s.remember()
	e.prompt(t)
}

// prompt asks the current question. A question answered before (after
// /back or from the summary's edit menu) offers the old answer as a button.
func (e *Engine) prompt(t *turn) {
	st := steps[t.s.State]
	r := st.Prompt(t)
	if r.Text == "" {
		return
	}
	if t.inPlace {
		r.EditMessageID = t.in.MessageID
	}
	if e.cfg.WebAppURL != "" && r.EditMessageID == 0 && offersForm(t.s) {
		r.Buttons = append(r.Buttons, []Button{{Text: e.text(t.s, "form.open"), WebAppURL: e.cfg.WebAppURL}})
	}
	if st.Accepts&aText != 0 && len(r.Buttons) == 0 && !r.RequestContact && r.EditMessageID == 0 {
		r.Keyboard = e.navKeyboard(t.s.Lang)
	}
	if n := stage(t.s.State); n > 0 {
		r.Text = e.texts[langIndex(t.s.Lang)].progress[n] + "\n" + r.Text
	}
	if st.Offer {
		if old := *st.Field.Text(&t.s.App); old != "" {
			b := btn(t, t.e.text(t.s, "previous", "Answer", old), "v:"+old)
			if len(b.Data) <= 64 && !hasData(r.Buttons, b.Data) {
				r.Buttons = append([][]Button{{b}}, r.Buttons...)
			}
		}
	}
	t.out = append(t.out, r)
}

// clearPressed removes the buttons of the message whose button was just
// pressed, unless a reply edits that message anyway: an answered question
// keeps no live buttons.
func (e *Engine) clearPressed(t *turn) {
	id := t.in.MessageID
	if t.in.Kind != InputButton || id == 0 {
		return
	}
	for _, r := range t.out {
		if r.EditMessageID == id && (r.ChatID == 0 || r.ChatID == t.in.ChatID) {
			return
		}
	}
	t.out = append([]Reply{{ClearButtonsOf: id}}, t.out...)
}

func hasData(rows [][]Button, data string) bool {
	for _, row := range rows {
		for _, b := range row {
			if b.Data == data {
				return true
			}
		}
	}
	return false
}

// command handles /start, /help, /back, /cancel, /status, /lang, /privacy,
// and the data rights /withdraw, /mydata, /delete (rights.go).
func (e *Engine) command(t *turn) error {
	s := t.s
	switch t.in.Command {
	case "start":
		switch {
		case s.State == StSubmitted:
			e.prompt(t)
		case s.State == StStart:
			e.prompt(t)
		default:
			t.out = append(t.out, Reply{Text: e.text(s, "start.resume"), Buttons: [][]Button{{
				{Text: e.text(s, "start.continue"), Data: "g|cont"},
				{Text: e.text(s, "start.over"), Data: "g|over"},
			}}})
		}
	case "help":
		// Help for the question asked now: what it asks, an example,
		// where to find the answer; then the commands.
		t.out = append(t.out, Reply{Text: e.text(s, "help."+string(s.State)) + "\n\n" + e.text(s, "help.commands")})
		e.prompt(t)
	case "back":
		e.back(t)
	case "cancel":
		t.out = append(t.out, Reply{Text: e.text(s, "cancel.confirm"), Buttons: [][]Button{{
			{Text: e.text(s, "cancel.yes"), Data: "g|cancel"},
			{Text: e.text(s, "cancel.no"), Data: "g|cont"},
		}}})
	case "status":
		e.status(t)
	case "lang":
		if s.Lang == LangEN {
			s.Lang = LangZH
		} else {
			s.Lang = LangEN
		}
		t.say("lang.switched")
		e.prompt(t)
	case "privacy":
		t.say("privacy")
		e.prompt(t)
	case "delete":
		return e.erase(t)
	case "withdraw":
		return e.withdraw(t)
	case "mydata":
		return e.myData(t)
	default:
		t.say("unknown.command")
		e.prompt(t)
	}
	return nil
}

// global handles buttons that are valid in every state ("g|…").
func (e *Engine) global(t *turn, val string) error {
	s := t.s
	switch val {
	case "cont":
		e.prompt(t)
	case "over", "cancel":
		if s.State == StSubmitted && val == "over" {
			e.prompt(t)
			return nil
		}
		lang := s.Lang
		t.discard = append(t.discard, uploadKeys(s)...)
		*s = Session{Version: s.Version, LastUpdateID: s.LastUpdateID, Lang: lang, State: StStart,
			DraftID: newID(), App: domain.Application{Status: domain.StatusDraft, ChatID: t.in.ChatID}}
		if val == "cancel" {
			t.say("cancel.done")
			return nil
		}
		e.prompt(t)
	case "resubmit":
		return e.resubmit(t)
	case "withdraw":
		return e.confirmWithdraw(t)
	case "erase":
		return e.confirmErase(t)
	case "new":
		return e.startNew(t)
	default:
		t.out = append(t.out, Reply{Toast: e.text(s, "stale.button")})
		e.prompt(t)
	}
	return nil
}

// Remind returns the notice for a chat whose draft has been idle (a nudge
// after a day, a warning before it expires), or nothing when the chat has
// no registration in progress. It does not count as activity.
func (e *Engine) Remind(ctx context.Context, r Reminder) ([]Reply, error) {
	s, err := e.d.Sessions.Peek(ctx, r.ChatID)
	if err != nil {
		return nil, err
	}
	if s.State == "" || s.State == StStart || s.State == StSubmitted {
		return nil, nil
	}
	n := stage(s.State)
	key := "remind.idle"
	if r.Kind == ReminderExpiry {
		key = "remind.expiry"
	}
	return []Reply{{ChatID: r.ChatID, Text: e.tr(s.Lang, key, "Step", max(n, 1), "Steps", len(stages), "Stage", e.texts[langIndex(s.Lang)].stages[n]),
		Buttons: [][]Button{{{Text: e.tr(s.Lang, "start.continue"), Data: "g|cont"}}}}}, nil
}

// back returns to the previous question.
func (e *Engine) back(t *turn) {
	s := t.s
	if s.State == StSubmitted {
		e.prompt(t)
		return
	}
	if len(s.History) == 0 {
		t.say("back.first")
		e.prompt(t)
		return
	}
	if st := steps[s.State]; st.OnBack != nil {
		st.OnBack(t)
	}
	prev := s.History[len(s.History)-1]
	s.History = s.History[:len(s.History)-1]
	s.State = prev
	s.ReturnTo = ""
	e.prompt(t)
}

// status reports the draft's progress or the application's review status.
func (e *Engine) status(t *turn) {
	s := t.s
	if s.State == StSubmitted {
		e.prompt(t)
		return
	}
	if s.State == StStart {
		t.say("status.none")
		return
	}
	n := stage(s.State)
	t.say("status.draft", "Step", max(n, 1), "Steps", len(stages), "Stage", e.texts[langIndex(s.Lang)].stages[n],
		"Question", e.stateLabel(s, s.State))
	e.prompt(t)
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
