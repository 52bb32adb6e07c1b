package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParseMobile(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"13812345678", "13812345678", ""},
		{"+8613812345678", "13812345678", ""},
		{"+86 138 1234 5678", "13812345678", ""},
		{"008613812345678", "13812345678", ""},
		{"8613812345678", "13812345678", ""},
		{"138-1234-5678", "13812345678", ""},
		{"138\u00a01234\u00a05678", "13812345678", ""},
		{"16612345678", "16612345678", ""},
		{"19912345678", "19912345678", ""},
		{"14712345678", "14712345678", ""},
		{"12012345678", "", "mobile.format"},
		{"12812345678", "", "mobile.format"},
		{"1381234567", "", "mobile.format"},
		{"138123456789", "", "mobile.format"},
		{"23812345678", "", "mobile.format"},
		{"023-63001234", "", "mobile.format"},
		{"1381234567a", "", "mobile.format"},
		{"１３８１２３４５６７８", "", "mobile.format"}, // full-width digits
		{"+85213812345678", "", "mobile.format"},
		{"", "", "mobile.format"},
	}
	for _, tt := range tests {
		got, err := ParseMobile(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseMobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLandline(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"023-63001234", "023-63001234", ""},
		{"02363001234", "02363001234", ""},
		{"023 6300 1234", "02363001234", ""},
		{"010-1234567", "010-1234567", ""},
		{"0851-1234567", "0851-1234567", ""},
		{"023-63001234-8001", "023-63001234-8001", ""},
		{"63001234", "", "landline.format"}, // area code required
		{"23-63001234", "", "landline.format"},
		{"023-630012", "", "landline.format"},
		{"023-630012345", "", "landline.format"},
		{"(023)63001234", "", "landline.format"},
		{"023-63001234-", "", "landline.format"},
		{"13812345678", "", "landline.format"},
		{"", "", "landline.format"},
	}
	for _, tt := range tests {
		got, err := ParseLandline(FieldLandline, tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseLandline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"zhang.san@example.com", "zhang.san@example.com", ""},
		{" Zhang@Example.COM ", "Zhang@Example.COM", ""},
		{"a+tag@mail.example.com.cn", "a+tag@mail.example.com.cn", ""},
		{"user@localhost", "", "email.format"},
		{"张三 <zhang@example.com>", "", "email.format"},
		{"<zhang@example.com>", "", "email.format"},
		{"zhang@example.com (work)", "", "email.format"},
		{"zhang@", "", "email.format"},
		{"@example.com", "", "email.format"},
		{"zhang", "", "email.format"},
		{"zhang@@example.com", "", "email.format"},
		{"zhang san@example.com", "", "email.format"},
		{"a@b@example.com", "", "email.format"},
		{"zhang@example.com.", "", "email.format"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "", "email.format"}, // 255 bytes
		{"", "", "email.format"},
	}
	for _, tt := range tests {
		got, err := ParseEmail(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePostcode(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"400010", "400010", ""},
		{" 401120 ", "401120", ""},
		{"100000", "100000", ""},
		{"040010", "", "postcode.format"},
		{"40001", "", "postcode.format"},
		{"4000100", "", "postcode.format"},
		{"40001a", "", "postcode.format"},
		{"400 010", "", "postcode.format"},
		{"", "", "postcode.format"},
	}
	for _, tt := range tests {
		got, err := ParsePostcode(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParsePostcode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
		err  string
	}{
		{"重庆市渝中区解放碑1号", 50, "重庆市渝中区解放碑1号", ""},
		{"  总经理 ", 10, "总经理", ""},
		{"一二三四五", 5, "一二三四五", ""},
		{"一二三四五六", 5, "", "text.too_long"},
		{"", 5, "", "text.empty"},
		{" \t\n", 5, "", "text.empty"},
		{"a\nb", 5, "", "text.control"},
		{"a\x00b", 5, "", "text.control"},
		{"a\x7fb", 5, "", "text.control"},
		{"a\u0085b", 5, "", "text.control"}, // C1 control (NEL)
		{"a\u202eb", 5, "", "text.control"}, // right-to-left override
		{"a\u2066b", 5, "", "text.control"},
		{"a\xffb", 5, "", "text.empty"},
	}
	for _, tt := range tests {
		got, err := ParseText(FieldContactPosition, tt.in, tt.max)
		checkErr(t, tt.in, err, tt.err)
		if got != tt.want {
			t.Errorf("ParseText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestParsePersonName(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"张三", "张三", ""},
		{" 欧阳娜娜 ", "欧阳娜娜", ""},
		{"买买提·艾力", "买买提·艾力", ""},
		{"John Smith", "John Smith", ""},
		{"Mary-Jane Watson", "Mary-Jane Watson", ""},
		{"张", "", "name.length"},
		{strings.Repeat("张", 30), strings.Repeat("张", 30), ""},
		{strings.Repeat("张", 31), "", "name.length"},
		{"", "", "name.length"},
		{"张三John", "", "name.chars"},
		{"张 三", "", "name.chars"},
		{"张三1", "", "name.chars"},
		{"José García", "", "name.chars"},
		{"O'Brien", "", "name.chars"},
		{"··", "", "name.chars"},
		{"--", "", "name.chars"},
		{"·张三", "", "name.chars"},
		{"张三·", "", "name.chars"},
		{"-John", "", "name.chars"},
	}
	for _, tt := range tests {
		got, err := ParsePersonName(FieldLegalRepName, tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParsePersonName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseCapital(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"1000", "1000", ""},
		{"1,000.5", "1000.5", ""},
		{"500万元", "500", ""},
		{"500万", "500", ""},
		{"500 万元", "500", ""},
		{"0", "0", ""},
		{"0.0001", "0.0001", ""},
		{"123456789012.1234", "123456789012.1234", ""},
		{"1234567890123", "", "capital.format"},
		{"1.12345", "", "capital.format"},
		{"01", "", "capital.format"},
		{"-1", "", "capital.format"},
		{"1.", "", "capital.format"},
		{".5", "", "capital.format"},
		{"1e6", "", "capital.format"},
		{"五百万", "", "capital.format"},
		{"500万美元", "", "capital.format"},
		{"", "", "capital.format"},
	}
	for _, tt := range tests {
		got, err := ParseCapital(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseCapital(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"2020-02-29", "2020-02-29", ""},
		{"2000-02-29", "2000-02-29", ""},
		{"2023-02-29", "", "date.format"}, // not a leap year
		{"1900-02-29", "", "date.format"}, // not a leap year either
		{"2024/3/5", "2024-03-05", ""},
		{"2024.03.05", "2024-03-05", ""},
		{"20240305", "2024-03-05", ""},
		{"2024年3月5日", "2024-03-05", ""},
		{" 2024-12-31 ", "2024-12-31", ""},
		{"2024-13-01", "", "date.format"},
		{"2024-04-31", "", "date.format"},
		{"2024-00-10", "", "date.format"},
		{"1899-12-31", "", "date.format"},
		{"2201-01-01", "", "date.format"},
		{"24-03-05", "", "date.format"},
		{"2024-03", "", "date.format"},
		{"长期", "", "date.format"},
		{"", "", "date.format"},
	}
	for _, tt := range tests {
		got, err := ParseDate(FieldFoundedOn, tt.in)
		checkErr(t, tt.in, err, tt.reason)
		s := ""
		if !got.IsZero() {
			s = got.Format(time.DateOnly)
		}
		if s != tt.want {
			t.Errorf("ParseDate(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestParseAccountNumber(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"5001234567", "5001234567", ""},
		{"12345678", "12345678", ""},
		{"1234567890123456", "1234567890123456", ""},
		{"500 123 4567", "5001234567", ""},
		{"500-123-4567", "5001234567", ""},
		{"1234567", "", "account.format"},
		{"12345678901234567", "", "account.format"},
		{"500123456A", "", "account.format"},
		{"", "", "account.format"},
	}
	for _, tt := range tests {
		got, err := ParseAccountNumber(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseAccountNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseBankAccount(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"6222021234567890123", "6222021234567890123", ""},
		{"6222 0212 3456 7890 123", "6222021234567890123", ""},
		{"123456", "123456", ""},
		{strings.Repeat("1", 32), strings.Repeat("1", 32), ""},
		{"12345", "", "bankaccount.format"},
		{strings.Repeat("1", 33), "", "bankaccount.format"},
		{"6222O21234567890123", "", "bankaccount.format"},
		{"", "", "bankaccount.format"},
	}
	for _, tt := range tests {
		got, err := ParseBankAccount(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseBankAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
