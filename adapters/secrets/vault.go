// Package secrets protects personal data before it is stored anywhere.
//
// A resident ID number is sealed into a domain.SealedID: encrypted with
// AES-256-GCM under a named key (so keys can be rotated: new data uses the
// active key, old data stays readable with the key it names), with an
// HMAC-SHA256 of the number for uniqueness checks without decrypting, and a
// masked copy for display. A platform password is sealed to the exchange's
// age recipient (X25519, PLATFORM_RECIPIENT) the moment it is read: the bot
// holds no identity that opens it, so it can never read it back; the
// exchange opens it when it creates the account on the platform. Between
// the password and its confirmation the draft holds a salted, keyed digest
// (HMAC-SHA256 under a key derived for that purpose only) to compare the
// second entry with. Vault implements conversation.Secrets.
//
// Ciphertext layout: a random 12-byte nonce, then the GCM ciphertext and
// 16-byte tag. The key id is the additional authenticated data, so a
// ciphertext relabelled with another key id does not open.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

const (
	// KeySize is the length of an encryption key: AES-256.
	KeySize = 32
	// MinHashKeySize is the shortest accepted HMAC key.
	MinHashKeySize = 32
)

// digestPrefix marks a DigestPassword value (version 1: 16-byte salt,
// HMAC-SHA256).
const digestPrefix = "d1$"

var (
	// ErrUnknownKey means a SealedID names a key the vault does not hold.
	ErrUnknownKey = errors.New("secrets: unknown key id")
	// ErrCorrupt means a ciphertext failed authentication: tampered,
	// truncated or sealed under another key.
	ErrCorrupt = errors.New("secrets: ciphertext does not authenticate")
)

// Vault seals ID numbers and platform passwords. It is immutable once
// SealPasswordsTo has been called, and safe for concurrent use.
type Vault struct {
	// recipient seals platform passwords (SealPasswordsTo); nil: sealing
	// fails.
	recipient age.Recipient

	active    string
	aeads     map[string]cipher.AEAD
	hashKey   []byte
	digestKey []byte // for DigestPassword, derived from hashKey
}

var _ conversation.Secrets = (*Vault)(nil)

// NewVault returns a vault holding keys (id → 32-byte AES-256 key), sealing
// with activeKeyID, and hashing ID numbers with hashKey (at least 32
// bytes). Key ids are 1–32 ASCII letters, digits, '_' or '-'.
//
// To rotate, add a new key, make it active and keep the old ones for as
// long as data sealed with them exists. hashKey cannot be rotated that way:
// changing it breaks uniqueness checks against stored hashes.
func NewVault(keys map[string][]byte, activeKeyID string, hashKey []byte) (*Vault, error) {
	if len(keys) == 0 {
		return nil, errors.New("secrets: no encryption key")
	}
	if _, ok := keys[activeKeyID]; !ok {
		return nil, fmt.Errorf("secrets: active key %q is not among the keys", activeKeyID)
	}
	if len(hashKey) < MinHashKeySize {
		return nil, fmt.Errorf("secrets: hash key has %d bytes, want at least %d", len(hashKey), MinHashKeySize)
	}
	v := &Vault{
		active:  activeKeyID,
		aeads:   make(map[string]cipher.AEAD, len(keys)),
		hashKey: append([]byte(nil), hashKey...),
	}
	// A key of its own, so that a password digest and an ID-number hash
	// can never be compared with each other.
	dk := hmac.New(sha256.New, hashKey)
	dk.Write([]byte("regbot password-confirmation digest key v1"))
	v.digestKey = dk.Sum(nil)
	for id, key := range keys {
		if !validKeyID(id) {
			return nil, fmt.Errorf("secrets: key id %q: want 1–32 letters, digits, '_' or '-'", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("secrets: key %q has %d bytes, want %d", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key) // copies the key
		if err != nil {
			return nil, fmt.Errorf("secrets: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("secrets: key %q: %w", id, err)
		}
		v.aeads[id] = aead
	}
	return v, nil
}

// ActiveKeyID returns the id of the key SealID uses.
func (v *Vault) ActiveKeyID() string { return v.active }

// SealID encrypts an ID number with the active key and returns it with its
// keyed hash and masked copy. The number is normalised first (surrounding
// space trimmed, upper case, as domain.ParseIDNumber returns it), so that
// one number always has one hash. An empty number is an error.
func (v *Vault) SealID(plain string) (domain.SealedID, error) {
	norm := normalizeID(plain)
	if norm == "" {
		return domain.SealedID{}, errors.New("secrets: seal: empty ID number")
	}
	return domain.SealedID{
		KeyID:      v.active,
		Ciphertext: v.aeads[v.active].Seal(nil, nil, []byte(norm), []byte(v.active)),
		Hash:       v.HashID(norm),
		Masked:     domain.MaskIDNumber(norm),
	}, nil
}

// OpenID decrypts a sealed ID number with the key s names. It is meant for
// an explicit export only; nothing on the registration path needs it.
// Errors: ErrUnknownKey, ErrCorrupt (wrapped).
func (v *Vault) OpenID(s domain.SealedID) (string, error) {
	aead, ok := v.aeads[s.KeyID]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownKey, s.KeyID)
	}
	plain, err := aead.Open(nil, nil, s.Ciphertext, []byte(s.KeyID))
	if err != nil {
		return "", fmt.Errorf("%w (key %q)", ErrCorrupt, s.KeyID)
	}
	return string(plain), nil
}

// Reseal seals an ID number again with the active key (keys rewrap): the
// same hash and masked copy, a new ciphertext. One sealed with the active
// key already is returned as it is.
func (v *Vault) Reseal(s domain.SealedID) (domain.SealedID, error) {
	if s.KeyID == v.active {
		return s, nil
	}
	plain, err := v.OpenID(s)
	if err != nil {
		return domain.SealedID{}, err
	}
	out, err := v.SealID(plain)
	if err != nil {
		return domain.SealedID{}, err
	}
	if string(out.Hash) != string(s.Hash) && len(s.Hash) > 0 {
		return domain.SealedID{}, errors.New("secrets: reseal: the hash differs: ID_HASH_KEY is not the one the number was hashed with")
	}
	return out, nil
}

// HashID returns HMAC-SHA256(hash key, normalised ID number): the value
// SealID stores in Hash, for looking up whether a number is already used.
func (v *Vault) HashID(plain string) []byte {
	m := hmac.New(sha256.New, v.hashKey)
	m.Write([]byte(normalizeID(plain)))
	return m.Sum(nil)
}

// SealPasswordsTo sets the exchange's age recipient (an "age1…" X25519
// public key, PLATFORM_RECIPIENT) that SealPassword encrypts to. Call it
// once, before the vault is used.
func (v *Vault) SealPasswordsTo(recipient string) error {
	r, err := age.ParseX25519Recipient(strings.TrimSpace(recipient))
	if err != nil {
		return fmt.Errorf("secrets: platform recipient: %w", err)
	}
	v.recipient = r
	return nil
}

// SealPassword encrypts a platform password to the exchange's recipient
// (the binary age format, as `age -d -i KEY password.age` reads it). Only
// the holder of the exchange's identity can open it, not the bot.
func (v *Vault) SealPassword(pw string) ([]byte, error) {
	if v.recipient == nil {
		return nil, errors.New("secrets: seal password: no platform recipient")
	}
	var b bytes.Buffer
	w, err := age.Encrypt(&b, v.recipient)
	if err != nil {
		return nil, fmt.Errorf("secrets: seal password: %w", err)
	}
	if _, err := io.WriteString(w, pw); err != nil {
		return nil, fmt.Errorf("secrets: seal password: %w", err)
	}
	if err := w.Close(); err != nil { // without it the ciphertext is truncated
		return nil, fmt.Errorf("secrets: seal password: %w", err)
	}
	return b.Bytes(), nil
}

// DigestPassword returns a salted HMAC-SHA256 of pw under a key derived
// from the vault's hash key for this purpose only. It holds a password
// between its entry and its confirmation, never longer: without the key the
// digest cannot be tested against guesses; with it, guesses are fast, which
// is why the draft drops it at the confirmation (or /back, /cancel,
// expiry).
func (v *Vault) DigestPassword(pw string) (string, error) {
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return "", fmt.Errorf("secrets: digest password: %w", err)
	}
	return digestPrefix + base64.RawStdEncoding.EncodeToString(salt[:]) + "$" +
		base64.RawStdEncoding.EncodeToString(v.passwordMAC(salt[:], pw)), nil
}

// DigestMatches reports whether pw is the password digest came from (in
// constant time); a malformed digest, or one from another vault's key,
// matches nothing.
func (v *Vault) DigestMatches(digest, pw string) bool {
	rest, ok := strings.CutPrefix(digest, digestPrefix)
	if !ok {
		return false
	}
	s64, m64, ok := strings.Cut(rest, "$")
	if !ok {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(s64)
	if err != nil || len(salt) != 16 {
		return false
	}
	mac, err := base64.RawStdEncoding.DecodeString(m64)
	if err != nil {
		return false
	}
	return hmac.Equal(mac, v.passwordMAC(salt, pw))
}

func (v *Vault) passwordMAC(salt []byte, pw string) []byte {
	m := hmac.New(sha256.New, v.digestKey)
	m.Write(salt)
	m.Write([]byte(pw))
	return m.Sum(nil)
}

func normalizeID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
