package domain_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/i18n"
)

// TestReasonsHaveTexts checks that each reason the parsers report has a
// text whose placeholders are exactly the values its Error carries, so
// that T(lang, e.Reason, e.ArgList()...) renders it in every language
// (internal/i18n's tests keep the languages' placeholders equal).
func TestReasonsHaveTexts(t *testing.T) {
	msgs := i18n.Default()
	for reason, args := range domain.Reasons {
		if !msgs.Has(reason) {
			t.Errorf("reason %q has no text", reason)
			continue
		}
		if got := msgs.Placeholders(reason); !slices.Equal(got, args) && (len(got) > 0 || len(args) > 0) {
			t.Errorf("reason %q: text has placeholders %v, its Error carries %v", reason, got, args)
		}
		if !slices.IsSorted(args) {
			t.Errorf("reason %q: Reasons lists %v, not sorted", reason, args)
		}
	}
}

// TestArgsRender renders an error with its ArgList in both languages.
func TestArgsRender(t *testing.T) {
	var problems []error
	msgs := i18n.Default().WithReport(func(err error) { problems = append(problems, err) })
	_, err := domain.ParseIDNumber("50010319990230004", time.Now())
	e := err.(*domain.Error)
	for lang, want := range map[string]string{
		i18n.Chinese: "身份证号码应为 18 位，您输入了 17 位。",
		i18n.English: "An ID number has 18 characters; you typed 17.",
	} {
		if got := msgs.T(lang, e.Reason, e.ArgList()...); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	_, err = domain.ParseCreditCode("９１５００１０３Ｉ００００００００Ｍ")
	e = err.(*domain.Error)
	if got, want := msgs.T(i18n.Chinese, e.Reason, e.ArgList()...), "统一社会信用代码第 9 位是“I”"; !strings.HasPrefix(got, want) {
		t.Errorf("credit code: %q, want it to start %q", got, want)
	}
	if len(problems) > 0 {
		t.Error(problems)
	}
}
