package domain

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkReparse asserts the invariants every string parser keeps: a refusal
// is an invalid *Error whose Reason starts with prefix (or is text.empty),
// is listed in Reasons with the Args it carries, and comes with no output;
// an accepted value parses to itself.
func checkReparse(t *testing.T, in, prefix string, parse func(string) (string, error)) string {
	t.Helper()
	out, err := parse(in)
	if err != nil {
		checkRefusal(t, in, err, prefix)
		if out != "" {
			t.Fatalf("%q: refused (%v) but returned %q", in, err, out)
		}
		return ""
	}
	again, err := parse(out)
	if err != nil || again != out {
		t.Fatalf("%q → %q, which parses to %q, %v", in, out, again, err)
	}
	return out
}

func checkRefusal(t *testing.T, in string, err error, prefix string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid || !strings.HasPrefix(e.Reason, prefix) && e.Reason != "text.empty" {
		t.Fatalf("%q: error %#v, want invalid %s…", in, err, prefix)
	}
	if _, ok := Reasons[e.Reason]; !ok {
		t.Fatalf("%q: reason %s is not in Reasons", in, e.Reason)
	}
	if msg := argsProblem(e); msg != "" {
		t.Fatalf("%q: %s", in, msg)
	}
}

func FuzzParseIDNumber(f *testing.F) {
	for _, s := range []string{
		"500103197001010011", "500112198506150029", "500243200002290036", "500103199001019998",
		"11010519491231002X", "50010319800808005x", "500103197001010010", "50010319990230004",
		"50010319990230004X", "500103199013010050", "000103197001010013", "500103209901010063",
		"5001031970010100A1",
		// As people type it.
		"５００１０３１９７００１０１００１１", "５00103197001010011", "５００１０３１９８００８０８００５ｘ",
		"500103 19700101 0011", "500103-19700101-0011", "500103－19700101－0011", "500103　19700101　0011",
		"500103\u00a019700101\u00a00011", "\u200b500103197001010011\ufeff", "\u202a500103197001010011\u202c",
		"500103700101001", "身份证500103197001010011", "500103197001010011。", "　\u200b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := checkReparse(t, s, "idnumber.", func(s string) (string, error) { return ParseIDNumber(s, testToday) })
		if m := MaskIDNumber(s); len(m) != len(s) {
			t.Fatalf("MaskIDNumber(%q) = %q: length changed", s, m)
		}
		if out == "" {
			return
		}
		if len(out) != 18 || IDCheckChar(out[:17]) != out[17] {
			t.Fatalf("%q → %q: bad check character", s, out)
		}
		birth, err := time.Parse("20060102", out[6:14])
		if err != nil || birth.After(testToday) || birth.Year() < 1900 {
			t.Fatalf("%q → %q: birth date %v, %v", s, out, birth, err)
		}
	})
}

func FuzzParseCreditCode(f *testing.F) {
	for _, s := range []string{
		"91500103000000000M", "91500112MA0000015A", "92500243L00000011W", "12500000450000016M",
		"91500112ma0000015a", "91500103000000001Q", "91500103000000000N", "91500103000000000",
		"91500103I00000000M", "91500103O00000000M", "9150010A000000000M", "Z1500103000000000M",
		// As people type it.
		"９１５００１０３０００００００００Ｍ", "９１５００１１２ｍａ０００００１５ａ", "9150010３0000000０0M",
		"91500103-000000000M", "91500103－000000000M", "　91500103000000000M　", "\ufeff91500103000000000M\u200b",
		"９１５００１０３Ｉ００００００００Ｍ", "91500103#00000000M", "500103600123456",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseCreditCode(s)
		if ErrorReason(err) == ReasonCreditCodeChecksum {
			// The normalised code comes back for the user to confirm.
			again, err2 := ParseCreditCode(out)
			if again != out || ErrorReason(err2) != ReasonCreditCodeChecksum {
				t.Fatalf("%q → %q, which parses to %q, %v", s, out, again, err2)
			}
		} else {
			out = checkReparse(t, s, "creditcode.", ParseCreditCode)
		}
		if out == "" {
			return
		}
		if len(out) != 18 || strings.Trim(out, usccChars) != "" {
			t.Fatalf("%q → %q: not 18 characters of the set", s, out)
		}
		if (Basic{CreditCode: out}).OrganizationCode() != out[8:17] {
			t.Fatalf("%q: organisation code", out)
		}
	})
}

func FuzzParseLoginName(f *testing.F) {
	for _, s := range []string{"cqmmgsjyy", "cqmmgsjyy1", "cqmm", "重庆某某", "cq mmgs", "ｃｑｍｍｇｓ", "cqmm　gs", "\u200bcqmmgs\ufeff", "cq－mmgs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := checkReparse(t, s, "loginname.", ParseLoginName)
		if out != "" && (len(out) < 6 || len(out) > 20 || !isASCIIAlnum(out)) {
			t.Fatalf("%q → %q", s, out)
		}
	})
}

func FuzzParseUserName(f *testing.F) {
	for _, s := range []string{"重庆某某公司交易员", "重庆某某公司", "cqmmgsjyy", "重庆某某公司 交易员", "重庆某某（集团）公司", "　重庆某某公司交易员　", "重庆某某公司　交易员", "重庆\uf900公司"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := checkReparse(t, s, "username.", ParseUserName)
		if out != "" && (utf8.RuneCountInString(out) > 33 || !utf8.ValidString(out)) {
			t.Fatalf("%q → %q", s, out)
		}
	})
}

func FuzzCheckPassword(f *testing.F) {
	for _, pw := range []string{"Cq2024!abc", "abc12345", "Abc!defg", "cqmmgsjyy1!", "yyjsgmmqc1!", "A1!",
		"Ｃq2024!abc", "Cq2024！abc", "Cq2024。abc", "Cq2024　abc!", "Cq2024!abc\u200b", "Cq2024“abc"} {
		f.Add(pw, "cqmmgsjyy")
	}
	f.Fuzz(func(t *testing.T, pw, login string) {
		err := CheckPassword(pw, login)
		if err != nil {
			checkRefusal(t, pw, err, "password.")
			return
		}
		lp, ll := strings.ToLower(pw), strings.ToLower(login)
		if len(pw) < 8 || len(pw) > 20 || strings.ContainsAny(pw, " \t\n") ||
			login != "" && (strings.Contains(lp, ll) || strings.Contains(lp, reverse(ll))) {
			t.Fatalf("accepted %q for login %q", pw, login)
		}
		for i := 0; i < len(pw); i++ {
			if pw[i] <= ' ' || pw[i] > '~' {
				t.Fatalf("accepted %q: byte %#x", pw, pw[i])
			}
		}
	})
}

func FuzzParseMobile(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138 1234 5678", "008613812345678", "8613812345678", "16612345678", "19912345678", "12012345678",
		"１３８１２３４５６７８", "＋８６　１３８１２３４５６７８", "（+86）138 1234 5678", "138—1234—5678", "\u202a+86 138 1234 5678\u202c", "0085291234567", "1381234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := checkReparse(t, s, "mobile.", ParseMobile); out != "" && (len(out) != 11 || out[0] != '1') {
			t.Fatalf("%q → %q", s, out)
		}
	})
}

func FuzzParseLandline(f *testing.F) {
	for _, s := range []string{"023-63001234", "02363001234", "023-63001234-8001", "63001234", "(023)63001234",
		"０２３－６３００１２３４", "（０２３）６３００１２３４", "023-6300-1234", "023-63001234转8001", "023-63001234 分机 8001", "13812345678", "023-63001234-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkReparse(t, s, "landline.", func(s string) (string, error) { return ParseLandline(FieldLandline, s) })
	})
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"zhang.san@example.com", "张三 <zhang@example.com>", "user@localhost", "a@b@example.com", `"a b"@example.com`, "a@[127.0.0.1]",
		"zhang＠example.com", "zhang@example。com", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ", "zhang@my－company.cn", "zhang@example.com。", "　zhang@example.com\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := checkReparse(t, s, "email.", ParseEmail); len(out) > 254 || out != "" && !strings.Contains(out, "@") {
			t.Fatalf("%q → %q", s, out)
		}
	})
}

func FuzzParsePostcode(f *testing.F) {
	for _, s := range []string{"400010", "040010", "40001", "４０１１２０", "０４００１０", "400　010", "　401120\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "postcode.", ParsePostcode) })
}

func FuzzParseText(f *testing.F) {
	f.Add("重庆市渝中区解放碑1号", 50)
	f.Add(" a\u202eb ", 5)
	f.Add("a\xffb", 5)
	f.Add("重庆市渝中区民族路１８８号ＷＦＣ大厦", 50)
	f.Add("重庆某某（集团）有限公司", 50)
	f.Add("　\u200b总经理\ufeff　", 10)
	f.Add("\u202e总经理", 10)
	f.Add("重庆\uf900公司", 10)
	f.Add("a\nb", 5)
	f.Fuzz(func(t *testing.T, s string, max int) {
		out := checkReparse(t, s, "text.", func(s string) (string, error) { return ParseText(FieldIndustry, s, max) })
		if out != "" && (utf8.RuneCountInString(out) > max || !utf8.ValidString(out) || strings.TrimSpace(out) != out) {
			t.Fatalf("%q, %d → %q", s, max, out)
		}
	})
}

func FuzzParsePersonName(f *testing.F) {
	for _, s := range []string{"张三", "买买提·艾力", "John Smith", "··", "张三John", "张　三", "买买提・艾力", "Ｊｏｈｎ　Ｓｍｉｔｈ", " ·张 三"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkReparse(t, s, "name.", func(s string) (string, error) { return ParsePersonName(FieldContactPerson, s) })
	})
}

func FuzzParseCapital(f *testing.F) {
	for _, s := range []string{"1,000.5", "500万元", "500 万元", "0", "01", "1.12345",
		"５００", "１，０００．５", "1200。5", "人民币500万元", "500万元人民币", "￥500万", "500万美元", "五百万", "万元"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "capital.", ParseCapital) })
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2020-02-29", "2023-02-29", "2024/3/5", "2024.03.05", "20240305", "2024年3月5日",
		"2010年5月20日", "2010 年 5 月 20 日", "2010年5月20号", "2010.5.20", "2010。5。20", "２０１０－０５－２０", "２０１００５２０",
		"20/05/2010", "24-03-05", "2024-13-01", "--2010--05--20--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(FieldFoundedOn, s)
		if err != nil {
			checkRefusal(t, s, err, "date.")
			return
		}
		if d.Year() < 1900 || d.Year() > 2200 || d.Location() != time.UTC || d != d.Truncate(24*time.Hour) {
			t.Fatalf("%q → %v", s, d)
		}
		if again, err := ParseDate(FieldFoundedOn, d.Format(time.DateOnly)); err != nil || !again.Equal(d) {
			t.Fatalf("%q → %v, which parses to %v, %v", s, d, again, err)
		}
	})
}

func FuzzParseAccountNumber(f *testing.F) {
	for _, s := range []string{"5001234567", "500 123 4567", "1234567", "５００１２３４５６７", "500－123－4567", "\u200b5001234567\ufeff", "户号5001234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "account.", ParseAccountNumber) })
}

func FuzzParseBankAccount(f *testing.F) {
	for _, s := range []string{"6222021234567890123", "6222 0212 3456 7890 123", "12345", "６２２２　０２１２　３４５６　７８９０　１２３", "6222-0212-3456-7890-123", "6222.0212.3456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "bankaccount.", ParseBankAccount) })
}

func FuzzNewPDFAttachment(f *testing.F) {
	pdf := minimalPDF()
	f.Add(pdf)
	f.Add(pdf[:len(pdf)/2])
	f.Add(encryptedPDF(f, ""))
	f.Add(encryptedPDF(f, "open-sesame"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("%PDF-1.7\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		at, err := NewPDFAttachment(AttachmentLicence, data)
		if err != nil {
			checkRefusal(t, string(data[:min(len(data), 16)]), err, "pdf.")
			return
		}
		if at.Size != int64(len(data)) || len(at.SHA256) != 64 || at.FileName != "营业执照.pdf" {
			t.Fatalf("%+v", at)
		}
	})
}

// FuzzExifOrientation: reading the orientation of any bytes never panics
// and gives 1–8.
func FuzzExifOrientation(f *testing.F) {
	for o := 1; o <= 8; o++ {
		f.Add(withOrientation(f, []byte("\xFF\xD8\xFF\xD9"), o, o%2 == 0))
	}
	f.Add([]byte("\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00II*\x00\xFF\xFF\xFF\x7F"))
	f.Add([]byte("\xFF\xD8\xFF\xE1\xFF\xFF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Fatalf("exifOrientation = %d", o)
		}
	})
}

func FuzzSuggestLoginName(f *testing.F) {
	for _, s := range []string{"重庆某某公司交易员", "重庆银行股份有限公司", "ABC科技(深圳)有限公司", "重庆长安汽车股份有限公司", "ＡＢＣ", "\xff"} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, name string, n int) {
		ln := SuggestLoginName(name)
		if len(ln) > 20 || strings.Trim(ln, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Fatalf("SuggestLoginName(%q) = %q", name, ln)
		}
		if len(ln) >= 6 {
			if _, err := ParseLoginName(ln); err != nil {
				t.Fatalf("SuggestLoginName(%q) = %q: %v", name, ln, err)
			}
		}
		next := NextLoginName(ln, n)
		if len(next) > 20 || n >= 1 && !strings.HasSuffix(next, strconv.Itoa(n)) {
			t.Fatalf("NextLoginName(%q, %d) = %q", ln, n, next)
		}
		if un := SuggestUserName(name); un != "" {
			if _, err := ParseUserName(un); err != nil || !strings.HasSuffix(un, traderSuffix) {
				t.Fatalf("SuggestUserName(%q) = %q: %v", name, un, err)
			}
		}
	})
}

// FuzzNormalize checks the promises of normalize: each form is idempotent;
// asText changes no Chinese character and no punctuation other than
// spaces, and loses only invisible characters and edge spaces; the code
// forms leave no format character, no space but ASCII ones, and
// asIdentifier no space or hyphen at all.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"１２３ＡＢＣ－＠．：（）　x", "重庆某某（集团）有限公司", "\ufeff重庆\u200b市\u3000渝中区", "豈①㍿",
		"500103－19700101－0011", "\u202a+86 138 1234 5678\u202c", "zhang＠example。com", "a\xffb", " \u0301a",
		// Removing a character brings a combining mark to a letter.
		"e\u200b\u0301", "e¨x", "a\u00a0\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fm := range []form{asText, asCode, asIdentifier} {
			out := normalize(s, fm)
			if again := normalize(out, fm); again != out {
				t.Fatalf("form %d: %q → %q → %q", fm, s, out, again)
			}
			if !utf8.ValidString(out) {
				t.Fatalf("form %d: %q → %q: invalid UTF-8", fm, s, out)
			}
			if fm == asText {
				continue
			}
			for _, r := range out {
				if unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) && r != ' ' || fm == asIdentifier && (r == ' ' || r == '-') {
					t.Fatalf("form %d: %q → %q: kept %U", fm, s, out, r)
				}
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		// asText: every rune it keeps is the one typed, or its narrow or
		// space form, in order.
		in := []rune(s)
		i := 0
		for _, r := range normalize(s, asText) {
			for i < len(in) && !(in[i] == r || narrow(in[i]) == r || r == ' ' && (in[i] == '\t' || unicode.Is(unicode.Zs, in[i]))) {
				i++
			}
			if i == len(in) {
				t.Fatalf("asText: %q → %q: %U is not from the input", s, normalize(s, asText), r)
			}
			i++
		}
	})
}
