package conversation

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/regbot/regbot/domain"
)

// stateLabel names a question for the edit menu and /status: the text
// "label.<state>" where the question has a name of its own, else its
// field's name (fieldLabel).
func (e *Engine) stateLabel(s *Session, st State) string {
	return e.texts[langIndex(s.Lang)].labels[st]
}

// question is the first question that asks field f, if any.
func question(f domain.Field) (State, bool) {
	st, ok := questions[f]
	return st, ok
}

// chinaTime is the zone times are shown in (the exchange and its users are
// in Chongqing, UTC+8, whatever the server's zone).
var chinaTime = time.FixedZone("CST", 8*3600)

func promptSummary(t *turn) Reply {
	text := t.e.text(t.s, "summary.title") + "\n" + t.e.p.Summary(t.s.Lang, &t.s.App)
	parts := Chunks(text, 3800)
	for _, p := range parts[:len(parts)-1] {
		t.out = append(t.out, Reply{Text: p})
	}
	return Reply{Text: parts[len(parts)-1], Buttons: [][]Button{{
		btn(t, t.e.text(t.s, "summary.submit"), "submit"), btn(t, t.e.text(t.s, "summary.edit"), "edit"),
	}}}
}

func handleSummary(t *turn) (Event, error) {
	switch t.val {
	case "edit":
		return evEdit, nil
	case "submit":
		return t.e.submit(t)
	}
	return evStay, nil
}

// submit stores the application in one idempotent transaction (keyed by
// the draft), which also records the review group's notice.
func (e *Engine) submit(t *turn) (Event, error) {
	// An answer a change cleared and the applicant left unanswered (/back
	// out of its question) is asked first.
	if st, f, ok := staleQuestion(t.s); ok {
		t.say("deps.pending", "Question", e.p.FieldLabel(t.s.Lang, f))
		t.s.ReturnTo = StSummary
		e.moveTo(t, st)
		return evNone, nil
	}
	app := t.s.App
	if err := app.Submit(e.now()); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Code == domain.CodeInvalid {
			t.say("submit.incomplete", "Question", e.p.FieldLabel(t.s.Lang, de.Field))
			if st, ok := question(de.Field); ok {
				t.s.ReturnTo = StSummary
				e.moveTo(t, st)
				return evNone, nil
			}
			return evStay, nil
		}
		return evNone, err
	}
	app.ChatID = t.in.ChatID
	id, ref, _, err := e.d.Registrations.Submit(t.ctx, t.s.DraftID, &app)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Code == domain.CodeConflict && de.Field == domain.FieldLoginName {
			t.say("login.taken", "LoginName", app.Account.LoginName)
			t.s.ReturnTo = StSummary
			e.moveTo(t, StLogin)
			return evNone, nil
		}
		return evNone, err
	}
	t.say("submit.done", "Ref", ref)
	// The review group is told through the notice Submit recorded with the
	// application (RenderNotice), so that a crash now cannot lose it.
	// Keep only what /status needs: the application now lives in Postgres.
	t.s.App = domain.Application{ID: id, Reference: ref, Status: app.Status, ChatID: app.ChatID}
	t.discard = append(t.discard, uploadKeys(t.s)...) // the albums' photos: the PDFs are submitted
	t.s.ApplicationID, t.s.History, t.s.Scratch, t.s.ReturnTo, t.s.Albums, t.s.Stale = id, nil, Scratch{}, "", nil, nil
	return evNext, nil
}

// stages are the nine steps of the manual as the applicant sees them
// ("第 3/9 步 · 账号信息"); each covers the states from its first one on.
// A stage's name is the text "stage.<key>".
var stages = []struct {
	from State
	key  string
}{
	{StNotice, "notice"},
	{StMember, "member"},
	{StEnterprise, "account"},
	{StCreditCode, "basic"},
	{StBank, "business"},
	{StContact, "contact"},
	{StAttCatalog, "attachments"},
	{StMktAccount, "units"},
	{StSummary, "summary"},
}

// stage returns the 1-based stage of a state, or 0 outside the form
// (start, edit menu, submitted).
func stage(st State) int {
	if st == StEdit || st == StSubmitted {
		return 0
	}
	n := 0
	for i, sg := range stages {
		if position[st] >= position[sg.from] {
			n = i + 1
		}
	}
	return n
}

func promptEdit(t *turn) Reply {
	var rows [][]Button
	add := func(b Button, perRow int) {
		if n := len(rows); n > 0 && len(rows[n-1]) < perRow {
			rows[n-1] = append(rows[n-1], b)
			return
		}
		rows = append(rows, []Button{b})
	}
	key := t.s.Scratch.Keyword
	switch {
	case key == "":
		for _, sec := range domain.Sections {
			add(btn(t, t.e.p.SectionName(t.s.Lang, sec), "s:"+string(sec)), 2)
		}
	case key == string(domain.SectionUnits):
		for _, m := range t.s.App.Accounts {
			rows = append(rows, []Button{btn(t, t.e.text(t.s, "edit.change_account", "Account", m.Number), "ra:"+m.Number)})
			for _, u := range m.Units {
				rows = append(rows, []Button{btn(t, t.e.text(t.s, "edit.remove_unit", "Unit", u.ID, "Name", u.Name), "du:"+u.ID)})
			}
		}
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "more.add"), "add")})
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "page.prev"), "s:")})
	default:
		// The section's fields, each by its first question.
		for _, spec := range domain.Fields {
			if st, ok := question(spec.Field); ok && string(spec.Section) == key {
				add(btn(t, t.e.p.FieldLabel(t.s.Lang, spec.Field), "f:"+string(st)), 3)
			}
		}
		rows = append(rows, []Button{btn(t, t.e.text(t.s, "page.prev"), "s:")})
	}
	rows = append(rows, []Button{btn(t, t.e.text(t.s, "edit.back"), "back")})
	return Reply{Text: t.e.text(t.s, "edit.prompt"), Buttons: rows}
}

func handleEdit(t *turn) (Event, error) {
	app := &t.s.App
	val := t.val
	switch {
	case val == "back":
		t.s.Scratch = Scratch{}
		return evNext, nil
	case strings.HasPrefix(val, "s:"):
		t.s.Scratch = Scratch{Keyword: strings.TrimPrefix(val, "s:")}
		return evStay, nil
	case val == "add":
		return t.e.editJump(t, StMktAccount)
	case strings.HasPrefix(val, "ra:"):
		// The account question holds the account to change: another
		// number drops its units (redoUnits) and is queried afresh; the
		// same one is queried again.
		ev, err := t.e.editJump(t, StMktAccount)
		t.s.Scratch.Account = strings.TrimPrefix(val, "ra:")
		return ev, err
	case strings.HasPrefix(val, "du:"):
		id := strings.TrimPrefix(val, "du:")
		for i := range app.Accounts {
			app.Accounts[i].Units = slices.DeleteFunc(app.Accounts[i].Units, func(u domain.Unit) bool { return u.ID == id })
		}
		app.Accounts = slices.DeleteFunc(app.Accounts, func(m domain.MarketingAccount) bool { return len(m.Units) == 0 })
		return evStay, nil
	case strings.HasPrefix(val, "f:"):
		target := State(strings.TrimPrefix(val, "f:"))
		if st, ok := steps[target]; ok && st.Field.Section() != "" {
			return t.e.editJump(t, target)
		}
	}
	return evStay, nil
}

// editJump asks one question of the draft and returns to the summary
// after it (and the other questions of its field).
func (e *Engine) editJump(t *turn, target State) (Event, error) {
	t.s.ReturnTo = StSummary
	t.s.Scratch = Scratch{}
	t.s.State = StSummary // so that /back from the field returns to the summary
	e.moveTo(t, target)
	return evNone, nil
}

func promptSubmitted(t *turn) Reply {
	if t.in.Kind == InputButton && t.val == "submit" {
		return Reply{} // just submitted: the confirmation says it all
	}
	app, err := t.e.d.Registrations.Get(t.ctx, t.s.ApplicationID)
	if err != nil {
		return Reply{Text: t.e.text(t.s, "retry.later")}
	}
	switch app.Status {
	case domain.StatusApproved:
		return Reply{Text: t.e.text(t.s, "status.approved", "Ref", app.Reference)}
	case domain.StatusProvisioned:
		return Reply{Text: t.e.text(t.s, "status.provisioned", "Ref", app.Reference, "LoginName", app.Account.LoginName)}
	case domain.StatusWithdrawn:
		return Reply{Text: t.e.text(t.s, "status.withdrawn", "Ref", app.Reference), Buttons: [][]Button{{
			{Text: t.e.text(t.s, "start.new"), Data: "g|new"},
		}}}
	case domain.StatusRejected:
		again := Button{Text: t.e.text(t.s, "resubmit.button"), Data: "g|resubmit"}
		if !app.ErasedAt.IsZero() { // nothing left to edit
			again = Button{Text: t.e.text(t.s, "start.new"), Data: "g|new"}
		}
		return Reply{Text: t.e.text(t.s, "status.rejected", "Ref", app.Reference), Buttons: [][]Button{{again}}}
	}
	return Reply{Text: t.e.text(t.s, "status.submitted", "Ref", app.Reference, "Submitted", app.SubmittedAt.In(chinaTime).Format("2006-01-02 15:04"))}
}

func handleSubmitted(t *turn) (Event, error) { return evStay, nil }

// resubmit reloads a rejected application into the draft for editing.
func (e *Engine) resubmit(t *turn) error {
	if t.s.ApplicationID == 0 {
		e.prompt(t)
		return nil
	}
	app, err := e.d.Registrations.Get(t.ctx, t.s.ApplicationID)
	if err != nil {
		return e.answerError(t, err)
	}
	if app.Status != domain.StatusRejected || !app.ErasedAt.IsZero() {
		e.prompt(t)
		return nil
	}
	t.s.App = *app
	t.s.DraftID = newID()
	t.s.History, t.s.Scratch, t.s.ReturnTo, t.s.Stale = nil, Scratch{}, "", nil
	t.s.State = StSummary
	e.prompt(t)
	return nil
}
