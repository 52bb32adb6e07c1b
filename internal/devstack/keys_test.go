package devstack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadKeys: random keys on first use, kept private, the same ones
// afterwards; another data directory gets others.
func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKeys(dir)
	if err != nil || k2 != k1 {
		t.Errorf("second load = %+v, %v; want the first keys", k2, err)
	}
	id, err := os.ReadFile(filepath.Join(dir, IdentityFile))
	if err != nil || !strings.Contains(string(id), "AGE-SECRET-KEY-1") || !strings.Contains(string(id), k1.PlatformRecipient) {
		t.Errorf("identity file %q, %v; want an age identity of %s", id, err, k1.PlatformRecipient)
	}
	other, err := LoadKeys(t.TempDir())
	if err != nil || other.IDHashKey == k1.IDHashKey || other.DataKeys == k1.DataKeys || other.CallbackKey == k1.CallbackKey ||
		other.PlatformRecipient == k1.PlatformRecipient {
		t.Errorf("another directory's keys = %+v, %v: want fresh ones", other, err)
	}
	st, err := os.Stat(filepath.Join(dir, KeysFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v; want 0600", st.Mode(), err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeysFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(dir); err == nil {
		t.Error("a damaged key file was accepted")
	}
}
