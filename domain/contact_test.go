package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParseMobile(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"13812345678", "13812345678", "", ""},
		{"+8613812345678", "13812345678", "", ""},
		{"+86 138 1234 5678", "13812345678", "", ""},
		{"008613812345678", "13812345678", "", ""},
		{"8613812345678", "13812345678", "", ""}, // a Telegram contact's phone
		{"138-1234-5678", "13812345678", "", ""},
		{"138\u00a01234\u00a05678", "13812345678", "", ""},
		{"16612345678", "16612345678", "", ""},
		{"19912345678", "19912345678", "", ""},
		{"14712345678", "14712345678", "", ""},
		{"12012345678", "", "mobile.prefix", ""},
		{"12812345678", "", "mobile.prefix", ""},
		{"1381234567", "", "mobile.length", "Count=10"},
		{"138123456789", "", "mobile.length", "Count=12"},
		{"23812345678", "", "mobile.prefix", ""},
		{"023-63001234", "", "mobile.prefix", ""},
		{"1381234567a", "", "mobile.char", "Char=a Pos=11"},
		{"+85213812345678", "", "mobile.country", ""},
		{"0085291234567", "", "mobile.country", ""},
		{"", "", "text.empty", ""},
		{"手机13812345678", "", "mobile.char", "Char=手 Pos=1"},
		// As people type it.
		{"１３８１２３４５６７８", "13812345678", "", ""},
		{"１３８ １２３４ ５６７８", "13812345678", "", ""},
		{"138　1234　5678", "13812345678", "", ""},
		{"138－1234－5678", "13812345678", "", ""},
		{"138—1234—5678", "13812345678", "", ""},
		{"＋８６　１３８１２３４５６７８", "13812345678", "", ""},
		{"+86-138-1234-5678", "13812345678", "", ""},
		{"(+86)13812345678", "13812345678", "", ""},
		{"（+86）138 1234 5678", "13812345678", "", ""},
		{"0086 138 1234 5678", "13812345678", "", ""},
		{"\u202a+86 138 1234 5678\u202c", "13812345678", "", ""}, // as some contact apps copy it
		{"\u200b13812345678\ufeff", "13812345678", "", ""},
		{"１３８１２３４５６７", "", "mobile.length", "Count=10"},
		{"138.1234.5678", "", "mobile.char", "Char=. Pos=4"},
	}
	for _, tt := range tests {
		got, err := ParseMobile(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseMobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLandline(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"023-63001234", "023-63001234", "", ""},
		{"02363001234", "02363001234", "", ""},
		{"023 6300 1234", "02363001234", "", ""},
		{"010-1234567", "010-1234567", "", ""},
		{"0851-1234567", "0851-1234567", "", ""},
		{"08511234567", "08511234567", "", ""},
		{"023-63001234-8001", "023-63001234-8001", "", ""},
		{"63001234", "", "landline.area_code", ""}, // area code required
		{"23-63001234", "", "landline.area_code", ""},
		{"023-630012", "", "landline.number_length", "Count=6"},
		{"023-630012345", "", "landline.number_length", "Count=9"},
		{"0236300123456", "", "landline.number_length", "Count=10"},
		{"(023)63001234", "023-63001234", "", ""},
		{"023-63001234-", "", "landline.extension", ""},
		{"023-63001234-1234567", "", "landline.extension", ""},
		{"023--63001234", "", "landline.format", ""},
		{"023-6300-1234-1", "", "landline.format", ""},
		{"13812345678", "", "landline.mobile", ""},
		{"138-1234-5678", "", "landline.mobile", ""},
		{"", "", "text.empty", ""},
		{"023/63001234", "", "landline.char", "Char=/"},
		{"023-6300123x", "", "landline.char", "Char=x"},
		// As people type it.
		{"０２３－６３００１２３４", "023-63001234", "", ""},
		{"（０２３）６３００１２３４", "023-63001234", "", ""},
		{"(023) 6300 1234", "023-63001234", "", ""},
		{"023—63001234", "023-63001234", "", ""},
		{"023-6300-1234", "023-63001234", "", ""}, // two groups, not an extension
		{"023-63001234转8001", "023-63001234-8001", "", ""},
		{"023-63001234 分机 8001", "023-63001234-8001", "", ""},
		{"\u200b023-63001234　", "023-63001234", "", ""},
	}
	for _, tt := range tests {
		got, err := ParseLandline(FieldLandline, tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseLandline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"zhang.san@example.com", "zhang.san@example.com", "", ""},
		{" Zhang@Example.COM ", "Zhang@Example.COM", "", ""},
		{"a+tag@mail.example.com.cn", "a+tag@mail.example.com.cn", "", ""},
		{"user@localhost", "", "email.domain", ""},
		{"张三 <zhang@example.com>", "", "email.space", ""},
		{"<zhang@example.com>", "", "email.char", "Char=<"},
		{"zhang@example.com (work)", "", "email.space", ""},
		{"zhang@", "", "email.domain", ""},
		{"@example.com", "", "email.local", ""},
		{"zhang", "", "email.at", ""},
		{"zhang@@example.com", "", "email.at", ""},
		{"zhang san@example.com", "", "email.space", ""},
		{"a@b@example.com", "", "email.at", ""},
		{"zhang@example.com.", "", "email.domain", ""},
		{"zhang@example..com", "", "email.domain", ""},
		{"zhang..san@example.com", "", "email.format", ""},
		{"zhang,san@example.com", "", "email.char", "Char=,"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "", "email.too_long", ""}, // 255 bytes
		{"", "", "text.empty", ""},
		// As a Chinese IME types it.
		{"zhang＠example.com", "zhang@example.com", "", ""},
		{"zhang@example。com", "zhang@example.com", "", ""},
		{"zhang@example．com", "zhang@example.com", "", ""},
		{"ｚｈａｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ", "zhang@example.com", "", ""},
		{"zhang.san@qq。com", "zhang.san@qq.com", "", ""},
		{"zhang@my－company.cn", "zhang@my-company.cn", "", ""},
		{"　zhang@example.com\u200b", "zhang@example.com", "", ""},
		{"zhang@example.com。", "", "email.domain", ""}, // a sentence's full stop
		{"zhang@example，com", "", "email.char", "Char=,"},
		{"zhang　san@example.com", "", "email.space", ""},
		{"zhang、san@example.com", "", "email.char", "Char=、"},
		{"张三@example.com", "张三@example.com", "", ""}, // an internationalised address, as before
	}
	for _, tt := range tests {
		got, err := ParseEmail(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePostcode(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"400010", "400010", "", ""},
		{" 401120 ", "401120", "", ""},
		{"100000", "100000", "", ""},
		{"040010", "", "postcode.leading_zero", ""}, // six digits: the rule it breaks is the 0
		{"40001", "", "postcode.length", "Count=5"},
		{"4000100", "", "postcode.length", "Count=7"},
		{"40001a", "", "postcode.char", "Char=a"},
		{"400 010", "", "postcode.space", ""},
		{"", "", "text.empty", ""},
		// As people type it.
		{"４０１１２０", "401120", "", ""},
		{"　401120\u200b", "401120", "", ""},
		{"０４００１０", "", "postcode.leading_zero", ""},
		{"400　010", "", "postcode.space", ""},
		{"400-010", "", "postcode.char", "Char=-"},
	}
	for _, tt := range tests {
		got, err := ParsePostcode(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
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
		args string
	}{
		{"重庆市渝中区解放碑1号", 50, "重庆市渝中区解放碑1号", "", ""},
		{"  总经理 ", 10, "总经理", "", ""},
		{"一二三四五", 5, "一二三四五", "", ""},
		{"一二三四五六", 5, "", "text.too_long", "Count=6 Max=5"},
		{"", 5, "", "text.empty", ""},
		{" \t\n", 5, "", "text.empty", ""},
		{"a\nb", 5, "", "text.newline", ""},
		{"a\r\nb", 5, "", "text.newline", ""},
		{"a\u2028b", 5, "", "text.newline", ""},
		{"a\x00b", 5, "", "text.control", ""},
		{"a\x7fb", 5, "", "text.control", ""},
		{"a\u0085b", 5, "", "text.control", ""}, // C1 control (NEL)
		{"a\u202eb", 5, "", "text.control", ""}, // right-to-left override
		{"a\u2066b", 5, "", "text.control", ""},
		{"a\xffb", 5, "", "text.encoding", ""},
		// As people type it: letters, digits and spaces narrowed; Chinese
		// punctuation and characters as typed.
		{"重庆市渝中区解放碑１号", 50, "重庆市渝中区解放碑1号", "", ""},
		{"重庆市渝中区民族路１８８号ＷＦＣ大厦", 50, "重庆市渝中区民族路188号WFC大厦", "", ""},
		{"重庆某某（集团）有限公司", 50, "重庆某某（集团）有限公司", "", ""},
		{"重庆市，渝中区：解放碑。", 50, "重庆市，渝中区：解放碑。", "", ""},
		{"重庆市　渝中区", 50, "重庆市 渝中区", "", ""},
		{"　\u200b总经理\ufeff　", 10, "总经理", "", ""},
		{"总\u200b经理", 10, "总经理", "", ""},
		{"\u202e总经理", 10, "总经理", "", ""},         // a bidi control at an edge goes
		{"重庆\uf900公司", 10, "重庆\uf900公司", "", ""}, // a compatibility ideograph is not changed
		{"①号楼", 10, "①号楼", "", ""},
		{"\u200b\ufeff　", 5, "", "text.empty", ""},
		{"一二三四五六", 5, "", "text.too_long", "Count=6 Max=5"},
	}
	for _, tt := range tests {
		got, err := ParseText(FieldContactPosition, tt.in, tt.max)
		checkErrArgs(t, tt.in, err, tt.err, tt.args)
		if got != tt.want {
			t.Errorf("ParseText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestParsePersonName(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"张三", "张三", "", ""},
		{" 欧阳娜娜 ", "欧阳娜娜", "", ""},
		{"买买提·艾力", "买买提·艾力", "", ""},
		{"John Smith", "John Smith", "", ""},
		{"Mary-Jane Watson", "Mary-Jane Watson", "", ""},
		{"张", "", "name.length", "Count=1"},
		{strings.Repeat("张", 30), strings.Repeat("张", 30), "", ""},
		{strings.Repeat("张", 31), "", "name.length", "Count=31"},
		{"", "", "text.empty", ""},
		{"张三John", "", "name.mixed", ""},
		{"张 三", "张三", "", ""}, // no space inside a Chinese name
		{"张三1", "", "name.char", "Char=1"},
		{"José García", "", "name.char", "Char=é"},
		{"O'Brien", "", "name.char", "Char='"},
		{"··", "", "name.separator", ""},
		{"--", "", "name.separator", ""},
		{"·张三", "", "name.separator", ""},
		{"张三·", "", "name.separator", ""},
		{"-John", "", "name.separator", ""},
		// As people type it.
		{"张　三", "张三", "", ""},
		{"　张三\u200b", "张三", "", ""},
		{"买买提・艾力", "买买提·艾力", "", ""}, // katakana middle dot of an IME
		{"买买提•艾力", "买买提·艾力", "", ""},
		{"买买提．艾力", "", "name.char", "Char=．"},
		{"Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith", "", ""},
		{"张三（总经理）", "", "name.char", "Char=（"},
	}
	for _, tt := range tests {
		got, err := ParsePersonName(FieldLegalRepName, tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParsePersonName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseCapital(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"1000", "1000", "", ""},
		{"1,000.5", "1000.5", "", ""},
		{"500万元", "500", "", ""},
		{"500万", "500", "", ""},
		{"500 万元", "500", "", ""},
		{"0", "0", "", ""},
		{"0.0001", "0.0001", "", ""},
		{"123456789012.1234", "123456789012.1234", "", ""},
		{"1234567890123", "", "capital.too_large", ""},
		{"1.12345", "", "capital.decimals", ""},
		{"01", "", "capital.format", ""},
		{"-1", "", "capital.char", "Char=-"},
		{"1.", "", "capital.format", ""},
		{".5", "", "capital.format", ""},
		{"1.2.3", "", "capital.format", ""},
		{"1e6", "", "capital.char", "Char=e"},
		{"五百万", "", "capital.char", "Char=五"},
		{"500万美元", "", "capital.unit", ""},
		{"5000000元", "", "capital.unit", ""},
		{"1亿元", "", "capital.unit", ""},
		{"", "", "text.empty", ""},
		// As people type or copy it.
		{"５００", "500", "", ""},
		{"１，０００．５", "1000.5", "", ""},
		{"1 000", "1000", "", ""},
		{"1200。5", "1200.5", "", ""}, // the IME's full stop as the point
		{"人民币500万元", "500", "", ""},
		{"500万元人民币", "500", "", ""},
		{"￥500万", "500", "", ""},
		{"500万元整", "500", "", ""},
		{"　500\u200b", "500", "", ""},
	}
	for _, tt := range tests {
		got, err := ParseCapital(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseCapital(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"2020-02-29", "2020-02-29", "", ""},
		{"2000-02-29", "2000-02-29", "", ""},
		{"2023-02-29", "", "date.day", "Year=2023 Month=2 Day=29"}, // not a leap year
		{"1900-02-29", "", "date.day", "Year=1900 Month=2 Day=29"}, // not a leap year either
		{"2024/3/5", "2024-03-05", "", ""},
		{"2024.03.05", "2024-03-05", "", ""},
		{"20240305", "2024-03-05", "", ""},
		{"2024年3月5日", "2024-03-05", "", ""},
		{" 2024-12-31 ", "2024-12-31", "", ""},
		{"2024-13-01", "", "date.month", "Month=13"},
		{"2024-04-31", "", "date.day", "Year=2024 Month=4 Day=31"},
		{"2024-00-10", "", "date.month", "Month=0"},
		{"2024-01-00", "", "date.day", "Year=2024 Month=1 Day=0"},
		{"1899-12-31", "", "date.year", ""},
		{"2201-01-01", "", "date.year", ""},
		{"24-03-05", "", "date.year", ""},
		{"20/05/2010", "", "date.order", ""},
		{"5/20/2010", "", "date.order", ""},
		{"2024-03", "", "date.format", ""},
		{"2024-03-05-01", "", "date.format", ""},
		{"2024535", "", "date.format", ""},
		{"长期", "", "date.format", ""},
		{"", "", "text.empty", ""},
		// As people type it.
		{"2010年5月20日", "2010-05-20", "", ""},
		{"2010年05月20日", "2010-05-20", "", ""},
		{"2010 年 5 月 20 日", "2010-05-20", "", ""},
		{"2010年5月20号", "2010-05-20", "", ""},
		{"２０１０年５月２０日", "2010-05-20", "", ""},
		{"2010.5.20", "2010-05-20", "", ""},
		{"2010。5。20", "2010-05-20", "", ""},
		{"２０１０－０５－２０", "2010-05-20", "", ""},
		{"２０１０／０５／２０", "2010-05-20", "", ""},
		{"２０１００５２０", "2010-05-20", "", ""},
		{"2010 5 20", "2010-05-20", "", ""},
		{"2010—5—20", "2010-05-20", "", ""},
		{"　2010-05-20\u200b", "2010-05-20", "", ""},
		{"２０２３年２月２９日", "", "date.day", "Year=2023 Month=2 Day=29"},
		{"二〇一〇年五月二十日", "", "date.format", ""},
	}
	for _, tt := range tests {
		got, err := ParseDate(FieldFoundedOn, tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
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
		in, want, reason, args string
	}{
		{"5001234567", "5001234567", "", ""},
		{"12345678", "12345678", "", ""},
		{"1234567890123456", "1234567890123456", "", ""},
		{"500 123 4567", "5001234567", "", ""},
		{"500-123-4567", "5001234567", "", ""},
		{"1234567", "", "account.length", "Count=7"},
		{"12345678901234567", "", "account.length", "Count=17"},
		{"500123456A", "", "account.char", "Char=A Pos=10"},
		{"", "", "text.empty", ""},
		// As people type it.
		{"５００１２３４５６７", "5001234567", "", ""},
		{"５００ １２３ ４５６７", "5001234567", "", ""},
		{"500　123　4567", "5001234567", "", ""},
		{"500－123－4567", "5001234567", "", ""},
		{"\u200b5001234567\ufeff", "5001234567", "", ""},
		{"户号5001234567", "", "account.char", "Char=户 Pos=1"},
	}
	for _, tt := range tests {
		got, err := ParseAccountNumber(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseAccountNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseBankAccount(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"6222021234567890123", "6222021234567890123", "", ""},
		{"6222 0212 3456 7890 123", "6222021234567890123", "", ""},
		{"123456", "123456", "", ""},
		{strings.Repeat("1", 32), strings.Repeat("1", 32), "", ""},
		{"12345", "", "bankaccount.length", "Count=5"},
		{strings.Repeat("1", 33), "", "bankaccount.length", "Count=33"},
		{"6222O21234567890123", "", "bankaccount.char", "Char=O Pos=5"},
		{"", "", "text.empty", ""},
		// As people type it.
		{"６２２２　０２１２　３４５６　７８９０　１２３", "6222021234567890123", "", ""},
		{"6222-0212-3456-7890-123", "6222021234567890123", "", ""},
		{"6222\u00a00212\u00a03456\u00a07890\u00a0123", "6222021234567890123", "", ""},
		{"\ufeff6222021234567890123", "6222021234567890123", "", ""},
		{"6222.0212.3456", "", "bankaccount.char", "Char=. Pos=5"},
	}
	for _, tt := range tests {
		got, err := ParseBankAccount(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseBankAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
