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
)

// Keys are the development stack's secrets, in the form of the settings
// they stand in for.
type Keys struct {
	DataKeys    string `json:"DATA_KEYS"`
	IDHashKey   string `json:"ID_HASH_KEY"`
	CallbackKey string `json:"CALLBACK_KEY"`
}

// KeysFile is where LoadKeys keeps them, under the data directory.
const KeysFile = "dev-keys.json"

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
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Keys{}, fmt.Errorf("devstack: %w", err)
	}
	k := Keys{DataKeys: "dev:" + randomKey(), IDHashKey: randomKey(), CallbackKey: randomKey()}
	data, _ = json.MarshalIndent(k, "", "  ")
	// 0755: as root, the local Postgres runs as user postgres, which must
	// reach its data directory inside this one. The key file is 0600.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Keys{}, fmt.Errorf("devstack: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return Keys{}, fmt.Errorf("devstack: %w", err)
	}
	return k, nil
}

func randomKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
