package secrets

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseKeys parses a list of encryption keys as configured in the
// environment:
//
//	k2:BASE64KEY,k1:BASE64KEY
//
// Entries are separated by commas (spaces around them are ignored); each is
// a key id, a colon and the 32-byte key in standard, padded base64 (as
// `openssl rand -base64 32` prints it). The first entry is the active key;
// the others only open data sealed with them. The result is ready for
// NewVault. Errors name the entry or key id, never key material.
func ParseKeys(spec string) (keys map[string][]byte, activeID string, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, "", errors.New("secrets: no keys given")
	}
	keys = map[string][]byte{}
	for i, entry := range strings.Split(spec, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok {
			return nil, "", fmt.Errorf("secrets: key entry %d: want id:base64key", i+1)
		}
		id = strings.TrimSpace(id)
		if !validKeyID(id) {
			return nil, "", fmt.Errorf("secrets: key entry %d: id %q: want 1–32 letters, digits, '_' or '-'", i+1, id)
		}
		if _, dup := keys[id]; dup {
			return nil, "", fmt.Errorf("secrets: key %q given twice", id)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, "", fmt.Errorf("secrets: key %q: not standard base64", id)
		}
		if len(key) != KeySize {
			return nil, "", fmt.Errorf("secrets: key %q has %d bytes, want %d", id, len(key), KeySize)
		}
		if i == 0 {
			activeID = id
		}
		keys[id] = key
	}
	return keys, activeID, nil
}
