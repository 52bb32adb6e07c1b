package bot

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// FuzzCallbackData: verifyData never panics; it accepts exactly what
// signData wrote, and no change to signed data passes.
func FuzzCallbackData(f *testing.F) {
	for _, s := range []string{"rv|a|1|1", "rv|r|9223372036854775807|2147483647", "rv|", "|", "", "g|x", "rv|a|1|1|", "rv|a|1|1|AAAAAAAAAAAAAAAA"} {
		f.Add(s, 0, byte('x'))
	}
	b := &Bot{reviewChatID: -100123, callbackKey: bytes.Repeat([]byte{7}, 32), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.Fuzz(func(t *testing.T, data string, pos int, c byte) {
		if got, ok := b.verifyData(data); ok && !strings.HasPrefix(data, got+"|") {
			t.Fatalf("verifyData(%q) = %q, true: not a prefix", data, got)
		}
		signed := b.signData(data)
		if !isReviewData(data) {
			if signed != data {
				t.Fatalf("signData changed non-review data %q", data)
			}
			return
		}
		if len(data) <= 35 && len(signed) > maxCallbackData {
			t.Fatalf("signed data of %d bytes exceeds Telegram's %d", len(signed), maxCallbackData)
		}
		got, ok := b.verifyData(signed)
		if !ok || got != data {
			t.Fatalf("verifyData(signData(%q)) = %q, %v", data, got, ok)
		}
		if pos < 0 {
			pos = -pos
		}
		if pos < 0 { // math.MinInt
			return
		}
		i := pos % len(signed)
		if signed[i] == c {
			return
		}
		forged := signed[:i] + string([]byte{c}) + signed[i+1:]
		if got, ok := b.verifyData(forged); ok && got != data {
			t.Fatalf("forged %q verified as %q", forged, got)
		}
	})
}
