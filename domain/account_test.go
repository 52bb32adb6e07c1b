package domain

import (
	"strings"
	"testing"
)

func TestParseLoginName(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		// test-vectors.md §3.
		{"cqmmgsjyy", "cqmmgsjyy", ""},
		{"cqmmgsjyy1", "cqmmgsjyy1", ""},
		{"cqmm", "", "loginname.length"},
		{"重庆某某", "", "loginname.chars"},
		{"cq mmgs", "", "loginname.chars"},
		// Our own.
		{"CQmmgs2024", "CQmmgs2024", ""}, // case is kept; uniqueness ignores it
		{" cqmmgs ", "cqmmgs", ""},
		{"abcdef", "abcdef", ""},
		{"abcde", "", "loginname.length"},
		{strings.Repeat("a", 20), strings.Repeat("a", 20), ""},
		{strings.Repeat("a", 21), "", "loginname.length"},
		{"", "", "loginname.length"},
		{"cq_mmgs", "", "loginname.chars"},
		{"cqmmgs!", "", "loginname.chars"},
		{"重庆", "", "loginname.chars"}, // short and not ASCII: chars first
		{"ｃｑｍｍｇｓ", "", "loginname.chars"},
	}
	for _, tt := range tests {
		got, err := ParseLoginName(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseLoginName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseUserName(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		// test-vectors.md §3.
		{"重庆某某公司交易员", "重庆某某公司交易员", ""},
		{"重庆某某公司", "重庆某某公司", ""},
		{"cqmmgsjyy", "", "username.chars"},
		{"重庆某某公司 交易员", "", "username.chars"},
		// Our own.
		{"渝", "渝", ""},
		{" 重庆某某公司 ", "重庆某某公司", ""},
		{strings.Repeat("渝", 33), strings.Repeat("渝", 33), ""},
		{strings.Repeat("渝", 34), "", "username.length"},
		{"", "", "username.length"},
		{"重庆某某(集团)公司", "", "username.chars"},
		{"重庆某某公司2", "", "username.chars"},
	}
	for _, tt := range tests {
		got, err := ParseUserName(tt.in)
		checkErr(t, tt.in, err, tt.reason)
		if got != tt.want {
			t.Errorf("ParseUserName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, login, reason string
	}{
		// test-vectors.md §3, login cqmmgsjyy.
		{"Cq2024!abc", "cqmmgsjyy", ""},
		{"abc12345", "cqmmgsjyy", "password.classes"},
		{"Abc!defg", "cqmmgsjyy", "password.classes"},
		{"cqmmgsjyy1!", "cqmmgsjyy", "password.contains_login"},
		{"yyjsgmmqc1!", "cqmmgsjyy", "password.contains_login"},
		{"A1!", "cqmmgsjyy", "password.length"},
		// Our own.
		{"CQMMGSJYY1!", "cqmmgsjyy", "password.contains_login"}, // case-insensitive
		{"x1!cqmmgsjyyz", "CqmmgsJyy", "password.contains_login"},
		{"cqmmgsjyy1!", "", ""}, // no login name known yet
		{"Abcdef1!", "cqmmgsjyy", ""},
		{"Abcdef1", "cqmmgsjyy", "password.length"},
		{"Abcdefghijklmnopqr1!", "cqmmgsjyy", ""}, // 20
		{"Abcdefghijklmnopqrs1!", "cqmmgsjyy", "password.length"},
		{"Abc def1!", "cqmmgsjyy", "password.chars"},
		{"Abc\tdef1!", "cqmmgsjyy", "password.chars"},
		{"Abcdéf1!", "cqmmgsjyy", "password.chars"},
		{"密码Abc1!xyz", "cqmmgsjyy", "password.chars"},
		{"Abc\x7fdef1!", "cqmmgsjyy", "password.chars"},
		{"Abc\xffdef1!", "cqmmgsjyy", "password.chars"},
		{"12345678!", "cqmmgsjyy", "password.classes"},
		{"", "cqmmgsjyy", "password.length"},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw, tt.login)
		checkErr(t, tt.pw, err, tt.reason)
	}
}
