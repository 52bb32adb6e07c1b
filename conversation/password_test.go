package conversation_test

import (
	"context"
	"crypto/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
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

// newCountingSecrets is a vault with random keys hashing at bcrypt's
// lowest cost, counted.
func newCountingSecrets() *countingSecrets {
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	v, err := secrets.NewVault(map[string][]byte{"k1": key}, "k1", key)
	if err != nil {
		panic(err)
	}
	v.PasswordCost = bcrypt.MinCost
	return &countingSecrets{Vault: v}
}

// TestPasswordHashedOnceOnConfirmation: the slow hash runs once per
// registration, when the confirmation matches; until then the draft holds
// only the vault's keyed digest, and a mismatch stores nothing.
func TestPasswordHashedOnceOnConfirmation(t *testing.T) {
	sec := newCountingSecrets()
	v := sec.Vault
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
	sec := newCountingSecrets()
	v := sec.Vault
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

// blockingSecrets holds every slow hash until release is closed, telling
// entered when one starts.
type blockingSecrets struct {
	conversation.Secrets
	entered chan struct{}
	release chan struct{}
}

func (b *blockingSecrets) HashPassword(pw string) (string, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Secrets.HashPassword(pw)
}

// TestPasswordHashesBounded: with one hashing slot taken, a second
// confirmation does not start another hash: after HashWait the applicant
// hears the system is busy and is asked again, the draft kept. Once the
// slot is free the confirmation goes through.
func TestPasswordHashesBounded(t *testing.T) {
	sec := &blockingSecrets{Secrets: conversationtest.Secrets{}, entered: make(chan struct{}, 2), release: make(chan struct{})}
	h := newHarnessWithSecrets(t, conversation.Config{MaxConcurrentHashes: 1, HashWait: 50 * time.Millisecond}, sec)
	h.toPassword()
	h.text(platformPW)
	h.expectState(conversation.StPassword2)
	// A second applicant at the same question: a copy of this session.
	const other = chatID + 1
	at := h.session()
	ctx := context.Background()
	if err := h.sessions.Update(ctx, other, 0, func(s *conversation.Session) error { *s = at; return nil }); err != nil {
		t.Fatal(err)
	}

	first := make(chan error, 1)
	go func() {
		_, err := h.e.Handle(ctx, conversation.Input{Kind: conversation.InputText, Text: platformPW, ChatID: chatID, UserID: userID, UpdateID: 1000, MessageID: 1000})
		first <- err
	}()
	<-sec.entered // the first confirmation holds the only slot
	type result struct {
		out []conversation.Reply
		err error
	}
	second := make(chan result, 1)
	go func() {
		out, err := h.e.Handle(ctx, conversation.Input{Kind: conversation.InputText, Text: platformPW, ChatID: other, UserID: userID + 1, UpdateID: 1001, MessageID: 1001})
		second <- result{out, err}
	}()
	var out []conversation.Reply
	select {
	case r := <-second:
		if r.err != nil {
			t.Fatal(r.err)
		}
		out = r.out
	case <-sec.entered:
		close(sec.release)
		t.Fatal("a second hash started while the only slot was taken")
	}
	if !hasText(out, "系统繁忙") || !hasText(out, "再次输入密码") {
		t.Fatalf("second confirmation while the slot is taken: %+v; want 'busy' and the question again", out)
	}
	if s, _ := h.sessions.Peek(ctx, other); s.State != conversation.StPassword2 || s.Scratch.Pending == "" || s.App.Account.PasswordHash != "" {
		t.Fatalf("second applicant's draft after 'busy': state %s, pending %q, hash %q; want the confirmation still awaited", s.State, s.Scratch.Pending, s.App.Account.PasswordHash)
	}
	close(sec.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := h.session(); got.App.Account.PasswordHash == "" || got.State == conversation.StPassword2 {
		t.Fatalf("first confirmation: state %s, hash %q", got.State, got.App.Account.PasswordHash)
	}
	// The slot is free again: the second applicant confirms.
	if _, err := h.e.Handle(ctx, conversation.Input{Kind: conversation.InputText, Text: platformPW, ChatID: other, UserID: userID + 1, UpdateID: 1002, MessageID: 1002}); err != nil {
		t.Fatal(err)
	}
	<-sec.entered
	if s, _ := h.sessions.Peek(ctx, other); s.App.Account.PasswordHash == "" {
		t.Fatal("second confirmation not hashed once the slot was free")
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
