package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSuggestLoginName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"重庆某某公司交易员", "cqmmgsjyy"}, // the manual's example
		{"重庆银行股份有限公司", "cqyhgfyxgs"},
		{"ABC科技(深圳)有限公司", "abckjszyxgs"},
		{"长城汽车股份有限公司", "ccqcgfyxgs"},
		{"厦门航空有限公司", "xmhkyxgs"},
		{"重庆长安汽车股份有限公司", "cqcaqcgfyxgs"},
		{"中国重型汽车集团有限公司", "zgzxqcjtyxgs"},
		{"重庆长寿化工有限责任公司", "cqcshgyxzrgs"},
		{"长寿化工", "cshg"},
		{"重庆钢铁股份有限公司", "cqgtgfyxgs"},
		{"重庆三峰环境集团股份有限公司", "cqsfhjjtgfyxgs"},
		{"重庆市朝天门会计师事务所", "cqsctmkjssws"},
		{"乐山电力股份有限公司", "lsdlgfyxgs"},
		{"北京朝阳供电公司", "bjcygdgs"},
		{"国网重庆市电力公司调度控制中心", "gwcqsdlgsddkzzx"},
		{"长江电力", "cjdl"},
		{"重庆重型汽车集团有限责任公司", "cqzxqcjtyxzrgs"},
		{"中国重汽集团", "zgzqjt"},
		{"重庆重工机械厂", "cqzgjxc"},
		{"重庆市给排水设计院", "cqsjpssjy"},
		{"中国银行重庆市分行", "zgyhcqsfh"},
		{"重庆农村商业银行", "cqncsyyh"},
		{"重庆长江轮船公司", "cqcjlcgs"},
		{"重庆市行业协会单位", "cqshyxhdw"},
		{"曾家岩实业", "zjysy"},
		{"重庆格力空调有限公司", "cqglktyxgs"},
		{"重庆ＡＢＣ１２３公司", "cqabc123gs"}, // full-width letters and digits
		{"重庆 TCL 电子·有限公司！", "cqtcldzyxgs"},
		{"3M中国有限公司", "3mzgyxgs"},
		{"", ""},
		{"（）、。", ""},
		{"重庆市渝中区解放碑步行街某某某某某某有限公司", "cqsyzqjfbbxjmmmmmmyx"}, // cut to 20
	}
	for _, tt := range tests {
		if got := SuggestLoginName(tt.in); got != tt.want {
			t.Errorf("SuggestLoginName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNextLoginName(t *testing.T) {
	tests := []struct {
		base string
		n    int
		want string
	}{
		{"cqmmgsjyy", 1, "cqmmgsjyy1"},
		{"cqmm", 12, "cqmm12"},
		{"abcdefghijklmnopqrst", 1, "abcdefghijklmnopqrs1"},
		{"abcdefghijklmnopqrs", 1, "abcdefghijklmnopqrs1"},
		{"abcdefghijklmnopqrs", 10, "abcdefghijklmnopqr10"},
		{"abcdefghijklmnopqrstuvwxyz", 123, "abcdefghijklmnopq123"},
		{"", 7, "7"},
		{"cqmmgsjyy", 0, "cqmmgsjyy"},
		{"abcdefghijklmnopqrstuvwxyz", -1, "abcdefghijklmnopqrst"},
	}
	for _, tt := range tests {
		if got := NextLoginName(tt.base, tt.n); got != tt.want {
			t.Errorf("NextLoginName(%q, %d) = %q, want %q", tt.base, tt.n, got, tt.want)
		}
	}
}

func TestPadLoginName(t *testing.T) {
	for _, tt := range []struct {
		base string
		n    int
		want string
	}{
		{"cqgt", 1, "cqgt01"},
		{"cqgt", 2, "cqgt02"},
		{"cqgt", 123, "cqgt123"},
		{"cq", 1, "cq0001"},
		{"a", 7, "a00007"},
		{"abcde", 1, "abcde1"},
		{"cqmmgs", 1, "cqmmgs1"}, // long enough: as NextLoginName
		{"abcdefghijklmnopqrst", 1, "abcdefghijklmnopqrs1"},
	} {
		got := PadLoginName(tt.base, tt.n)
		if got != tt.want {
			t.Errorf("PadLoginName(%q, %d) = %q, want %q", tt.base, tt.n, got, tt.want)
		}
		if _, err := ParseLoginName(got); err != nil {
			t.Errorf("PadLoginName(%q, %d) = %q: %v", tt.base, tt.n, got, err)
		}
	}
}

func TestSuggestUserName(t *testing.T) {
	long := strings.Repeat("渝", 40)
	tests := []struct{ in, want string }{
		{"重庆某某公司", "重庆某某公司交易员"},
		{"重庆某某公司交易员", "重庆某某公司交易员"}, // not 交易员交易员
		{"ABC科技(深圳)有限公司", "科技深圳有限公司交易员"},
		{"重庆 某某·公司", "重庆某某公司交易员"},
		{"ABC Ltd.", ""},
		{"", ""},
		{long, strings.Repeat("渝", 30) + "交易员"},
	}
	for _, tt := range tests {
		got := SuggestUserName(tt.in)
		if got != tt.want {
			t.Errorf("SuggestUserName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got == "" {
			continue
		}
		if _, err := ParseUserName(got); err != nil || utf8.RuneCountInString(got) > 33 {
			t.Errorf("SuggestUserName(%q) = %q: not a user name: %v", tt.in, got, err)
		}
	}
}

// Every override gives one lower-case initial per character.
func TestInitialsTables(t *testing.T) {
	for w, s := range wordInitials {
		if utf8.RuneCountInString(w) != len(s) || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") != "" || !allHan(w) {
			t.Errorf("wordInitials[%q] = %q", w, s)
		}
	}
	for r, s := range charInitials {
		if len(s) != 1 || s[0] < 'a' || s[0] > 'z' {
			t.Errorf("charInitials[%q] = %q", r, s)
		}
	}
}

// BenchmarkSuggestLoginName measures a typical enterprise name: override
// words, plain Han characters and Latin letters.
func BenchmarkSuggestLoginName(b *testing.B) {
	for b.Loop() {
		SuggestLoginName("重庆长安汽车ABC股份有限公司")
	}
}
