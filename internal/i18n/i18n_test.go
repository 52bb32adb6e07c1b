package i18n

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// TestLanguagesAgree checks that the embedded files have the same keys,
// each with the same placeholders, and that Load would say so otherwise.
func TestLanguagesAgree(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	zh, en := sortedKeys(c.texts[0]), sortedKeys(c.texts[1])
	if !slices.Equal(zh, en) {
		t.Fatalf("the languages have different keys:\nzh only: %v\nen only: %v", minus(zh, en), minus(en, zh))
	}
	if len(zh) < 300 {
		t.Errorf("only %d messages: are the files complete?", len(zh))
	}
	for _, key := range zh {
		if a, b := c.texts[0][key].names, c.texts[1][key].names; !slices.Equal(a, b) {
			t.Errorf("%s: placeholders differ: zh %v, en %v", key, a, b)
		}
	}

	// The check itself: a key missing in English and placeholders that differ.
	bad := &Catalog{texts: [nLangs]map[string]*text{
		{"a": {plain: "甲"}, "b": {names: []string{"Ref"}}},
		{"b": {names: []string{"Reff"}}, "c": {plain: "c"}},
	}}
	got := errors.Join(bad.sameKeys()...)
	for _, want := range []string{
		`"a" is in active.zh.toml but not in active.en.toml`,
		`"b" has placeholders {{.Ref}} in active.zh.toml but {{.Reff}} in active.en.toml`,
		`"c" is in active.en.toml but not in active.zh.toml`,
	} {
		if got == nil || !strings.Contains(got.Error(), want) {
			t.Errorf("sameKeys: want %q in %v", want, got)
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestRendersAsGoI18n renders every embedded text with T and with
// go-i18n's Localize (text/template) and wants the same string: the fast
// path must not change a word.
func TestRendersAsGoI18n(t *testing.T) {
	c := Default().WithReport(func(err error) { t.Error(err) })
	bundle := goi18n.NewBundle(language.Chinese)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, lang := range Languages() {
		data, err := embedded.ReadFile("messages/" + FileName(lang))
		if err != nil {
			t.Fatal(err)
		}
		bundle.MustParseMessageFileBytes(data, FileName(lang))
	}
	for li, lang := range Languages() {
		loc := goi18n.NewLocalizer(bundle, lang)
		for _, key := range sortedKeys(c.texts[li]) {
			var kv []any
			data := map[string]any{}
			for i, name := range c.texts[li][key].names {
				var v any = "‹" + name + "›"
				if i%2 == 1 {
					v = 1000 + i // numbers print alike too
				}
				kv = append(kv, name, v)
				data[name] = v
			}
			want, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: data})
			if err != nil {
				t.Errorf("%s %s: go-i18n: %v", lang, key, err)
				continue
			}
			if got := c.T(lang, key, kv...); got != want {
				t.Errorf("%s %s:\n     T: %q\ngo-i18n: %q", lang, key, got, want)
			}
		}
	}
}

// TestEntriesDocumented checks that each entry of the embedded files has a
// comment right above it that names each of its placeholders: the staff
// editing a file learn there what a placeholder holds.
func TestEntriesDocumented(t *testing.T) {
	c := Default()
	entry := regexp.MustCompile(`^"([^"]+)" = `)
	for _, lang := range Languages() {
		data, err := embedded.ReadFile("messages/" + FileName(lang))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		n := 0
		for i, line := range lines {
			m := entry.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n++
			var doc []string
			for j := i - 1; j >= 0 && strings.HasPrefix(lines[j], "#"); j-- {
				doc = append(doc, lines[j])
			}
			if len(doc) == 0 {
				t.Errorf("%s: %q has no comment above it", FileName(lang), m[1])
				continue
			}
			for _, name := range c.Placeholders(m[1]) {
				if !strings.Contains(strings.Join(doc, " "), "{{."+name+"}}") {
					t.Errorf("%s: the comment of %q does not say what {{.%s}} holds", FileName(lang), m[1], name)
				}
			}
		}
		if n != len(c.texts[0]) {
			t.Errorf("%s: found %d entries written as \"key\" = …, want %d (write every key quoted, one a line)", FileName(lang), n, len(c.texts[0]))
		}
	}
}

func TestT(t *testing.T) {
	var problems []string
	c := Default().WithReport(func(err error) { problems = append(problems, err.Error()) })
	tests := []struct {
		lang, key string
		kv        []any
		want      string
		problem   string // a report that must be made, if any
	}{
		{Chinese, "start.begin", nil, "开始注册", ""},
		{English, "start.begin", nil, "Start registration", ""},
		{"fr", "start.begin", nil, "开始注册", ""}, // any other language is Chinese
		{Chinese, "submit.done", []any{"Ref", "CQ-1"}, "已提交！申请编号：CQ-1\n交易中心审核后会在此通知您。可随时发送 /status 查看状态。", ""},
		{English, "ent.results", []any{"Total", 12, "Page", 1, "Pages", int64(2)}, "Matching enterprises: 12; choose one (page 1/2):", ""},
		{English, "review.already_at", []any{"Reviewer", "王五", "Time", "2026-11-25 10:00", "Verdict", "approved"}, "Already approved by 王五 at 2026-11-25 10:00.", ""},
		{Chinese, "no.such.key", nil, "no.such.key", `"no.such.key" (zh): no such message`},
		{Chinese, "submit.done", nil, "submit.done", "no value for {{.Ref}}"},
		{Chinese, "submit.done", []any{"Reff", "CQ-1"}, "submit.done", "a value for no placeholder"},
		{Chinese, "start.begin", []any{"Ref", "CQ-1"}, "开始注册", "the text takes no placeholders"},
		{Chinese, "submit.done", []any{"Ref", 1.5}, "submit.done", "neither a string nor an integer"},
		{Chinese, "submit.done", []any{"Ref"}, "submit.done", "odd number"},
	}
	for _, tt := range tests {
		problems = nil
		if got := c.T(tt.lang, tt.key, tt.kv...); got != tt.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", tt.lang, tt.key, tt.kv, got, tt.want)
		}
		switch {
		case tt.problem == "" && len(problems) > 0:
			t.Errorf("T(%s, %s, %v) reported %v", tt.lang, tt.key, tt.kv, problems)
		case tt.problem != "" && !strings.Contains(strings.Join(problems, "\n"), tt.problem):
			t.Errorf("T(%s, %s, %v) reported %v, want %q", tt.lang, tt.key, tt.kv, problems, tt.problem)
		}
	}
	// Without a report function a problem is silent, and WithReport
	// leaves the catalog it was called on alone.
	problems = nil
	Default().T(Chinese, "no.such.key")
	if len(problems) > 0 {
		t.Errorf("Default reported to another catalog's function: %v", problems)
	}
}

func TestHasAndPlaceholders(t *testing.T) {
	c := Default()
	if !c.Has("submit.done") || c.Has("submit.donee") {
		t.Error("Has is wrong")
	}
	if got := c.Placeholders("unittype.prompt"); !slices.Equal(got, []string{"Address", "Name", "Unit", "Units", "Voltage"}) {
		t.Errorf("Placeholders(unittype.prompt) = %v", got)
	}
	if got := c.Placeholders("start.begin"); len(got) != 0 {
		t.Errorf("Placeholders(start.begin) = %v", got)
	}
}

func TestMatch(t *testing.T) {
	for code, want := range map[string]string{"en": English, "en-GB": English, "EN": English, "zh-hans": Chinese, "": Chinese, "e": Chinese, "fr": Chinese} {
		if got := Match(code); got != want {
			t.Errorf("Match(%q) = %q, want %q", code, got, want)
		}
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOverride(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"active.en.toml": `
# Changed by the exchange: a friendlier confirmation.
"submit.done" = """
Thank you! Your reference is {{.Ref}}.
We will tell you our decision here."""
"start.begin" = "Let's start"
`,
		"README.txt":   "not a message file",
		"..data":       "", // Kubernetes' own entries in a mounted ConfigMap
		".hidden.toml": "broken = ",
	})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.T(English, "submit.done", "Ref", "CQ-1"), "Thank you! Your reference is CQ-1.\nWe will tell you our decision here."; got != want {
		t.Errorf("overridden text = %q, want %q", got, want)
	}
	if got := c.T(English, "start.begin"); got != "Let's start" {
		t.Errorf("overridden text = %q", got)
	}
	if got := c.T(English, "start.over"); got != "Start over" {
		t.Errorf("a text not overridden = %q", got)
	}
	if got, want := c.T(Chinese, "submit.done", "Ref", "CQ-1"), Default().T(Chinese, "submit.done", "Ref", "CQ-1"); got != want {
		t.Errorf("the Chinese text changed: %q", got)
	}
	if got := Default().T(English, "start.begin"); got != "Start registration" {
		t.Errorf("the default catalog changed: %q", got)
	}

	// An empty directory changes nothing.
	c, err = Load(t.TempDir())
	if err != nil || c.T(English, "start.begin") != "Start registration" {
		t.Errorf("Load(empty dir) = %v", err)
	}
}

// TestOverrideRefused checks that each kind of mistake in an override file
// stops Load with a message naming the file, the key and the problem.
func TestOverrideRefused(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown key", map[string]string{"active.zh.toml": `"submit.donee" = "已提交：{{.Ref}}"`},
			[]string{"active.zh.toml", `"submit.donee"`, "no such message"}},
		{"placeholder misspelt", map[string]string{"active.en.toml": `"submit.done" = "Done: {{.Reff}}"`},
			[]string{"active.en.toml", `"submit.done"`, "lacks {{.Ref}} and has unknown {{.Reff}}", "exactly {{.Ref}}"}},
		{"placeholder dropped", map[string]string{"active.en.toml": `"progress" = "(Step {{.Step}} · {{.Stage}})"`},
			[]string{`"progress"`, "lacks {{.Steps}}"}},
		{"placeholder added", map[string]string{"active.en.toml": `"start.begin" = "Start {{.Name}}"`},
			[]string{`"start.begin"`, "has unknown {{.Name}}", "takes no placeholders"}},
		{"template does not parse", map[string]string{"active.en.toml": `"submit.done" = "Done: {{.Ref}"`},
			[]string{`"submit.done"`, "does not parse"}},
		{"logic", map[string]string{"active.en.toml": `"submit.done" = "{{if .Ref}}Done: {{.Ref}}{{end}}"`},
			[]string{`"submit.done"`, "only {{.Name}} is allowed"}},
		{"function", map[string]string{"active.en.toml": `"submit.done" = "Done: {{printf \"%s\" .Ref}}"`},
			[]string{`"submit.done"`, "does not parse"}},
		{"plural forms", map[string]string{"active.en.toml": "[\"more.prompt\"]\none = \"One unit\"\nother = \"{{.Units}} units\"\n"},
			[]string{`"more.prompt"`, "plural forms"}},
		{"empty text", map[string]string{"active.en.toml": `"start.begin" = " "`},
			[]string{`"start.begin"`, "empty"}},
		{"TOML syntax", map[string]string{"active.en.toml": "\"start.begin\" = \"Start\n"},
			[]string{"active.en.toml", "line 1"}},
		{"misnamed file", map[string]string{"active.cn.toml": `"start.begin" = "开始"`},
			[]string{"active.cn.toml", "not a message file", "active.zh.toml and active.en.toml"}},
		{"several at once", map[string]string{
			"active.zh.toml": `"a.b" = "x"`,
			"active.en.toml": "\"start.begin\" = \"{{.X}}\"\n\"submit.done\" = \"{{.Y}}\"\n"},
			[]string{`"a.b"`, `"start.begin"`, `"submit.done"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			c, err := Load(dir)
			if err == nil {
				t.Fatalf("Load accepted it (start.begin: %q)", c.T(English, "start.begin"))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error lacks %q:\n%v", w, err)
				}
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("the error does not name the file's path:\n%v", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Load accepted a directory that does not exist")
	}
}

// TestAllocations: a plain text costs nothing, a text with placeholders
// one allocation (the string).
func TestAllocations(t *testing.T) {
	c := Default()
	if n := testing.AllocsPerRun(100, func() { _ = c.T(Chinese, "start.begin") }); n != 0 {
		t.Errorf("a plain text: %v allocations", n)
	}
	ref, page := "CQ-20261125-000123", 300
	if n := testing.AllocsPerRun(100, func() { _ = c.T(Chinese, "ent.results", "Total", page, "Page", page, "Pages", page) }); n > 1 {
		t.Errorf("a text with numbers: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.T(Chinese, "submit.done", "Ref", ref) }); n > 1 {
		t.Errorf("a text with a string: %v allocations", n)
	}
}

func BenchmarkT(b *testing.B) {
	c := Default()
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.T(Chinese, "start.begin")
		}
	})
	b.Run("placeholders", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.T(Chinese, "progress", "Step", 3, "Steps", 9, "Stage", "账号信息")
		}
	})
	b.Run("go-i18n", func(b *testing.B) {
		bundle := goi18n.NewBundle(language.Chinese)
		bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		data, _ := embedded.ReadFile("messages/active.zh.toml")
		bundle.MustParseMessageFileBytes(data, "active.zh.toml")
		loc := goi18n.NewLocalizer(bundle, Chinese)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = loc.Localize(&goi18n.LocalizeConfig{MessageID: "progress", TemplateData: map[string]any{"Step": 3, "Steps": 9, "Stage": "账号信息"}})
		}
	})
}

func ExampleCatalog_T() {
	c := Default()
	fmt.Println(c.T(English, "submit.done", "Ref", "CQ-20261125-000123"))
	fmt.Println(c.T(Chinese, "progress", "Step", 3, "Steps", 9, "Stage", c.T(Chinese, "stage.account")))
	// Output:
	// Submitted! Reference: CQ-20261125-000123
	// The exchange will tell you its decision here. Send /status any time.
	// （第 3/9 步 · 账号信息）
}
