package conversation

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/regbot/regbot/domain"
)

// TestMessagesComplete fails when a text lacks a language, when the two
// languages take different arguments, or when code refers to a key that
// has no text.
func TestMessagesComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%(?:\[\d+\])?([dsvq])`)
	kinds := func(s string) string {
		var k []string
		for _, m := range verbs.FindAllStringSubmatch(s, -1) {
			k = append(k, m[1])
		}
		slices.Sort(k)
		return strings.Join(k, "")
	}
	for key, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s: missing in %s", key, map[bool]string{true: "Chinese", false: "English"}[strings.TrimSpace(m[0]) == ""])
		}
		if a, b := kinds(m[0]), kinds(m[1]); a != b {
			t.Errorf("%s: arguments differ: zh %v, en %v", key, a, b)
		}
	}
	// Keys named in the code: t.say("k"…), text(…, "k"…), t(lang, "k"…).
	used := regexp.MustCompile(`(?:say|text|\bt)\((?:[a-zA-Z.()]+, )?"([a-z][a-z0-9_]*\.[a-z0-9_.]+|privacy|previous|progress|skip)"`)
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s uses key %q, which has no text", f, m[1])
			}
		}
	}
	if n < 100 {
		t.Errorf("found only %d uses of message keys: is the pattern still right?", n)
	}
}

// TestEveryDomainReasonHasText checks that the reasons the domain can
// report to a user have a text (otherwise the user sees "not valid").
func TestEveryDomainReasonHasText(t *testing.T) {
	var all []byte
	for _, f := range []string{"account.go", "contact.go", "creditcode.go", "idnumber.go", "attachment.go", "image.go"} {
		b, err := os.ReadFile(filepath.Join("..", "domain", f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	for _, m := range regexp.MustCompile(`invalid\([a-z_"]+, "([a-z_.]+)"\)|"([a-z]+\.[a-z_]+)", "%v"`).FindAllStringSubmatch(string(all), -1) {
		key := m[1] + m[2]
		if key == domain.ReasonCreditCodeChecksum {
			continue // answered by the confirmation question
		}
		if _, ok := messages[key]; !ok {
			t.Errorf("domain reason %q has no text", key)
		}
	}
}
