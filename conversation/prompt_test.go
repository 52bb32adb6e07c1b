package conversation_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// at puts the chat at question st of a draft for enterprise name, in lang.
func (h *harness) at(st conversation.State, name, lang string) {
	h.t.Helper()
	err := h.sessions.Update(context.Background(), chatID, 0, func(s *conversation.Session) error {
		s.State, s.Lang, s.App.Basic.EnterpriseName = st, lang, name
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// An example lead-in at the end of a line ("例如：") promises what follows
// it, and so does "tap to use:": a button. Without one, the prompt would
// end in an empty example.
var (
	exampleLeadIn = regexp.MustCompile(`(?m)(例如|比如|for example|e\.g\.)\s*[：:]?\s*$`)
	buttonLeadIn  = regexp.MustCompile(`(?m)(点击[^。\n]*|tap to use)[：:]\s*$`)
)

// No question ends in an empty example, whatever the enterprise's name:
// every prompt of the flow, in both languages, for a very long name, a
// short one and one without pinyin initials.
func TestNoPromptEndsInEmptyExample(t *testing.T) {
	names := []string{
		strings.Repeat("重庆市某某高新技术产业开发区", 5) + "有限责任公司", // 75 characters
		"重庆钢铁",
		"（）·",
	}
	for _, name := range names {
		for _, st := range conversation.States() {
			h := newHarness(t, conversation.Config{})
			h.at(st, name, conversation.LangZH)
			replies := h.cmd("lang")                    // the question again, in English
			replies = append(replies, h.cmd("lang")...) // and in Chinese
			for _, r := range replies {
				if r.Text == "" || len(r.Buttons) > 0 || r.RequestContact {
					continue
				}
				if exampleLeadIn.MatchString(r.Text) || buttonLeadIn.MatchString(r.Text) {
					t.Errorf("%s, name of %d characters: %q promises an example or a button that is not there",
						st, len([]rune(name)), r.Text)
				}
			}
		}
	}
}

// A user name suggestion too long for a button is the example of the
// text instead, whole.
func TestUserNameExampleForLongName(t *testing.T) {
	name := strings.Repeat("重庆市某某高新技术产业开发区", 5) + "有限责任公司"
	h := newHarness(t, conversation.Config{})
	h.at(conversation.StUserName, name, conversation.LangZH)
	h.cmd("status")
	h.expectSay("例如 " + domain.SuggestUserName(name))
}
