package conversation_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
)

// newVault is the real vault with random keys, sealing passwords to the
// test's stand-in for the exchange (conversationtest.PlatformIdentity).
func newVault(t *testing.T) *secrets.Vault {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	v, err := secrets.NewVault(map[string][]byte{"k1": key}, "k1", key)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SealPasswordsTo(conversationtest.PlatformIdentity.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPasswordSealedAtOnce: the first entry is sealed to the exchange's
// key the moment it is read, and the draft keeps only that box and a keyed
// digest to compare the confirmation with. After the confirmation the box
// is the application's and the digest is gone; the password opens only
// with the exchange's identity, and never appears in the draft.
func TestPasswordSealedAtOnce(t *testing.T) {
	v := newVault(t)
	h := newHarnessWithSecrets(t, conversation.Config{}, v)
	h.toPassword()

	h.text(platformPW)
	h.expectState(conversation.StPassword2)
	s := h.session()
	if raw := string(h.sessions.Raw(chatID)); strings.Contains(raw, platformPW) {
		t.Fatalf("the draft holds the password in clear: %s", raw)
	}
	if !v.DigestMatches(s.Scratch.Pending, platformPW) || len(s.Scratch.Sealed) == 0 || len(s.App.Account.SealedPassword) != 0 {
		t.Fatalf("awaiting the confirmation: pending %q, sealed %d bytes, application's %d bytes",
			s.Scratch.Pending, len(s.Scratch.Sealed), len(s.App.Account.SealedPassword))
	}

	h.text(platformPW)
	h.expectState(conversation.StLegalRep) // the credit code comes from the catalog
	s = h.session()
	if s.Scratch.Pending != "" || len(s.Scratch.Sealed) != 0 {
		t.Fatalf("after the confirmation the draft still holds the digest %q or the box", s.Scratch.Pending)
	}
	raw := string(h.sessions.Raw(chatID))
	if strings.Contains(raw, platformPW) || strings.Contains(raw, "d1$") {
		t.Fatalf("the draft holds the password or its digest after the confirmation: %s", raw)
	}
	got, err := conversationtest.OpenPassword(s.App.Account.SealedPassword)
	if err != nil || got != platformPW {
		t.Fatalf("the exchange opens %q, %v; want the password", got, err)
	}
}

// TestPasswordConfirmationMismatch: a different second entry is refused,
// both are asked again, and nothing of either is kept.
func TestPasswordConfirmationMismatch(t *testing.T) {
	h := newHarnessWithSecrets(t, conversation.Config{}, newVault(t))
	h.toPassword()
	h.text(platformPW)
	h.text("Different1!")
	h.expectSay("不一致")
	h.expectState(conversation.StPassword)
	if s := h.session(); s.Scratch.Pending != "" || len(s.Scratch.Sealed) != 0 || len(s.App.Account.SealedPassword) != 0 {
		t.Fatalf("after a mismatch: pending %q, sealed %d bytes, application's %d bytes",
			s.Scratch.Pending, len(s.Scratch.Sealed), len(s.App.Account.SealedPassword))
	}
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StLegalRep)
}

// TestPasswordForgottenOnBack: /back from the confirmation drops the
// digest and the box, as /cancel drops the whole draft.
func TestPasswordForgottenOnBack(t *testing.T) {
	h := newHarnessWithSecrets(t, conversation.Config{}, newVault(t))
	h.toPassword()
	h.text(platformPW)
	h.cmd("back")
	h.expectState(conversation.StPassword)
	if s := h.session(); s.Scratch.Pending != "" || len(s.Scratch.Sealed) != 0 {
		t.Fatalf("after /back: pending %q, sealed %d bytes", s.Scratch.Pending, len(s.Scratch.Sealed))
	}
	h.text(platformPW)
	h.cmd("cancel")
	h.press("放弃注册")
	if s := h.session(); s.Scratch.Pending != "" || len(s.Scratch.Sealed) != 0 {
		t.Fatalf("after /cancel: pending %q, sealed %d bytes", s.Scratch.Pending, len(s.Scratch.Sealed))
	}
}

func hasText(out []conversation.Reply, sub string) bool {
	for _, r := range out {
		if strings.Contains(r.Text, sub) {
			return true
		}
	}
	return false
}

// orphaning is a session store that reports one update as orphaned (applied
// by a replica that died before answering it), whatever was applied since:
// the Redis store does so for a redelivery that comes after the applicant
// went on on another replica.
type orphaning struct {
	*conversationtest.Sessions
	update int64
}

func (o orphaning) Update(ctx context.Context, chat, updateID int64, fn func(*conversation.Session) error) error {
	if updateID == o.update {
		return conversation.ErrOrphanedUpdate
	}
	return o.Sessions.Update(ctx, chat, updateID, fn)
}

// TestOrphanedPasswordAfterTheNextStep: the password's confirmation is
// applied by a replica that dies before deleting the message; the
// applicant, who had the answer, answers the next question on another
// replica; then Telegram's redelivery of the confirmation is taken over.
// The chat has moved past both password questions, yet the message is
// deleted: the session remembers which messages carried secrets.
func TestOrphanedPasswordAfterTheNextStep(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toPassword()
	h.text(platformPW)
	msg := h.msgID + 1 // the confirmation's message
	h.text(platformPW)
	confirmation := h.update
	h.expectState(conversation.StLegalRep) // the credit code comes from the catalog
	h.text("张三")
	h.expectState(conversation.StCapital)
	e := conversation.New(conversation.Deps{Sessions: orphaning{h.sessions, confirmation}, Registrations: h.regs,
		Catalog: &conversationtest.Catalog{}, MeteringPoints: h.meter, Files: h.files, Secrets: conversationtest.Secrets{}, QueryGuard: h.guard},
		conversation.Config{Regions: regions, Now: h.clock.Now})
	before := h.session()
	out, err := e.Handle(context.Background(), conversation.Input{UpdateID: confirmation, ChatID: chatID, UserID: userID,
		Kind: conversation.InputText, Text: platformPW, MessageID: msg})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || out[0].DeleteMessageID != msg {
		t.Fatalf("orphaned confirmation answered %+v; want the deletion of message %d first", out, msg)
	}
	if !strings.Contains(out[len(out)-1].Text, "注册资本") {
		t.Errorf("orphaned confirmation answered %+v; want the current question", out)
	}
	if after := h.session(); after.State != before.State || after.Version != before.Version {
		t.Error("the orphaned update changed the session")
	}
}
