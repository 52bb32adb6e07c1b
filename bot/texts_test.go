package bot

import (
	"testing"

	"github.com/regbot/regbot/internal/i18n"
)

// TestTextsExist: every text the bot shows of its own is in the message
// files (the menus, the rate-limit notice, the contact button).
func TestTextsExist(t *testing.T) {
	msgs := i18n.Default()
	keys := []string{"ratelimit.notice", "contact.button"}
	for _, c := range commands {
		keys = append(keys, "menu."+c)
	}
	for _, c := range groupCommands {
		keys = append(keys, "review.menu."+c)
	}
	for _, k := range keys {
		if !msgs.Has(k) || len(msgs.Placeholders(k)) != 0 {
			t.Errorf("text %q: missing, or it takes placeholders the bot does not give", k)
		}
	}
}
