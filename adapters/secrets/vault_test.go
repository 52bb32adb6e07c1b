package secrets

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/regbot/regbot/domain"
)

// idNumber is the worked example of facts.md §2.1 (valid check character).
const idNumber = "11010519491231002X"

func newKey(tb testing.TB) []byte {
	tb.Helper()
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// mustVault returns a vault over keys, the first id being active.
func mustVault(tb testing.TB, hashKey []byte, keys map[string][]byte, active string) *Vault {
	tb.Helper()
	v, err := NewVault(keys, active, hashKey)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestSealOpenRoundTrip(t *testing.T) {
	v := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	s, err := v.SealID(" " + strings.ToLower(idNumber) + " ")
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID != "k1" || s.Masked != domain.MaskIDNumber(idNumber) || s.IsZero() {
		t.Errorf("sealed = %+v", s)
	}
	if bytes.Contains(s.Ciphertext, []byte(idNumber)) || strings.Contains(s.Masked, "1949") {
		t.Error("the plain number shows through")
	}
	if len(s.Ciphertext) != 12+len(idNumber)+16 {
		t.Errorf("ciphertext has %d bytes, want nonce + %d + tag", len(s.Ciphertext), len(idNumber))
	}
	got, err := v.OpenID(s)
	if err != nil || got != idNumber {
		t.Errorf("OpenID = %q, %v; want %q (normalised)", got, err, idNumber)
	}
}

func TestSealEmpty(t *testing.T) {
	v := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	if _, err := v.SealID("  "); err == nil {
		t.Error("sealed an empty number")
	}
}

func TestSealHash(t *testing.T) {
	hashKey := newKey(t)
	v := mustVault(t, hashKey, map[string][]byte{"k1": newKey(t)}, "k1")
	a, _ := v.SealID(idNumber)
	b, _ := v.SealID(strings.ToLower(idNumber))
	if !bytes.Equal(a.Hash, b.Hash) {
		t.Error("same number, different hashes")
	}
	if bytes.Equal(a.Ciphertext, b.Ciphertext) {
		t.Error("same number, same ciphertext: the nonce is not random")
	}
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(idNumber))
	if want := m.Sum(nil); !bytes.Equal(a.Hash, want) || !bytes.Equal(v.HashID(idNumber), want) {
		t.Errorf("Hash = %x, want HMAC-SHA256 %x", a.Hash, want)
	}
	c, _ := v.SealID("500105199001010011")
	if bytes.Equal(a.Hash, c.Hash) {
		t.Error("different numbers, same hash")
	}
	// Another hash key, another hash: the hash is keyed.
	w := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	if bytes.Equal(w.HashID(idNumber), a.Hash) {
		t.Error("hash does not depend on the hash key")
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	v := mustVault(t, newKey(t), map[string][]byte{"k1": k1, "k2": k2}, "k1")
	s, _ := v.SealID(idNumber)
	flip := func(i int) domain.SealedID {
		c := s
		c.Ciphertext = bytes.Clone(s.Ciphertext)
		c.Ciphertext[i] ^= 1
		return c
	}
	tests := []struct {
		name string
		s    domain.SealedID
		want error
	}{
		{"nonce", flip(0), ErrCorrupt},
		{"body", flip(12), ErrCorrupt},
		{"tag", flip(len(s.Ciphertext) - 1), ErrCorrupt},
		{"truncated", domain.SealedID{KeyID: "k1", Ciphertext: s.Ciphertext[:20]}, ErrCorrupt},
		{"empty", domain.SealedID{KeyID: "k1"}, ErrCorrupt},
		// The key id is authenticated: relabelling fails even with the
		// same key bytes under another name.
		{"relabelled", domain.SealedID{KeyID: "k2", Ciphertext: s.Ciphertext}, ErrCorrupt},
		{"unknown key", domain.SealedID{KeyID: "k9", Ciphertext: s.Ciphertext}, ErrUnknownKey},
	}
	same := mustVault(t, newKey(t), map[string][]byte{"k1": k1, "alias": k1}, "k1")
	if _, err := same.OpenID(domain.SealedID{KeyID: "alias", Ciphertext: s.Ciphertext}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("relabelled to an alias of the same key: err = %v, want ErrCorrupt", err)
	}
	for _, tt := range tests {
		got, err := v.OpenID(tt.s)
		if !errors.Is(err, tt.want) || got != "" {
			t.Errorf("%s: OpenID = %q, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestRotation(t *testing.T) {
	hashKey, k1, k2 := newKey(t), newKey(t), newKey(t)
	old := mustVault(t, hashKey, map[string][]byte{"k1": k1}, "k1")
	sealed, _ := old.SealID(idNumber)

	v := mustVault(t, hashKey, map[string][]byte{"k1": k1, "k2": k2}, "k2")
	if got, err := v.OpenID(sealed); err != nil || got != idNumber {
		t.Errorf("open k1 data after rotation = %q, %v", got, err)
	}
	fresh, _ := v.SealID(idNumber)
	if fresh.KeyID != "k2" || v.ActiveKeyID() != "k2" {
		t.Errorf("new data sealed with %q, want k2", fresh.KeyID)
	}
	if !bytes.Equal(fresh.Hash, sealed.Hash) {
		t.Error("rotation changed the hash: uniqueness checks would break")
	}
	if _, err := old.OpenID(fresh); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old vault opened k2 data: %v", err)
	}
}

func TestNewVaultRejects(t *testing.T) {
	good := newKey(t)
	tests := []struct {
		name    string
		keys    map[string][]byte
		active  string
		hashKey []byte
	}{
		{"no keys", nil, "k1", good},
		{"16-byte key", map[string][]byte{"k1": good[:16]}, "k1", good},
		{"31-byte key", map[string][]byte{"k1": good[:31]}, "k1", good},
		{"33-byte key", map[string][]byte{"k1": append(bytes.Clone(good), 0)}, "k1", good},
		{"wrong second key", map[string][]byte{"k1": good, "k0": good[:24]}, "k1", good},
		{"active missing", map[string][]byte{"k1": good}, "k2", good},
		{"empty id", map[string][]byte{"": good}, "", good},
		{"id with colon", map[string][]byte{"k:1": good}, "k:1", good},
		{"short hash key", map[string][]byte{"k1": good}, "k1", good[:16]},
	}
	for _, tt := range tests {
		if _, err := NewVault(tt.keys, tt.active, tt.hashKey); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestNewVaultCopiesKeys(t *testing.T) {
	key, hashKey := newKey(t), newKey(t)
	v := mustVault(t, hashKey, map[string][]byte{"k1": key}, "k1")
	s, _ := v.SealID(idNumber)
	h := v.HashID(idNumber)
	clear(key)
	clear(hashKey)
	if got, err := v.OpenID(s); err != nil || got != idNumber {
		t.Errorf("after the caller cleared the key: %q, %v", got, err)
	}
	if !bytes.Equal(v.HashID(idNumber), h) {
		t.Error("after the caller cleared the hash key the hash changed")
	}
}

func TestParseKeys(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	b1, b2 := base64.StdEncoding.EncodeToString(k1), base64.StdEncoding.EncodeToString(k2)
	short := base64.StdEncoding.EncodeToString(k1[:16])
	tests := []struct {
		spec   string
		active string // "" means an error is expected
		n      int
	}{
		{"k1:" + b1, "k1", 1},
		{"k2:" + b2 + ",k1:" + b1, "k2", 2},
		{" k2 : " + b2 + " , k1:" + b1 + " ", "k2", 2},
		{"", "", 0},
		{"   ", "", 0},
		{b1, "", 0},                       // no id
		{":" + b1, "", 0},                 // empty id
		{"k 1:" + b1, "", 0},              // bad id
		{"k1:" + b1 + ",", "", 0},         // empty entry
		{"k1:" + b1 + ",k1:" + b2, "", 0}, // duplicate id
		{"k1:" + short, "", 0},            // 16 bytes
		{"k1:not*base64", "", 0},
		{"k1:" + strings.TrimRight(b1, "="), "", 0}, // unpadded
	}
	for _, tt := range tests {
		keys, active, err := ParseKeys(tt.spec)
		if tt.active == "" {
			if err == nil {
				t.Errorf("ParseKeys(%q): no error", tt.spec)
			} else if strings.Contains(err.Error(), b1) || strings.Contains(err.Error(), short) {
				t.Errorf("ParseKeys(%q): error %q shows key material", tt.spec, err)
			}
			continue
		}
		if err != nil || active != tt.active || len(keys) != tt.n || !bytes.Equal(keys["k1"], k1) {
			t.Errorf("ParseKeys(%q) = %d keys, %q, %v", tt.spec, len(keys), active, err)
			continue
		}
		if _, err := NewVault(keys, active, k1); err != nil {
			t.Errorf("NewVault(ParseKeys(%q)): %v", tt.spec, err)
		}
	}
}

// TestSealPassword: a sealed password opens with the exchange's identity,
// and with nothing else; two seals of one password differ; without a
// recipient the vault refuses to seal, and a malformed one is refused.
func TestSealPassword(t *testing.T) {
	v := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	const pw = "Abc123!@#xyz"
	if _, err := v.SealPassword(pw); err == nil {
		t.Error("sealed without a platform recipient")
	}
	exchange, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SealPasswordsTo("age1notakey"); err == nil {
		t.Error("a malformed recipient was accepted")
	}
	if err := v.SealPasswordsTo(exchange.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	sealed, err := v.SealPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(pw)) || !bytes.HasPrefix(sealed, []byte("age-encryption.org/v1")) {
		t.Errorf("sealed = %q", sealed)
	}
	open := func(id age.Identity) (string, error) {
		r, err := age.Decrypt(bytes.NewReader(sealed), id)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(r)
		return string(b), err
	}
	if got, err := open(exchange); err != nil || got != pw {
		t.Errorf("the exchange opens %q, %v", got, err)
	}
	other, _ := age.GenerateX25519Identity()
	if got, err := open(other); err == nil {
		t.Errorf("another identity opened it: %q", got)
	}
	again, _ := v.SealPassword(pw)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of one password are equal")
	}
}

func TestConcurrentUse(t *testing.T) {
	v := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				s, err := v.SealID(idNumber)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := v.OpenID(s); err != nil || got != idNumber {
					t.Errorf("OpenID = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestPasswordDigest(t *testing.T) {
	v := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	const pw = "Abc123!@#xyz"
	d, err := v.DigestPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d, pw) || !strings.HasPrefix(d, "d1$") {
		t.Errorf("digest %q", d)
	}
	if !v.DigestMatches(d, pw) {
		t.Error("the right password does not match")
	}
	for _, wrong := range []string{"", "abc123!@#xyz", pw + " ", pw[:len(pw)-1]} {
		if v.DigestMatches(d, wrong) {
			t.Errorf("%q matches", wrong)
		}
	}
	if d2, _ := v.DigestPassword(pw); d2 == d || !v.DigestMatches(d2, pw) {
		t.Error("two digests of one password are equal: no salt")
	}
	// Keyed: another vault's hash key gives another digest.
	other := mustVault(t, newKey(t), map[string][]byte{"k1": newKey(t)}, "k1")
	if other.DigestMatches(d, pw) {
		t.Error("a digest matches under another hash key")
	}
	for _, bad := range []string{"", "d1$", "d1$$", "d1$AAAA$AAAA", "$2a$10$abcdefghijklmnopqrstuv", strings.Replace(d, "d1$", "d2$", 1), d[:len(d)-2]} {
		if v.DigestMatches(bad, pw) {
			t.Errorf("malformed digest %q matches", bad)
		}
	}
}

// BenchmarkPassword: what the two password steps cost (SPEC §6's budget is
// per step).
func BenchmarkPassword(b *testing.B) {
	v := mustVault(b, newKey(b), map[string][]byte{"k1": newKey(b)}, "k1")
	exchange, _ := age.GenerateX25519Identity()
	if err := v.SealPasswordsTo(exchange.Recipient().String()); err != nil {
		b.Fatal(err)
	}
	const pw = "Abc123!@#xyz"
	b.Run("seal+digest", func(b *testing.B) {
		for b.Loop() {
			_, _ = v.SealPassword(pw)
			_, _ = v.DigestPassword(pw)
		}
	})
	b.Run("match", func(b *testing.B) {
		d, _ := v.DigestPassword(pw)
		for b.Loop() {
			v.DigestMatches(d, pw)
		}
	})
}
