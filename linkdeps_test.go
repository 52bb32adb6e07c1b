package main

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryDoesNotLink fails when the regbot binary links a package that
// it should only use at build time or in tests. One `go list` covers every
// entry; add yours to the table.
func TestBinaryDoesNotLink(t *testing.T) {
	unwanted := []struct{ pkg, why string }{
		{"github.com/mozillazg/go-pinyin", "its init builds a 2.6 MB map that every GC cycle marks; " +
			"domain reads initials_table.go instead (go generate ./domain)"},
		{"github.com/mattn/go-runewidth", "its init fills a 2.2 MB table at every start (RSS target 48 MiB); " +
			"pdfcpu's pkg/api links it through pkg/pdfcpu/form"},
		{"github.com/pdfcpu/pdfcpu/pkg/api", "it links go-runewidth (pkg/pdfcpu/form); " +
			"domain/pdfcpu.go calls pdfcpu's core packages the way pkg/api does"},
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -deps .: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps .: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, u := range unwanted {
		if slices.Contains(deps, u.pkg) {
			t.Errorf("regbot links %s: %s", u.pkg, u.why)
		}
	}
}
