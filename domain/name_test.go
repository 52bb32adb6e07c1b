package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseOrgName(t *testing.T) {
	tests := []struct {
		in, want, reason, args string
	}{
		{"重庆某某机械制造有限公司", "重庆某某机械制造有限公司", "", ""},
		{"重庆某某（集团）有限公司", "重庆某某（集团）有限公司", "", ""}, // full-width brackets kept
		{"ABC科技(重庆)有限公司", "ABC科技(重庆)有限公司", "", ""},
		{"重庆〇七一厂", "重庆〇七一厂", "", ""}, // 〇 is a number, not a symbol
		{"重庆Ｘ＆Ｙ贸易有限公司", "重庆X＆Y贸易有限公司", "", ""},
		{"　重庆某某公司\u200b", "重庆某某公司", "", ""},
		{"ABC Trading Ltd", "", "orgname.han", ""},
		{"", "", "text.empty", ""},
		{"重庆\n某某公司", "", "text.newline", ""},
		{"重庆\u0007某某公司", "", "text.control", ""},
		// Emoji and other pictures, however they are built.
		{"重庆某某公司😀", "", "orgname.emoji", "Char=😀"},
		{"重庆某某公司❤️", "", "orgname.emoji", "Char=❤️"},                         // a symbol made emoji by U+FE0F
		{"重庆某某公司\ufe0f", "", "orgname.emoji", "Char=U+FE0F"},                 // the selector alone
		{"重庆👨\u200d👩\u200d👧公司", "", "orgname.emoji", "Char=👨\u200d👩\u200d👧"}, // a ZWJ sequence
		{"重庆某某公司1️⃣", "", "orgname.emoji", "Char=1️⃣"},                       // a keycap
		{"重庆某某公司🇨🇳", "", "orgname.emoji", "Char=🇨🇳"},                         // a flag
		{"重庆某某公司\U0001f3fb", "", "orgname.emoji", "Char=\U0001f3fb"},         // a skin tone alone
		{"重庆某某公司\ue000", "", "orgname.emoji", "Char=U+E000"},                 // private use
		{"重庆®某某公司", "", "orgname.emoji", "Char=®"},
	}
	for _, tt := range tests {
		got, err := ParseOrgName(FieldBankAccountName, tt.in, 60)
		checkErrArgs(t, tt.in, err, tt.reason, tt.args)
		if got != tt.want {
			t.Errorf("ParseOrgName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, err := ParseOrgName(FieldEnterpriseName, strings.Repeat("重", 101), 100); ErrorReason(err) != "text.too_long" {
		t.Errorf("a name over the limit: %v", err)
	}
}

// TestEmojiInPersonAndUserNames: the names of people and the user name
// refuse emoji as such, not as an odd character.
func TestEmojiInPersonAndUserNames(t *testing.T) {
	for _, in := range []string{"张三😀", "张三👍🏻", "李四❤️", "王\u200d五"} {
		_, err := ParsePersonName(FieldLegalRepName, in)
		checkErr(t, in, err, "name.emoji")
		_, err = ParseUserName(in + "交易员")
		checkErr(t, in, err, "username.emoji")
	}
}

func TestSameName(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"重庆某某（集团）有限公司", "重庆某某(集团)有限公司", true},
		{"重庆某某（集团）有限公司", " 重庆某某 （集团） 有限公司", true},
		{"ＡＢＣ科技有限公司", "ABC科技有限公司", true},
		{"重庆某某机械有限公司", "重庆某某机械制造有限公司", false},
		{"重庆某某公司", "", false},
	} {
		if got := SameName(tt.a, tt.b); got != tt.same {
			t.Errorf("SameName(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func FuzzParseOrgName(f *testing.F) {
	for _, s := range []string{"重庆某某（集团）有限公司", "ABC科技(重庆)有限公司", "重庆😀公司", "重庆❤️", "1️⃣重庆", "ABC", "重庆\u202e公司"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseOrgName(FieldEnterpriseName, s, 100)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != CodeInvalid || !strings.HasPrefix(e.Reason, "orgname.") && !strings.HasPrefix(e.Reason, "text.") {
				t.Fatalf("%q: %v", s, err)
			}
			if _, ok := Reasons[e.Reason]; !ok {
				t.Fatalf("%q: reason %s not in Reasons", s, e.Reason)
			}
			if msg := argsProblem(e); msg != "" {
				t.Fatalf("%q: %s", s, msg)
			}
			return
		}
		if _, ok := firstPictographic(out); ok || !utf8.ValidString(out) {
			t.Fatalf("%q → %q", s, out)
		}
		if again, err := ParseOrgName(FieldEnterpriseName, out, 100); err != nil || again != out {
			t.Fatalf("%q → %q → %q, %v", s, out, again, err)
		}
	})
}
