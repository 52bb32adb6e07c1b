package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestReviewConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	callbackKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, tt := range []struct {
		name    string
		getenv  func(string) string
		wantErr string // "" for none
		source  string
	}{
		{"reviewers listed", env("REVIEW_CHAT_ID", "-100", "REVIEWER_IDS", "1,2"), "", "development"},
		{"neither reviewers nor admins", env("REVIEW_CHAT_ID", "-100"), "REVIEWER_IDS", ""},
		{"administrators only", env("REVIEW_CHAT_ID", "-100", "REVIEW_ADMINS", "true"), "", "development"},
		{"bad REVIEW_ADMINS", env("REVIEW_ADMINS", "sometimes"), "REVIEW_ADMINS", ""},
		{"short CALLBACK_KEY", env("CALLBACK_KEY", base64.StdEncoding.EncodeToString([]byte("short"))), "CALLBACK_KEY", ""},
		{"CALLBACK_KEY not base64", env("CALLBACK_KEY", "%%%"), "CALLBACK_KEY", ""},
		{"CALLBACK_KEY", env("CALLBACK_KEY", callbackKey, "DATA_KEYS", testDataKey, "ID_HASH_KEY", testKey), "", "CALLBACK_KEY"},
		{"derived from ID_HASH_KEY", env("DATA_KEYS", testDataKey, "ID_HASH_KEY", testKey), "", "ID_HASH_KEY"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			key, source := cfg.ReviewButtonKey()
			if source != tt.source || len(key) < 32 {
				t.Errorf("key from %s (%d bytes), want from %s", source, len(key), tt.source)
			}
			hashKey, _ := base64.StdEncoding.DecodeString(testKey)
			if bytes.Equal(key, hashKey) {
				t.Error("the ID hash key itself signs the buttons")
			}
			again, _ := cfg.ReviewButtonKey()
			if !bytes.Equal(key, again) {
				t.Error("the key is not stable")
			}
		})
	}
}
