package domain

import (
	"strings"
	"testing"
)

func TestParseLoginName(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		// test-vectors.md §3.
		{"cqmmgsjyy", "cqmmgsjyy", "", ""},
		{"cqmmgsjyy1", "cqmmgsjyy1", "", ""},
		{"cqmm", "", "loginname.length", "Count=4"},
		{"重庆某某", "", "loginname.char", "Char=重"},
		{"cq mmgs", "", "loginname.space", ""},
		// Our own.
		{"CQmmgs2024", "CQmmgs2024", "", ""}, // case is kept; uniqueness ignores it
		{" cqmmgs ", "cqmmgs", "", ""},
		{"abcdef", "abcdef", "", ""},
		{"abcde", "", "loginname.length", "Count=5"},
		{strings.Repeat("a", 20), strings.Repeat("a", 20), "", ""},
		{strings.Repeat("a", 21), "", "loginname.length", "Count=21"},
		{"", "", "text.empty", ""},
		{"cq_mmgs", "", "loginname.char", "Char=_"},
		{"cqmmgs!", "", "loginname.char", "Char=!"},
		{"重庆", "", "loginname.char", "Char=重"}, // short and not ASCII: the character first
		// As a Chinese IME types it.
		{"ｃｑｍｍｇｓ", "cqmmgs", "", ""},
		{"ＣＱｍｍｇｓ２０２４", "CQmmgs2024", "", ""},
		{"cqmm　gs", "", "loginname.space", ""}, // ideographic space
		{"\u200bcqmmgs\ufeff", "cqmmgs", "", ""},
		{"cq－mmgs", "", "loginname.char", "Char=-"},
		{"\u3000\u200b", "", "text.empty", ""},
	}
	for _, tt := range tests {
		got, err := ParseLoginName(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseLoginName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseUserName(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		// test-vectors.md §3.
		{"重庆某某公司交易员", "重庆某某公司交易员", "", ""},
		{"重庆某某公司", "重庆某某公司", "", ""},
		{"cqmmgsjyy", "", "username.char", "Char=c"},
		{"重庆某某公司 交易员", "", "username.space", ""},
		// Our own.
		{"渝", "渝", "", ""},
		{" 重庆某某公司 ", "重庆某某公司", "", ""},
		{strings.Repeat("渝", 33), strings.Repeat("渝", 33), "", ""},
		{strings.Repeat("渝", 34), "", "username.length", "Count=34"},
		{"", "", "text.empty", ""},
		{"重庆某某(集团)公司", "", "username.char", "Char=("},
		{"重庆某某公司2", "", "username.char", "Char=2"},
		// As a Chinese IME types it: full-width brackets are shown as typed.
		{"重庆某某（集团）公司", "", "username.char", "Char=（"},
		{"重庆某某公司２", "", "username.char", "Char=2"},
		{"　重庆某某公司交易员　", "重庆某某公司交易员", "", ""},
		{"重庆某某公司　交易员", "", "username.space", ""},
		{"\ufeff重庆某某公司\u200b交易员", "重庆某某公司交易员", "", ""},
		// A compatibility ideograph stays itself (no NFKC on names).
		{"重庆\uf900公司", "重庆\uf900公司", "", ""},
	}
	for _, tt := range tests {
		got, err := ParseUserName(tt.in)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseUserName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, login, reason, args string
	}{
		// test-vectors.md §3, login cqmmgsjyy.
		{"Cq2024!abc", "cqmmgsjyy", "", ""},
		{"abc12345", "cqmmgsjyy", "password.no_special", ""},
		{"Abc!defg", "cqmmgsjyy", "password.no_digit", ""},
		{"cqmmgsjyy1!", "cqmmgsjyy", "password.contains_login", ""},
		{"yyjsgmmqc1!", "cqmmgsjyy", "password.contains_login", ""},
		{"A1!", "cqmmgsjyy", "password.too_short", ""},
		// Our own.
		{"CQMMGSJYY1!", "cqmmgsjyy", "password.contains_login", ""}, // case-insensitive
		{"x1!cqmmgsjyyz", "CqmmgsJyy", "password.contains_login", ""},
		{"cqmmgsjyy1!", "", "", ""}, // no login name known yet
		{"Abcdef1!", "cqmmgsjyy", "", ""},
		{"Abcdef1", "cqmmgsjyy", "password.too_short", ""},
		{"Abcdefghijklmnopqr1!", "cqmmgsjyy", "", ""}, // 20
		{"Abcdefghijklmnopqrs1!", "cqmmgsjyy", "password.too_long", ""},
		{"Abc def1!", "cqmmgsjyy", "password.space", ""},
		{"Abc\tdef1!", "cqmmgsjyy", "password.space", ""},
		{" Abcdef1!", "cqmmgsjyy", "password.space", ""}, // not trimmed: the platform would not either
		{"Abcdéf1!", "cqmmgsjyy", "password.char", "Pos=5"},
		{"密码Abc1!xyz", "cqmmgsjyy", "password.char", "Pos=1"},
		{"Abc\x7fdef1!", "cqmmgsjyy", "password.char", "Pos=4"},
		{"Abc\xffdef1!", "cqmmgsjyy", "password.char", "Pos=4"},
		{"Abc\ufffddef1!", "cqmmgsjyy", "password.char", "Pos=4"},
		{"12345678!", "cqmmgsjyy", "password.no_letter", ""},
		{"abcdefgh", "cqmmgsjyy", "password.classes", ""},
		{"", "cqmmgsjyy", "password.too_short", ""},
		// As a Chinese IME types it: never normalised, the user retypes.
		{"Ｃq2024!abc", "cqmmgsjyy", "password.fullwidth", "Pos=1"},
		{"Cq2024！abc", "cqmmgsjyy", "password.fullwidth", "Pos=7"},
		{"Cq２024!abc", "cqmmgsjyy", "password.fullwidth", "Pos=3"},
		{"Cq2024＠abc", "cqmmgsjyy", "password.fullwidth", "Pos=7"},
		{"Cq2024。abc", "cqmmgsjyy", "password.fullwidth", "Pos=7"}, // the IME's full stop
		{"Cq2024—abc", "cqmmgsjyy", "password.fullwidth", "Pos=7"}, // its dash
		{"Cq2024　abc!", "cqmmgsjyy", "password.space", ""},         // ideographic space
		{"Cq2024!abc\u200b", "cqmmgsjyy", "password.invisible", ""},
		{"\ufeffCq2024!abc", "cqmmgsjyy", "password.invisible", ""},
		{"Cq2024“abc", "cqmmgsjyy", "password.char", "Pos=7"}, // a Chinese quotation mark has no ASCII form
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw, tt.login)
		checkErrArgs(t, tt.pw, err, tt.reason, tt.args)
	}
}
