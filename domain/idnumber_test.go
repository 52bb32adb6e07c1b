package domain

import (
	"testing"
	"time"
)

// testToday is the "today" of test-vectors.md.
var testToday = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestParseIDNumber(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		// test-vectors.md §1, valid.
		{"500103197001010011", "500103197001010011", ""},
		{"500112198506150029", "500112198506150029", ""},
		{"500243200002290036", "500243200002290036", ""}, // leap day
		{"500103199001019998", "500103199001019998", ""},
		{"11010519491231002X", "11010519491231002X", ""},
		{"50010319800808005x", "50010319800808005X", ""},
		// test-vectors.md §1, invalid.
		{"500103197001010010", "", "idnumber.checksum"},
		{"50010319990230004", "", "idnumber.length"},
		{"50010319990230004X", "", "idnumber.birthdate"}, // 1999-02-30
		{"500103199013010050", "", "idnumber.birthdate"}, // month 13
		{"000103197001010013", "", "idnumber.region"},
		{"500103209901010063", "", "idnumber.birthdate"}, // future
		{"5001031970010100A1", "", "idnumber.chars"},
		// Our own.
		{" 500103197001010011 ", "500103197001010011", ""},
		{"", "", "idnumber.length"},
		{"5001031970010100111", "", "idnumber.length"},
		{"500103197001010011X", "", "idnumber.length"},
		{"50010319700101001Y", "", "idnumber.chars"},
		{"X00103197001010011", "", "idnumber.chars"},
		{"500103 97001010011", "", "idnumber.chars"},
		{"５00103197001010011", "", "idnumber.length"},    // full-width digit is 3 bytes
		{"500103189912310015", "", "idnumber.birthdate"}, // before 1900
		{"500103202501010011", "500103202501010011", ""}, // born "today"
		{"500103202501020017", "", "idnumber.birthdate"}, // tomorrow
		{"510103197001010013", "510103197001010013", ""}, // Sichuan prefix, pre-1997 Chongqing
		{"990103197001010012", "", "idnumber.region"},
	}
	for _, tt := range tests {
		got, err := ParseIDNumber(tt.in, testToday)
		checkErr(t, tt.in, err, tt.reason)
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
