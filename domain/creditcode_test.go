package domain

import "testing"

func TestParseCreditCode(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		// test-vectors.md §2, valid.
		{"91500103000000000M", "91500103000000000M", "", ""},
		{"91500112MA0000015A", "91500112MA0000015A", "", ""},
		{"92500243L00000011W", "92500243L00000011W", "", ""},
		{"12500000450000016M", "12500000450000016M", "", ""},
		{"91500112ma0000015a", "91500112MA0000015A", "", ""},
		// Embedded organisation code fails GB 11714, the USCC check passes: accepted.
		{"91500103000000001Q", "91500103000000001Q", "", ""},
		// test-vectors.md §2, invalid. A wrong check character still returns
		// the normalised code, for the user to confirm.
		{"91500103000000000N", "91500103000000000N", ReasonCreditCodeChecksum, ""},
		{"91500103000000000", "", "creditcode.length", "Count=17"},
		{"91500103I00000000M", "", "creditcode.letter", "Char=I Pos=9"},
		{"91500103O00000000M", "", "creditcode.letter", "Char=O Pos=9"},
		{"9150010A000000000M", "", "creditcode.region", "Char=A Pos=8"},
		{"Z1500103000000000M", "", "creditcode.letter", "Char=Z Pos=1"},
		// Our own.
		{" 9150 0103 0000 0000 0M ", "91500103000000000M", "", ""},
		{"", "", "text.empty", ""},
		{"91500103000000000MM", "", "creditcode.length", "Count=19"},
		{"91500103S00000000M", "", "creditcode.letter", "Char=S Pos=9"},
		{"91500103V00000000M", "", "creditcode.letter", "Char=V Pos=9"},
		{"91500103000000000m", "91500103000000000M", "", ""},
		{"91500112ma0000015b", "91500112MA0000015B", ReasonCreditCodeChecksum, ""},
		{"91500103#00000000M", "", "creditcode.char", "Char=# Pos=9"},
		{"9150010３0000000０0M", "91500103000000000M", "", ""}, // mixed width
		{"500103600123456", "", "creditcode.old", ""},        // a pre-2015 registration number
		// As people type it.
		{"９１５００１０３０００００００００Ｍ", "91500103000000000M", "", ""},
		{"９１５００１１２ｍａ０００００１５ａ", "91500112MA0000015A", "", ""},
		{"91500103-000000000M", "91500103000000000M", "", ""},
		{"9150 0103 0000 0000 0M", "91500103000000000M", "", ""},
		{"91500103－000000000M", "91500103000000000M", "", ""},
		{"915001030000\u00a000000M", "91500103000000000M", "", ""},
		{"　91500103000000000M　", "91500103000000000M", "", ""},
		{"\ufeff91500103000000000M\u200b", "91500103000000000M", "", ""},
		{"９１５００１０３Ｉ００００００００Ｍ", "", "creditcode.letter", "Char=I Pos=9"},
		{"９１５００１０３ｏ００００００００Ｍ", "", "creditcode.letter", "Char=O Pos=9"},
	}
	for _, tt := range tests {
		got, err := ParseCreditCode(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseCreditCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
