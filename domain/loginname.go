package domain

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ./internal/initialsgen -o initials_table.go

// maxLoginName is the platform's limit for a login name (ParseLoginName).
const maxLoginName = 20

// maxUserName is the platform's limit for a user name, in runes.
const maxUserName = 33

// traderSuffix is what the manual appends to the enterprise name to make a
// user name: 重庆某某公司 → 重庆某某公司交易员.
const traderSuffix = "交易员"

// wordInitials overrides go-pinyin (through initialsTable), which reads each
// character on its own and so gets polyphones wrong (重庆 → zq, 长城 → zc,
// 厦门 → sm). Entries are the readings that occur in enterprise names; the
// longest match wins, left to right. Some entries only repeat go-pinyin's
// answer, to pin it down.
var wordInitials = map[string]string{
	// 重: zhòng by default; chóng in 重庆 and its abbreviations.
	"重庆": "cq", "重钢": "cg", "重啤": "cp", "重药": "cy", "重医": "cy",
	"重阳": "cy", "重新": "cx", "重组": "cz", "重建": "cj", "重生": "cs", "重复": "cf",
	"重型": "zx", "重工": "zg", "重汽": "zq", "重机": "zj", "重载": "zz", "重量": "zl",
	// 长: cháng (the default below); zhǎng in these.
	"董事长": "dsz", "成长": "cz", "增长": "zz", "生长": "sz",
	"厂长": "cz", "行长": "hz", "校长": "xz", "市长": "sz", "县长": "xz",
	"长城": "cc", "长安": "ca", "长江": "cj", "长寿": "cs", "长沙": "cs", "长春": "cc",
	// 行: xíng by default; háng in these.
	"银行": "yh", "行业": "hy", "商行": "sh", "车行": "ch", "分行": "fh", "支行": "zh",
	"总行": "zh", "投行": "th", "琴行": "qh", "行情": "hq", "行家": "hj",
	// 厦: shà by default (大厦).
	"厦门": "xm",
	// 会: huì by default.
	"会计": "kj", "财会": "ck",
	// 朝: cháo by default.
	"朝阳": "cy", "朝天门": "ctm", "朝霞": "zx", "朝晖": "zh", "朝气": "zq",
	// 乐: lè by default.
	"乐山": "ls", "音乐": "yy", "乐器": "yq", "乐团": "yt", "乐队": "yd", "声乐": "sy",
	"器乐": "qy", "乐清": "yq",
	// 单, 调, 藏, 给, 弹, 校, 参, 番, 茄, 伽, 轧, 刨, 粘, 巷, 阿, 铅, 泊.
	"单位": "dw", "单县": "sx",
	"调度": "dd", "调查": "dc", "调研": "dy", "调运": "dy", "空调": "kt", "调味": "tw",
	"调料": "tl", "调节": "tj", "调试": "ts", "调控": "tk", "调压": "ty", "调峰": "tf",
	"调频": "tp", "调速": "ts", "调光": "tg", "调和": "th", "调解": "tj", "协调": "xt",
	"西藏": "xz", "藏族": "zz", "藏药": "zy", "宝藏": "bz",
	"给排水": "jps", "给水": "js", "供给": "gj", "补给": "bj", "自给": "zj",
	"弹簧": "th", "弹性": "tx", "弹力": "tl",
	"校准": "jz", "校验": "jy", "校正": "jz", "校对": "jd",
	"人参": "rs", "海参": "hs",
	"番禺": "py", "番茄": "fq", "茄子": "qz", "瑜伽": "yj",
	"轧钢": "zg", "轧制": "zz", "轧机": "zj", "轧辊": "zg", "冷轧": "lz", "热轧": "rz",
	"刨床": "bc", "刨花": "bh",
	"粘合": "nh", "粘胶": "nj", "粘土": "nt", "粘接": "nj", "粘度": "nd",
	"巷道": "hd", "东阿": "de", "阿胶": "ej", "铅山": "ys", "湖泊": "hp",
	"曾经": "cj",
	"供电": "gd",
}

// charInitials overrides go-pinyin's default reading of single characters
// whose other reading is the usual one in enterprise names.
var charInitials = map[rune]string{
	'长': "c", // cháng: 长城, 长安, 长江… (go-pinyin: zhǎng)
	'曾': "z", // zēng, the surname and place names (go-pinyin: céng)
	'泊': "b", // bó: 泊头, 泊位 (go-pinyin: pō)
}

// maxWordRunes is the length of the longest key of wordInitials.
var maxWordRunes = func() int {
	n := 0
	for w := range wordInitials {
		n = max(n, utf8.RuneCountInString(w))
	}
	return n
}()

// SuggestLoginName returns the lower-case pinyin initials of an enterprise
// name, as the manual suggests (重庆某某公司交易员 → cqmmgsjyy), keeping Latin
// letters and digits and dropping everything else, at most 20 characters.
// The result may be shorter than a login name must be; the caller appends
// digits (NextLoginName) and lets the user confirm or edit it.
func SuggestLoginName(enterpriseName string) string {
	rs := []rune(enterpriseName)
	var b strings.Builder
	for i := 0; i < len(rs) && b.Len() < maxLoginName; {
		if s, n := matchWord(rs[i:]); n > 0 {
			b.WriteString(s)
			i += n
			continue
		}
		b.WriteString(initial(rs[i]))
		i++
	}
	s := b.String()
	return s[:min(len(s), maxLoginName)]
}

// matchWord returns the initials of the longest override word at the start
// of rs and its length in runes, or 0.
func matchWord(rs []rune) (string, int) {
	for n := min(len(rs), maxWordRunes); n >= 2; n-- {
		if s, ok := wordInitials[string(rs[:n])]; ok {
			return s, n
		}
	}
	return "", 0
}

// initial returns the lower-case initial of a Han character, a Latin letter
// or a digit (full-width forms included), or "" for anything else.
func initial(r rune) string {
	r = narrow(r) // Ａ１ → A1, as the parsers read them
	switch {
	case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
		return string(r)
	case r >= 'A' && r <= 'Z':
		return string(r + 'a' - 'A')
	case !unicode.Is(unicode.Han, r):
		return ""
	}
	if s, ok := charInitials[r]; ok {
		return s
	}
	return pinyinInitial(r)
}

// initialRange is a run of code points in initialsTable, from first to last
// inclusive, starting at initialsTable[off].
type initialRange struct {
	first, last rune
	off         int
}

// pinyinInitial returns the first letter of go-pinyin's default reading of
// r, or "" if go-pinyin has none. It reads the table that go generate
// builds from go-pinyin (initials_table.go), so that the bot does not link
// go-pinyin, whose init builds a 2.6 MB map that each GC cycle marks.
func pinyinInitial(r rune) string {
	for _, g := range initialRanges {
		if r >= g.first && r <= g.last {
			i := g.off + int(r-g.first)
			if initialsTable[i] == noInitial {
				return ""
			}
			return initialsTable[i : i+1]
		}
	}
	return ""
}

// NextLoginName returns base with n appended (cqmmgsjyy, 1 → cqmmgsjyy1),
// cutting base so that the result has at most 20 characters. It is for
// trying again when a login name is taken; n < 1 returns base (cut to 20).
func NextLoginName(base string, n int) string {
	suffix := ""
	if n >= 1 {
		suffix = strconv.Itoa(n)
	}
	for len(base)+len(suffix) > maxLoginName && base != "" {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base + suffix
}

// minLoginName is the platform's shortest login name (ParseLoginName).
const minLoginName = 6

// PadLoginName returns base made long enough for a login name with the
// number n, zero-padded to fill the gap: cqgt, 1 → cqgt01; cq, 1 → cq0001;
// abcde, 1 → abcde1. A base long enough already gets n appended as
// NextLoginName does. Padding is not a sign of a name being taken, and a
// suggestion made this way should say why it has digits.
func PadLoginName(base string, n int) string {
	width := minLoginName - len(base)
	if width <= 0 {
		return NextLoginName(base, n)
	}
	digits := strconv.Itoa(max(n, 0))
	for len(digits) < width {
		digits = "0" + digits
	}
	return base + digits
}

// SuggestUserName returns the manual's user name for an enterprise: its name
// followed by 交易员 (重庆某某公司 → 重庆某某公司交易员). User names are Chinese
// characters only, so other characters are dropped and the name is cut to fit
// 33 characters. A name without Chinese characters gives "".
func SuggestUserName(enterpriseName string) string {
	var han []rune
	for _, r := range enterpriseName {
		if unicode.Is(unicode.Han, r) {
			han = append(han, r)
		}
	}
	if len(han) == 0 {
		return ""
	}
	name := strings.TrimSuffix(string(han), traderSuffix) // no 交易员交易员
	han = []rune(name)
	if n := maxUserName - utf8.RuneCountInString(traderSuffix); len(han) > n {
		han = han[:n]
	}
	return string(han) + traderSuffix
}
