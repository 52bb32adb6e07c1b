package conversation

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/regbot/regbot/domain"
)

// The applicant's data rights (PIPL): /withdraw takes back an application
// not decided yet, /mydata shows what regbot holds about the chat, /delete
// erases it. The consent to the notice records which notice it was.

// consentVersion names a notice by its text: "sha256:" and the first 16
// hex digits of the hash of the text the applicant agreed to.
func consentVersion(notice string) string {
	sum := sha256.Sum256([]byte(notice))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// application loads the chat's submitted application; ok is false when the
// chat has none.
func (e *Engine) application(t *turn) (app *domain.Application, ok bool, err error) {
	if t.s.ApplicationID == 0 {
		return nil, false, nil
	}
	app, err = e.d.Registrations.Get(t.ctx, t.s.ApplicationID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return nil, false, nil
	}
	return app, err == nil, err
}

// statusName is an application's status in the chat's language.
func (e *Engine) statusName(s *Session, st domain.Status) string {
	return e.text(s, "review.status_"+string(st))
}

// withdraw answers /withdraw: a confirmation, when the chat's application
// is not decided yet.
func (e *Engine) withdraw(t *turn) error {
	s := t.s
	app, ok, err := e.application(t)
	switch {
	case err != nil:
		return e.answerError(t, err)
	case !ok:
		t.say("withdraw.none")
	case !app.Status.Open():
		t.say("withdraw.not_open", "Ref", app.Reference, "Status", e.statusName(s, app.Status))
	default:
		t.out = append(t.out, Reply{Text: e.text(s, "withdraw.confirm", "Ref", app.Reference), Buttons: [][]Button{{
			{Text: e.text(s, "withdraw.yes"), Data: "g|withdraw"},
			{Text: e.text(s, "withdraw.no"), Data: "g|cont"},
		}}})
		return nil
	}
	e.prompt(t)
	return nil
}

// confirmWithdraw withdraws the chat's application once confirmed.
func (e *Engine) confirmWithdraw(t *turn) error {
	s := t.s
	if s.ApplicationID == 0 {
		t.say("withdraw.none")
		e.prompt(t)
		return nil
	}
	app, err := e.d.Registrations.Withdraw(t.ctx, s.ApplicationID, t.in.ChatID)
	switch domain.ErrorCode(err) {
	case "":
		t.say("withdraw.done", "Ref", app.Reference)
		s.State, s.App.Status = StSubmitted, domain.StatusWithdrawn
	case domain.CodeNotFound:
		t.say("withdraw.none")
	case domain.CodeConflict:
		if app, ok, _ := e.application(t); ok {
			t.say("withdraw.not_open", "Ref", app.Reference, "Status", e.statusName(s, app.Status))
		}
	default:
		return e.answerError(t, err)
	}
	e.prompt(t)
	return nil
}

// myData answers /mydata: what regbot holds about this chat, masked as on
// the summary, with how long each part is kept.
func (e *Engine) myData(t *turn) error {
	s := t.s
	var b strings.Builder
	b.WriteString(e.text(s, "mydata.head"))
	b.WriteString("\n\n")
	if s.State != StStart && s.State != StSubmitted {
		b.WriteString(e.text(s, "mydata.draft"))
		b.WriteString("\n")
		b.WriteString(e.p.Summary(s.Lang, &s.App))
	} else {
		b.WriteString(e.text(s, "mydata.no_draft"))
	}
	b.WriteString("\n\n")
	app, ok, err := e.application(t)
	switch {
	case err != nil:
		return e.answerError(t, err)
	case !ok:
		b.WriteString(e.text(s, "mydata.no_application"))
	case !app.ErasedAt.IsZero():
		b.WriteString(e.text(s, "mydata.erased", "Ref", app.Reference, "Status", e.statusName(s, app.Status)))
	default:
		b.WriteString(e.text(s, "mydata.application", "Ref", app.Reference, "Status", e.statusName(s, app.Status)))
		b.WriteString("\n")
		b.WriteString(e.p.Summary(s.Lang, app))
	}
	b.WriteString("\n\n")
	b.WriteString(e.text(s, "mydata.retention"))
	for _, part := range Chunks(b.String(), 3800) {
		t.out = append(t.out, Reply{Text: part})
	}
	e.prompt(t)
	return nil
}

// erase answers /delete: the draft and its files go at once; the chat keeps
// its link to a submitted application, whose personal data is erased too,
// after a confirmation, when it is over without an account (rejected or
// withdrawn).
func (e *Engine) erase(t *turn) error {
	s := t.s
	var keys []string
	if s.State != StSubmitted {
		for _, a := range s.App.Attachments {
			if s.App.ID == 0 { // a resubmission's files are the application's
				keys = append(keys, a.BlobKey)
			}
		}
	}
	keys = append(keys, uploadKeys(s)...)
	if err := e.d.Files.Delete(t.ctx, keys); err != nil {
		return e.answerError(t, err)
	}
	submitted := s.ApplicationID
	*s = Session{Version: s.Version, LastUpdateID: s.LastUpdateID, Lang: s.Lang, State: StStart, DraftID: newID(),
		App: domain.Application{Status: domain.StatusDraft, ChatID: t.in.ChatID}}
	if submitted == 0 {
		t.say("delete.done")
		return nil
	}
	// Keep the link, so /status, /withdraw and /mydata still find it.
	s.ApplicationID, s.State = submitted, StSubmitted
	s.App = domain.Application{ID: submitted, ChatID: t.in.ChatID}
	app, ok, err := e.application(t)
	switch {
	case err != nil:
		return e.answerError(t, err)
	case !ok:
		t.say("delete.done")
	case !app.ErasedAt.IsZero():
		s.App.Status = app.Status
		t.say("delete.application_done", "Ref", app.Reference)
	case app.Status.Erasable():
		s.App.Status = app.Status
		t.out = append(t.out, Reply{Text: e.text(s, "delete.application_confirm", "Ref", app.Reference), Buttons: [][]Button{{
			{Text: e.text(s, "delete.application_yes"), Data: "g|erase"},
			{Text: e.text(s, "delete.application_no"), Data: "g|cont"},
		}}})
	default:
		s.App.Status = app.Status
		t.say("delete.application_kept", "Ref", app.Reference, "Status", e.statusName(s, app.Status))
	}
	return nil
}

// confirmErase erases the personal data of the chat's application once
// confirmed.
func (e *Engine) confirmErase(t *turn) error {
	s := t.s
	app, ok, err := e.application(t)
	switch {
	case err != nil:
		return e.answerError(t, err)
	case !ok:
		t.say("delete.done")
		return nil
	}
	_, err = e.d.Registrations.EraseApplication(t.ctx, app.ID, t.in.ChatID)
	switch domain.ErrorCode(err) {
	case "":
		t.say("delete.application_done", "Ref", app.Reference)
	case domain.CodeConflict:
		t.say("delete.application_kept", "Ref", app.Reference, "Status", e.statusName(s, app.Status))
	default:
		return e.answerError(t, err)
	}
	return nil
}

// startNew begins a new registration in a chat whose application is over
// without an account (rejected or withdrawn); otherwise it shows the
// application's status.
func (e *Engine) startNew(t *turn) error {
	app, ok, err := e.application(t)
	if err != nil {
		return e.answerError(t, err)
	}
	if ok && app.Status.Active() {
		e.prompt(t)
		return nil
	}
	s := t.s
	*s = Session{Version: s.Version, LastUpdateID: s.LastUpdateID, Lang: s.Lang, State: StStart, DraftID: newID(),
		App: domain.Application{Status: domain.StatusDraft, ChatID: t.in.ChatID}}
	e.prompt(t)
	return nil
}
