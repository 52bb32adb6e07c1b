package devstack

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
)

// Keys are the development stack's secrets, in the form of the settings
// they stand in for. PlatformRecipient is the public half of the
// development stand-in for the exchange's age identity, which LoadKeys
// keeps in IdentityFile so that a developer can open exported passwords:
// age -d -i DATA_DIR/platform-identity.txt password.age.
type Keys struct {
	DataKeys          string `json:"DATA_KEYS"`
	IDHashKey         string `json:"ID_HASH_KEY"`
	CallbackKey       string `json:"CALLBACK_KEY"`
	PlatformRecipient string `json:"PLATFORM_RECIPIENT"`
}

// KeysFile is where LoadKeys keeps the keys, and IdentityFile the age
// identity, under the data directory.
const (
	KeysFile     = "dev-keys.json"
	IdentityFile = "platform-identity.txt"
)

// LoadKeys returns the development keys kept in dir, creating random ones
// (readable by the owner only) on first use. They are never published in
// the source: a development database is sealed with keys of its own, and
// the ID numbers a developer types stay readable across restarts.
func LoadKeys(dir string) (Keys, error) {
	path := filepath.Join(dir, KeysFile)
	data, err := os.ReadFile(path)
	if err == nil {
		var k Keys
		if err := json.Unmarshal(data, &k); err != nil || k.DataKeys == "" || k.IDHashKey == "" || k.CallbackKey == "" {
			return Keys{}, fmt.Errorf("devstack: %s is damaged (delete it, and the development data sealed with it)", path)
		}
		if k.PlatformRecipient == "" { // kept by an older release: add the identity
			if k.PlatformRecipient, err = newIdentity(dir); err != nil {
				return Keys{}, err
			}
			err = writeKeys(path, k)
		}
		return k, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Keys{}, fmt.Errorf("devstack: %w", err)
	}
	// 0755: as root, the local Postgres runs as user postgres, which must
	// reach its data directory inside this one. The key files are 0600.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Keys{}, fmt.Errorf("devstack: %w", err)
	}
	k := Keys{DataKeys: "dev:" + randomKey(), IDHashKey: randomKey(), CallbackKey: randomKey()}
	if k.PlatformRecipient, err = newIdentity(dir); err != nil {
		return Keys{}, err
	}
	return k, writeKeys(path, k)
}

func writeKeys(path string, k Keys) error {
	data, _ := json.MarshalIndent(k, "", "  ")
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	return nil
}

// newIdentity generates the development stand-in for the exchange's age
// identity into dir/IdentityFile, in the format of age-keygen, and returns
// its recipient.
func newIdentity(dir string) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("devstack: %w", err)
	}
	text := fmt.Sprintf("# created: %s (regbot development stack: NOT the exchange's key)\n# public key: %s\n%s\n",
		time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	if err := os.WriteFile(filepath.Join(dir, IdentityFile), []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("devstack: %w", err)
	}
	return id.Recipient().String(), nil
}

func randomKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
