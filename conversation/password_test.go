package conversation_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/conversation"
)

// countingSecrets counts the slow hashes a vault computes.
type countingSecrets struct {
	*secrets.Vault
	hashes atomic.Int32
}

func (c *countingSecrets) HashPassword(pw string) (string, error) {
	c.hashes.Add(1)
	return c.Vault.HashPassword(pw)
}

// toPassword walks a new applicant to the first password question.
func (h *harness) toPassword() {
	h.t.Helper()
	h.cmd("start")
	h.press("开始注册")
	h.press("我已阅读注册须知并同意条款")
	h.press("电力用户")
	h.text("某某机械")
	h.press(testCatalog)
	h.press("cqmmjxzzyxgs")
	h.press("交易员")
	h.text(validID)
	h.expectState(conversation.StPassword)
}

// TestPasswordHashedOnceOnConfirmation: the slow hash runs once per
// registration, when the confirmation matches; until then the draft holds
// only the vault's keyed digest, and a mismatch stores nothing.
func TestPasswordHashedOnceOnConfirmation(t *testing.T) {
	v := secrets.DevVault()
	v.PasswordCost = bcrypt.MinCost
	sec := &countingSecrets{Vault: v}
	h := newHarnessWithSecrets(t, conversation.Config{}, sec)
	h.toPassword()

	h.text(platformPW)
	h.expectState(conversation.StPassword2)
	s := h.session()
	raw := string(h.sessions.Raw(chatID))
	if n := sec.hashes.Load(); n != 0 {
		t.Fatalf("%d slow hashes before the confirmation", n)
	}
	if strings.Contains(raw, platformPW) || strings.Contains(raw, "$2a$") || s.App.Account.PasswordHash != "" {
		t.Fatalf("draft before confirmation holds the password or a bcrypt hash: %s", raw)
	}
	if !v.DigestMatches(s.Scratch.Pending, platformPW) {
		t.Fatalf("pending value %q is not the password's digest", s.Scratch.Pending)
	}

	h.text("Different1!")
	h.expectSay("不一致")
	h.expectState(conversation.StPassword)
	if s := h.session(); s.Scratch.Pending != "" || s.App.Account.PasswordHash != "" {
		t.Fatalf("after a mismatch: pending %q, hash %q", s.Scratch.Pending, s.App.Account.PasswordHash)
	}
	if n := sec.hashes.Load(); n != 0 {
		t.Fatalf("a mismatch computed %d slow hashes", n)
	}

	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StCreditCode)
	if n := sec.hashes.Load(); n != 1 {
		t.Fatalf("%d slow hashes for one registration, want 1", n)
	}
	s = h.session()
	if c, err := bcrypt.Cost([]byte(s.App.Account.PasswordHash)); err != nil || c != bcrypt.MinCost {
		t.Fatalf("stored hash %q: cost %d, %v", s.App.Account.PasswordHash, c, err)
	}
	if !v.PasswordMatches(s.App.Account.PasswordHash, platformPW) || s.Scratch.Pending != "" {
		t.Fatalf("after confirmation: hash %q, pending %q", s.App.Account.PasswordHash, s.Scratch.Pending)
	}
}

// TestPasswordConfirmationOfAnOlderDraft: a draft saved by a release that
// bcrypt-hashed the first entry is still confirmed, without a second hash.
func TestPasswordConfirmationOfAnOlderDraft(t *testing.T) {
	v := secrets.DevVault()
	v.PasswordCost = bcrypt.MinCost
	sec := &countingSecrets{Vault: v}
	h := newHarnessWithSecrets(t, conversation.Config{}, sec)
	h.toPassword()
	old, err := v.HashPassword(platformPW)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sessions.Update(context.Background(), chatID, 0, func(s *conversation.Session) error {
		s.State, s.Scratch.Pending = conversation.StPassword2, old
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.text(platformPW)
	h.expectState(conversation.StCreditCode)
	if got := h.session().App.Account.PasswordHash; got != old || sec.hashes.Load() != 0 {
		t.Fatalf("hash %q (want the draft's), %d new hashes", got, sec.hashes.Load())
	}
}
