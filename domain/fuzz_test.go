package domain

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkReparse asserts the invariants every string parser keeps: a refusal
// is an invalid *Error whose Reason starts with prefix and comes with no
// output; an accepted value parses to itself.
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
	if !errors.As(err, &e) || e.Code != CodeInvalid || !strings.HasPrefix(e.Reason, prefix) {
		t.Fatalf("%q: error %#v, want invalid %s…", in, err, prefix)
	}
}

func FuzzParseIDNumber(f *testing.F) {
	for _, s := range []string{
		"500103197001010011", "500112198506150029", "500243200002290036", "500103199001019998",
		"11010519491231002X", "50010319800808005x", "500103197001010010", "50010319990230004",
		"50010319990230004X", "500103199013010050", "000103197001010013", "500103209901010063",
		"5001031970010100A1",
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
	for _, s := range []string{"cqmmgsjyy", "cqmmgsjyy1", "cqmm", "重庆某某", "cq mmgs"} {
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
	for _, s := range []string{"重庆某某公司交易员", "重庆某某公司", "cqmmgsjyy", "重庆某某公司 交易员"} {
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
	for _, pw := range []string{"Cq2024!abc", "abc12345", "Abc!defg", "cqmmgsjyy1!", "yyjsgmmqc1!", "A1!"} {
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
	for _, s := range []string{"13812345678", "+86 138 1234 5678", "008613812345678", "8613812345678", "16612345678", "19912345678", "12012345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := checkReparse(t, s, "mobile.", ParseMobile); out != "" && (len(out) != 11 || out[0] != '1') {
			t.Fatalf("%q → %q", s, out)
		}
	})
}

func FuzzParseLandline(f *testing.F) {
	for _, s := range []string{"023-63001234", "02363001234", "023-63001234-8001", "63001234", "(023)63001234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkReparse(t, s, "landline.", func(s string) (string, error) { return ParseLandline(FieldLandline, s) })
	})
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"zhang.san@example.com", "张三 <zhang@example.com>", "user@localhost", "a@b@example.com", `"a b"@example.com`, "a@[127.0.0.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := checkReparse(t, s, "email.", ParseEmail); len(out) > 254 || out != "" && !strings.Contains(out, "@") {
			t.Fatalf("%q → %q", s, out)
		}
	})
}

func FuzzParsePostcode(f *testing.F) {
	for _, s := range []string{"400010", "040010", "40001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "postcode.", ParsePostcode) })
}

func FuzzParseText(f *testing.F) {
	f.Add("重庆市渝中区解放碑1号", 50)
	f.Add(" a\u202eb ", 5)
	f.Add("a\xffb", 5)
	f.Fuzz(func(t *testing.T, s string, max int) {
		out := checkReparse(t, s, "text.", func(s string) (string, error) { return ParseText(FieldIndustry, s, max) })
		if out != "" && (utf8.RuneCountInString(out) > max || !utf8.ValidString(out) || strings.TrimSpace(out) != out) {
			t.Fatalf("%q, %d → %q", s, max, out)
		}
	})
}

func FuzzParsePersonName(f *testing.F) {
	for _, s := range []string{"张三", "买买提·艾力", "John Smith", "··", "张三John"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkReparse(t, s, "name.", func(s string) (string, error) { return ParsePersonName(FieldContactPerson, s) })
	})
}

func FuzzParseCapital(f *testing.F) {
	for _, s := range []string{"1,000.5", "500万元", "500 万元", "0", "01", "1.12345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "capital.", ParseCapital) })
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2020-02-29", "2023-02-29", "2024/3/5", "2024.03.05", "20240305", "2024年3月5日"} {
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
	for _, s := range []string{"5001234567", "500 123 4567", "1234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "account.", ParseAccountNumber) })
}

func FuzzParseBankAccount(f *testing.F) {
	for _, s := range []string{"6222021234567890123", "6222 0212 3456 7890 123", "12345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkReparse(t, s, "bankaccount.", ParseBankAccount) })
}

func FuzzNewPDFAttachment(f *testing.F) {
	pdf := minimalPDF()
	f.Add("营业执照.PDF", pdf)
	f.Add("x.pdf", pdf[:len(pdf)/2])
	f.Add("x.pdf", encryptedPDF(f, ""))
	f.Add("x.pdf", encryptedPDF(f, "open-sesame"))
	f.Add("x.png", []byte("\x89PNG\r\n\x1a\n"))
	f.Add("", []byte("%PDF-1.7\n%%EOF"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		at, err := NewPDFAttachment(AttachmentLicence, name, data)
		if err != nil {
			checkRefusal(t, name, err, "pdf.")
			return
		}
		if at.Size != int64(len(data)) || len(at.SHA256) != 64 || at.FileName != StoredPDFName(AttachmentLicence, name) {
			t.Fatalf("%+v", at)
		}
	})
}

func FuzzStoredPDFName(f *testing.F) {
	for _, s := range []string{"营业执照.PDF", "../../etc/passwd", "", "a.Pdf", `C:\x\目录.pdf`, "invoice\u202efdp.exe", " a .pdf "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := StoredPDFName(AttachmentCatalog, name)
		if !strings.HasSuffix(got, ".pdf") || strings.ContainsAny(got, "/\\\x00\n") || !utf8.ValidString(got) ||
			utf8.RuneCountInString(got) > 84 || got == ".pdf" {
			t.Fatalf("StoredPDFName(%q) = %q", name, got)
		}
		if again := StoredPDFName(AttachmentCatalog, got); again != got {
			t.Fatalf("StoredPDFName(%q) = %q, then %q", name, got, again)
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
