package domain

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// goPinyinInitial is what initial returned for a Han character before
// initialsTable replaced go-pinyin: the lower-case letters of go-pinyin's
// first letter of its default reading, or "" without one.
// It repeats initialsgen's reference on purpose: the test checks the
// generated table against go-pinyin, not against the generator's own code
// (and domain's packages import no project package).
func goPinyinInitial(r rune) string {
	a := pinyin.NewArgs()
	a.Style = pinyin.FirstLetter
	a.Fallback = func(rune, pinyin.Args) []string { return nil }
	var b strings.Builder
	for _, s := range pinyin.LazyPinyin(string(r), a) {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= 'a' && c <= 'z' {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// TestInitialMatchesGoPinyin checks every Han code point, each key of
// go-pinyin's dictionary among them, against go-pinyin itself.
func TestInitialMatchesGoPinyin(t *testing.T) {
	keys := 0
	for _, rg := range unicode.Han.R16 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			keys += checkInitial(t, r)
		}
	}
	for _, rg := range unicode.Han.R32 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			keys += checkInitial(t, r)
		}
	}
	want := 0
	for k := range pinyin.PinyinDict {
		if unicode.Is(unicode.Han, rune(k)) {
			want++
		}
	}
	if keys != want || want < 40000 {
		t.Errorf("checked %d keys of pinyin.PinyinDict, want all %d Han keys", keys, want)
	}
}

// checkInitial compares pinyinInitial and initial for r with go-pinyin and
// returns 1 if r is a key of pinyin.PinyinDict.
func checkInitial(t *testing.T, r rune) int {
	t.Helper()
	want := goPinyinInitial(r)
	if got := pinyinInitial(r); got != want {
		t.Errorf("pinyinInitial(%U %c) = %q, go-pinyin %q", r, r, got, want)
	}
	if s, ok := charInitials[r]; ok {
		want = s
	}
	if got := initial(r); got != want {
		t.Errorf("initial(%U %c) = %q, want %q", r, r, got, want)
	}
	if _, ok := pinyin.PinyinDict[int(r)]; ok {
		return 1
	}
	return 0
}

// TestInitialsTableUpToDate fails when initials_table.go is not what
// `go generate ./domain` writes, for example after a go-pinyin upgrade.
func TestInitialsTableUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "initials_table.go")
	cmd := exec.Command("go", "run", "./internal/initialsgen", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/initialsgen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("initials_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("initials_table.go is out of date: run go generate ./domain")
	}
}
