package redis

import (
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// The engine answering a query password against this package's store and
// guard: the lock check rides on the session load, so the step costs the
// two round trips of any update, and a locked account is refused without
// a query to the marketing system.
func TestQueryPasswordStepRoundTrips(t *testing.T) {
	c := mustOpen(t)
	store, guard := NewSessionStore(c, 0), NewQueryGuard(c)
	store.SingleConsumer = true // Replied costs nothing then; see TestQueryPasswordStepTakesTwoRoundTrips
	const open, locked, pw = "5000000001", "5000000002", "qpw-1"
	meter := &conversationtest.MeteringPoints{Accounts: map[string]struct {
		Password string
		Points   []domain.MeteringPoint
	}{
		open:   {Password: pw, Points: []domain.MeteringPoint{{ID: "9000000101", Name: "总表", VoltageCode: "AC00101"}}},
		locked: {Password: pw, Points: []domain.MeteringPoint{{ID: "9000000201", Name: "仓库", VoltageCode: "AC00101"}}},
	}}
	e := conversation.New(conversation.Deps{
		Sessions: store, Registrations: conversationtest.NewRegistrations(), Catalog: &conversationtest.Catalog{},
		MeteringPoints: meter, Files: &conversationtest.Files{}, Secrets: conversationtest.Secrets{}, QueryGuard: guard,
	}, conversation.Config{})
	for range guard.MaxFailures {
		if _, err := guard.Failed(t.Context(), locked); err != nil {
			t.Fatal(err)
		}
	}
	commands := recordCommands(c)
	for i, tc := range []struct {
		account string
		say     string
		state   conversation.State
	}{
		{open, "", conversation.StPoints},
		{locked, "锁定", conversation.StMktAccount},
	} {
		chat := int64(100 + i)
		err := store.Update(t.Context(), chat, 1, func(s *conversation.Session) error {
			s.Lang, s.DraftID, s.App.Status, s.App.ChatID = "zh", "d-1", domain.StatusDraft, chat
			s.State, s.Scratch = conversation.StMktPwd, conversation.Scratch{Account: tc.account}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		queries := len(meter.Passwords)
		commands() // from here on: the query password's update
		out, err := e.Handle(t.Context(), conversation.Input{UpdateID: 2, ChatID: chat, Kind: conversation.InputText, Text: pw, MessageID: 5})
		if err != nil {
			t.Fatal(err)
		}
		if got := commands(); len(got) != 2 {
			t.Errorf("account %s: commands %v; want 2 round trips (the session's load and write)", tc.account, got)
		}
		if s, _ := store.Peek(t.Context(), chat); s.State != tc.state {
			t.Errorf("account %s: state %s; want %s", tc.account, s.State, tc.state)
		}
		var texts []string
		for _, r := range out {
			texts = append(texts, r.Text)
		}
		if tc.say != "" && !strings.Contains(strings.Join(texts, "\n"), tc.say) {
			t.Errorf("account %s: replies %q; want one saying %q", tc.account, texts, tc.say)
		}
		if tc.account == locked && len(meter.Passwords) != queries {
			t.Errorf("the locked account %s was queried", tc.account)
		}
	}
}
