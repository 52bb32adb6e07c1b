package domain

import (
	"testing"
	"time"
)

// testToday is the "today" of test-vectors.md.
var testToday = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestParseIDNumber(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		// test-vectors.md §1, valid.
		{"500103197001010011", "500103197001010011", "", ""},
		{"500112198506150029", "500112198506150029", "", ""},
		{"500243200002290036", "500243200002290036", "", ""}, // leap day
		{"500103199001019998", "500103199001019998", "", ""},
		{"11010519491231002X", "11010519491231002X", "", ""},
		{"50010319800808005x", "50010319800808005X", "", ""},
		// test-vectors.md §1, invalid.
		{"500103197001010010", "", "idnumber.checksum", ""},
		{"50010319990230004", "", "idnumber.length", "Count=17"},
		{"50010319990230004X", "", "idnumber.birthdate", ""}, // 1999-02-30
		{"500103199013010050", "", "idnumber.birthdate", ""}, // month 13
		{"000103197001010013", "", "idnumber.region", ""},
		{"500103209901010063", "", "idnumber.birth_future", ""},
		{"5001031970010100A1", "", "idnumber.char", "Char=A Pos=17"},
		// Our own.
		{" 500103197001010011 ", "500103197001010011", "", ""},
		{"", "", "text.empty", ""},
		{"5001031970010100111", "", "idnumber.length", "Count=19"},
		{"500103197001010011X", "", "idnumber.length", "Count=19"},
		{"50010319700101001Y", "", "idnumber.char", "Char=Y Pos=18"},
		{"X00103197001010011", "", "idnumber.char", "Char=X Pos=1"},
		{"5001031970010100X", "", "idnumber.length", "Count=17"}, // a digit left out, not a misplaced X
		{"50010319700101X011", "", "idnumber.char", "Char=X Pos=15"},
		{"500103700101001", "", "idnumber.old", ""},             // first generation, 15 digits
		{"500103189912310015", "", "idnumber.birthdate", ""},    // before 1900
		{"500103202501010011", "500103202501010011", "", ""},    // born "today"
		{"500103202501020017", "", "idnumber.birth_future", ""}, // tomorrow
		{"510103197001010013", "510103197001010013", "", ""},    // Sichuan prefix, pre-1997 Chongqing
		{"990103197001010012", "", "idnumber.region", ""},
		{"身份证500103197001010011", "", "idnumber.char", "Char=身 Pos=1"},
		{"500103197001010011。", "", "idnumber.char", "Char=. Pos=19"},
		{"5001031970010100\x001", "", "idnumber.char", "Char=U+0000 Pos=17"},
		// As people type it: full width, spaces and hyphens, invisible characters.
		{"５００１０３１９７００１０１００１１", "500103197001010011", "", ""},
		{"５00103197001010011", "500103197001010011", "", ""}, // mixed width
		{"５００１０３１９８００８０８００５ｘ", "50010319800808005X", "", ""},
		{"１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", "", ""},
		{"５００１０３１９９９０２３０００４", "", "idnumber.length", "Count=17"},
		{"500103 19700101 0011", "500103197001010011", "", ""},
		{"500103-19700101-0011", "500103197001010011", "", ""},
		{"500103\u00a019700101\u00a00011", "500103197001010011", "", ""},
		{"500103　19700101　0011", "500103197001010011", "", ""},
		{"500103－19700101－0011", "500103197001010011", "", ""},
		{"\u200b500103197001010011\ufeff", "500103197001010011", "", ""},
		{"\u202a500103197001010011\u202c", "500103197001010011", "", ""}, // bidi marks of a copied number
		{"5001031970\u200b01010011", "500103197001010011", "", ""},
		{"　\u200b", "", "text.empty", ""},
	}
	for _, tt := range tests {
		got, err := ParseIDNumber(tt.in, testToday)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A birth date is compared with today's calendar date wherever the clock is.
func TestParseIDNumberTodayInOtherZone(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	today := time.Date(2025, 1, 2, 1, 0, 0, 0, shanghai) // still Jan 1 in UTC
	if _, err := ParseIDNumber("500103202501020017", today); err != nil {
		t.Errorf("born today in Shanghai: %v", err)
	}
}

func TestIDCheckChar(t *testing.T) {
	tests := []struct {
		body string
		want byte
	}{
		{"50010319700101001", '1'},
		{"11010519491231002", 'X'},
		{"50010319800808005", 'X'},
		{"50024320000229003", '6'},
		{"50010319900101999", '8'},
	}
	for _, tt := range tests {
		if got := IDCheckChar(tt.body); got != tt.want {
			t.Errorf("IDCheckChar(%q) = %c, want %c", tt.body, got, tt.want)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"500103197001010011", "500***********0011"},
		{"11010519491231002X", "110***********002X"},
		{"1234567", "*******"},
		{"12345678", "123*5678"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
