package main

import (
	"errors"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// deps lists the packages the production binary links.
func deps(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -deps .: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps .: %v", err)
	}
	return strings.Fields(string(out))
}

// TestBinaryDoesNotLink fails when the production binary links a package
// that it should only use at build time, in tests or in development. One
// `go list` covers every entry; add yours to the table.
func TestBinaryDoesNotLink(t *testing.T) {
	const module = "github.com/regbot/regbot/"
	unwanted := []struct{ pkg, why string }{
		{"testing", "test code in the production binary (a …test package or a test helper)"},
		{module + "internal/devstack", "the development stack: local servers and the sample catalog"},
		{module + "internal/loadtest", "the load tool"},
		{module + "internal/e2e", "the end-to-end suite"},
		{module + "adapters/marketing/marketingsim", "the marketing simulator, whose accounts the README publishes"},
		{module + "bot/console", "the console chat of the development binary"},
		{"github.com/chromedp/chromedp", "the browser driver of the Mini App form's tests (internal/e2e)"},
		{"github.com/mozillazg/go-pinyin", "its init builds a 2.6 MB map that every GC cycle marks; " +
			"domain reads initials_table.go instead (go generate ./domain)"},
		{"github.com/mattn/go-runewidth", "its init fills a 2.2 MB table at every start; " +
			"pdfcpu's pkg/api links it through pkg/pdfcpu/form"},
		{"github.com/pdfcpu/pdfcpu/pkg/api", "it links go-runewidth (pkg/pdfcpu/form); " +
			"domain/pdfcpu.go calls pdfcpu's core packages the way pkg/api does"},
	}
	linked := deps(t)
	for _, u := range unwanted {
		if slices.Contains(linked, u.pkg) {
			t.Errorf("regbot links %s: %s", u.pkg, u.why)
		}
	}
	// Any test package of this module (conversationtest, telegramtest, …).
	for _, p := range linked {
		if strings.HasPrefix(p, module) && strings.HasSuffix(path.Base(p), "test") {
			t.Errorf("regbot links %s: test helpers do not belong in the production binary", p)
		}
	}
}

// TestBinaryKeepsMethodPruning builds the binary and checks it holds no
// go-deepcopy.Copy (its package's init stays), which excelize's writer calls: its use of
// reflect.Type.Method makes the linker keep every exported method of every
// type, 13 MB more binary and about 4 MiB more resident in each bot and
// document checker. The clerks' workbook is written by internal/cli's
// writeXLSX instead; excelize only reads (catalog import).
func TestBinaryKeepsMethodPruning(t *testing.T) {
	bin := t.TempDir() + "/regbot"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	if strings.Contains(string(out), "github.com/tiendc/go-deepcopy.Copy") {
		t.Error("regbot links go-deepcopy's code (excelize's writer?): method pruning is off")
	}
}
