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

// The login name suggestion says why it has digits: the initials were too
// short (padded with zeros, not read as taken), or taken by another
// application.
func TestLoginSuggestionSaysWhyDigits(t *testing.T) {
	ctx := context.Background()
	take := func(h *harness, login string) {
		t.Helper()
		app := &domain.Application{Status: domain.StatusSubmitted, Account: domain.Account{LoginName: login}}
		if _, _, _, err := h.regs.Submit(ctx, "k-"+login, app); err != nil {
			t.Fatal(err)
		}
	}
	suggestion := func(h *harness) string {
		t.Helper()
		for _, r := range h.last {
			for _, row := range r.Buttons {
				for _, b := range row {
					if v, ok := strings.CutPrefix(b.Data, string(conversation.StLogin)+"|v:"); ok {
						return v
					}
				}
			}
		}
		t.Fatalf("no suggestion in %s", texts(h.last))
		return ""
	}
	for _, tt := range []struct {
		name, taken, want, says, not string
	}{
		{"重庆钢铁", "", "cqgt01", "企业拼音首字母 cqgt 不足 6 位", "已被"},
		{"重庆钢铁", "cqgt01", "cqgt02", "不足 6 位", "已被"},
		{"重庆某某机械制造有限公司", "", "cqmmjxzzyxgs", "建议使用企业拼音首字母", "已被"},
		{"重庆某某机械制造有限公司", "cqmmjxzzyxgs", "cqmmjxzzyxgs1", "企业拼音首字母 cqmmjxzzyxgs 已被其他申请使用", "不足"},
	} {
		h := newHarness(t, conversation.Config{})
		if tt.taken != "" {
			take(h, tt.taken)
		}
		h.at(conversation.StLogin, tt.name, conversation.LangZH)
		h.cmd("status")
		if got := suggestion(h); got != tt.want {
			t.Errorf("%s (taken %q): suggested %q, want %q", tt.name, tt.taken, got, tt.want)
		}
		if !says(h.last, tt.says) || says(h.last, tt.not) {
			t.Errorf("%s (taken %q): %s; want %q and no %q", tt.name, tt.taken, texts(h.last), tt.says, tt.not)
		}
	}
	// English says it too.
	h := newHarness(t, conversation.Config{})
	h.at(conversation.StLogin, "重庆钢铁", conversation.LangEN)
	h.cmd("status")
	h.expectSay("initials cqgt are shorter than 6 characters")
}
