package conversation_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/internal/i18n"
)

// /help answers with help for the question asked now, in every state and
// both languages: the question's own text (what it asks, an example,
// where to find it), then the commands; and the question again.
func TestHelpForEveryQuestion(t *testing.T) {
	msgs := i18n.Default()
	// Questions answered by typing show an example of an answer.
	example := map[string]*regexp.Regexp{
		conversation.LangZH: regexp.MustCompile(`例如|如 `),
		conversation.LangEN: regexp.MustCompile(`e\.g\.|looks like|Something like`),
	}
	// The secrets that are not chosen but repeated or handed out.
	noExample := map[conversation.State]bool{conversation.StPassword2: true, conversation.StMktPwd: true}
	seen := map[string]conversation.State{}
	for _, lang := range []string{conversation.LangZH, conversation.LangEN} {
		for _, st := range conversation.States() {
			h := newHarness(t, conversation.Config{})
			if err := h.sessions.Update(context.Background(), chatID, 0, func(s *conversation.Session) error {
				s.State, s.Lang = st, lang
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			out := h.cmd("help")
			for len(out) > 0 && out[0].Text == "" {
				out = out[1:] // deleting a secret question's message
			}
			own := msgs.T(lang, "help."+string(st))
			if len(out) < 2 || !strings.HasPrefix(out[0].Text, own) || !strings.Contains(out[0].Text, msgs.T(lang, "help.commands")) {
				t.Errorf("%s, %s: /help answered %s", lang, st, texts(out))
				continue
			}
			if prev, dup := seen[own]; dup {
				t.Errorf("%s: %s and %s have the same help", lang, prev, st)
			}
			seen[own] = st
			if len([]rune(own)) < 25 {
				t.Errorf("%s, %s: help %q says too little", lang, st, own)
			}
			if h.state() != st {
				t.Errorf("%s, %s: /help moved to %s", lang, st, h.state())
			}
			if conversation.TakesText(st) && !noExample[st] && !example[lang].MatchString(own) {
				t.Errorf("%s, %s: the help of a typed answer shows no example: %q", lang, st, own)
			}
		}
	}
}

// The help says where to find what is asked, for the answers found on a
// document: the credit code on the business licence, the marketing account
// number on the electricity bill or from 95598, its query password from
// 95598.
func TestHelpSaysWhereToFindIt(t *testing.T) {
	for st, where := range map[conversation.State][]string{
		conversation.StCreditCode: {"营业执照", "business licence"},
		conversation.StMktAccount: {"电费单", "95598", "electricity bill", "95598"},
		conversation.StMktPwd:     {"95598", "95598"},
		conversation.StIDNumber:   {"身份证", "ID card"},
		conversation.StRegAddress: {"营业执照", "business licence"},
		conversation.StLegalRep:   {"营业执照", "business licence"},
	} {
		zh, en := i18n.Default().T(conversation.LangZH, "help."+string(st)), i18n.Default().T(conversation.LangEN, "help."+string(st))
		for i, w := range where {
			text := zh
			if i >= len(where)/2 {
				text = en
			}
			if !strings.Contains(text, w) {
				t.Errorf("help.%s does not say %q: %q", st, w, text)
			}
		}
	}
}
