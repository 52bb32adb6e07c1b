package domain

import "testing"

func TestParseCreditCode(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		// test-vectors.md §2, valid.
		{"91500103000000000M", "91500103000000000M", ""},
		{"91500112MA0000015A", "91500112MA0000015A", ""},
		{"92500243L00000011W", "92500243L00000011W", ""},
		{"12500000450000016M", "12500000450000016M", ""},
		{"91500112ma0000015a", "91500112MA0000015A", ""},
		// Embedded organisation code fails GB 11714, the USCC check passes: accepted.
		{"91500103000000001Q", "91500103000000001Q", ""},
		// test-vectors.md §2, invalid. A wrong check character still returns
		// the normalised code, for the user to confirm.
		{"91500103000000000N", "91500103000000000N", ReasonCreditCodeChecksum},
		{"91500103000000000", "", "creditcode.length"},
		{"91500103I00000000M", "", "creditcode.chars"},
		{"91500103O00000000M", "", "creditcode.chars"},
		{"9150010A000000000M", "", "creditcode.chars"},
		{"Z1500103000000000M", "", "creditcode.chars"},
		// Our own.
		{" 9150 0103 0000 0000 0M ", "91500103000000000M", ""},
		{"", "", "creditcode.length"},
		{"91500103000000000MM", "", "creditcode.length"},
		{"91500103S00000000M", "", "creditcode.chars"},
		{"91500103V00000000M", "", "creditcode.chars"},
		{"91500103-00000000M", "", "creditcode.chars"},
		{"91500103000000000m", "91500103000000000M", ""},
		{"91500112ma0000015b", "91500112MA0000015B", ReasonCreditCodeChecksum},
	}
	for _, tt := range tests {
		got, err := ParseCreditCode(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseCreditCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
