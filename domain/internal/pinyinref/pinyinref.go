// Package pinyinref is go-pinyin called the way the domain package called
// it before initials_table.go replaced it: the reference the table is
// generated from (initialsgen) and checked against (domain's tests). The
// bot does not link it.
package pinyinref

import (
	"strings"

	"github.com/mozillazg/go-pinyin"
)

// Initial returns the lower-case ASCII letters of go-pinyin's first letter
// of r's first reading, or "" if go-pinyin has none.
func Initial(r rune) string {
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
