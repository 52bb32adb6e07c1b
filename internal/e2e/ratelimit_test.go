package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestSecretTypedOverTheRateLimitIsDeleted runs the built binary with its
// default per-chat limit (a burst of 30, then one a second): an applicant
// who floods the chat and then types the ID number gets the polite notice,
// and the ID-number message, which the engine never sees, is deleted all
// the same. An ordinary dropped message stays.
func TestSecretTypedOverTheRateLimitIsDeleted(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	StartProc(t, bin, ProcessEnv(w.Cfg))
	steps := RegistrationSteps(w)
	for _, step := range steps[:8] { // up to the ID-number question
		step()
	}
	var last int64
	for range 40 {
		last = w.TG.SendText(w.User, "好")
	}
	if !w.TG.WaitConfirmed(last, WaitTime) {
		t.Fatal("the flood was not taken")
	}
	w.Await(w.User.ID, map[int]string{}, "太快")
	plain := w.TG.SendText(w.User, "好的")
	secret := w.TG.SendText(w.User, "５００１０３ １９７００１０１ ００１１")
	if !w.TG.WaitFor(WaitTime, func() bool {
		return slices.Contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(secret))
	}) {
		t.Fatal("the ID number typed over the limit is still in the chat")
	}
	if !w.TG.WaitConfirmed(plain, WaitTime) {
		t.Fatal("the plain message was not taken")
	}
	if slices.Contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(plain)) {
		t.Error("an ordinary dropped message was deleted")
	}
	for _, m := range w.TG.Messages(w.User.ID) {
		if !m.Deleted && strings.Contains(strings.ReplaceAll(m.Text, " ", ""), "５００１０３") {
			t.Errorf("message %d still shows the ID number", m.ID)
		}
	}
}
