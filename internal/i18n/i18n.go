// Package i18n holds every text the bot shows, one message file per
// language (messages/active.zh.toml, messages/active.en.toml), embedded in
// the binary and read with go-i18n. The exchange's staff change wording by
// editing those files, or without a rebuild by putting files of the same
// names, holding only the entries to change, in a directory given to Load
// (MESSAGES_DIR). Load refuses an override it cannot apply safely: an
// unknown key, a text that does not parse, or placeholders other than the
// bot's own text has.
//
// Texts name their placeholders ({{.Ref}}): T takes their values as
// alternating names and values, as log/slog does.
//
// A Catalog renders placeholders itself instead of calling go-i18n's
// Localize, which executes a text/template through reflection: about 1.5
// to 2.5 µs and 13 allocations a text here, against 0.2 µs and one (a text
// without placeholders: 12 ns, none), and a chat step renders several. To
// keep the two equivalent, a text may hold only literal text and {{.Name}}
// placeholders (Load refuses anything else), and a test renders every text
// both ways (BenchmarkT measures all three).
package i18n

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// The languages of the bot. Any other language is shown Chinese.
const (
	Chinese = "zh" // Simplified Chinese, the default
	English = "en"
)

// Languages returns the languages of the catalog, the default first.
func Languages() []string { return []string{Chinese, English} }

// Match returns the language for a client's language code ("en-GB" →
// English): English for English codes, Chinese for everything else.
func Match(code string) string {
	if len(code) >= 2 && strings.EqualFold(code[:2], English) {
		return English
	}
	return Chinese
}

const nLangs = 2

func langIndex(lang string) int {
	if lang == English {
		return 1
	}
	return 0
}

// FileName is the name of a language's message file, in the binary and in
// the override directory.
func FileName(lang string) string { return "active." + lang + ".toml" }

//go:embed messages/active.zh.toml messages/active.en.toml
var embedded embed.FS

// unmarshal returns the readers of the message files' format for go-i18n.
func unmarshal() map[string]goi18n.UnmarshalFunc {
	return map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal}
}

// A Catalog holds the texts of every language. It is immutable and safe
// for concurrent use.
type Catalog struct {
	texts  [nLangs]map[string]*text
	report []func(error)
}

// text is a message ready to render: its whole text when it has no
// placeholders, otherwise its literal pieces and placeholders in order.
type text struct {
	plain string
	parts []part   // nil for a plain text
	names []string // the placeholders' names, sorted, each once
	size  int      // bytes of the literal pieces
}

// part is a piece of literal text, or a placeholder when name is set.
type part struct {
	lit  string
	name string
}

func (t *text) takes(name string) bool {
	_, ok := slices.BinarySearch(t.names, name)
	return ok
}

// Default returns the catalog of the embedded files, without overrides. It
// panics if they are broken, which the package's tests rule out.
func Default() *Catalog { return defaultCatalog() }

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Load("")
	if err != nil {
		panic(err)
	}
	return c
})

// Load reads the embedded message files and then, if overrideDir is not
// empty, the files of the same names found there (either may be missing),
// whose entries replace the embedded ones message by message. It returns
// every problem of the override files at once, each naming the file, the
// key and what is wrong: an unknown key, a text that does not parse or
// uses more than {{.Name}} placeholders, or placeholders that differ from
// the embedded text's. A .toml file with another name is refused too (a
// misspelt name would otherwise be ignored). Files whose names start with
// a dot are skipped, as Kubernetes keeps its own files there in a mounted
// ConfigMap.
func Load(overrideDir string) (*Catalog, error) {
	c := &Catalog{}
	var errs []error
	for i, lang := range Languages() {
		data, err := embedded.ReadFile("messages/" + FileName(lang))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		mf, err := goi18n.ParseMessageFileBytes(data, FileName(lang), unmarshal())
		if err != nil {
			return nil, fmt.Errorf("i18n: embedded %s: %w", FileName(lang), err)
		}
		c.texts[i] = make(map[string]*text, len(mf.Messages))
		for _, m := range mf.Messages {
			t, err := compile(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("i18n: embedded %s: %q: %w", FileName(lang), m.ID, err))
				continue
			}
			c.texts[i][m.ID] = t
		}
	}
	errs = append(errs, c.sameKeys()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if overrideDir == "" {
		return c, nil
	}
	if err := c.override(overrideDir); err != nil {
		return nil, err
	}
	return c, nil
}

// sameKeys checks that every language has the same keys, with the same
// placeholders.
func (c *Catalog) sameKeys() []error {
	var errs []error
	zh := c.texts[0]
	for i, lang := range Languages()[1:] {
		other := c.texts[i+1]
		for _, key := range sortedKeys(zh) {
			o, ok := other[key]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("i18n: %q is in %s but not in %s", key, FileName(Chinese), FileName(lang)))
			case !slices.Equal(o.names, zh[key].names):
				errs = append(errs, fmt.Errorf("i18n: %q has placeholders %s in %s but %s in %s", key,
					list(zh[key].names), FileName(Chinese), list(o.names), FileName(lang)))
			}
		}
		for _, key := range sortedKeys(other) {
			if _, ok := zh[key]; !ok {
				errs = append(errs, fmt.Errorf("i18n: %q is in %s but not in %s", key, FileName(lang), FileName(Chinese)))
			}
		}
	}
	return errs
}

// override applies the files of dir.
func (c *Catalog) override(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("i18n: messages directory: %w", err)
	}
	known := map[string]int{}
	for i, lang := range Languages() {
		known[FileName(lang)] = i
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		i, ok := known[name]
		switch {
		case strings.HasPrefix(name, "."):
			continue
		case !ok && strings.HasSuffix(name, ".toml"):
			errs = append(errs, fmt.Errorf("i18n: %s: not a message file of the bot (they are named %s)",
				filepath.Join(dir, name), strings.Join(mapKeys(known), " and ")))
			continue
		case !ok:
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("i18n: %w", err))
			continue
		}
		mf, err := goi18n.ParseMessageFileBytes(data, path, unmarshal())
		if err != nil {
			errs = append(errs, fmt.Errorf("i18n: %s: %w", path, err))
			continue
		}
		texts := c.texts[i]
		slices.SortFunc(mf.Messages, func(a, b *goi18n.Message) int { return cmp.Compare(a.ID, b.ID) })
		for _, m := range mf.Messages {
			base, ok := texts[m.ID]
			if !ok {
				errs = append(errs, fmt.Errorf("i18n: %s: %q: no such message in the bot (is the key misspelt?)", path, m.ID))
				continue
			}
			t, err := compile(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("i18n: %s: %q: %w", path, m.ID, err))
				continue
			}
			if !slices.Equal(t.names, base.names) {
				errs = append(errs, fmt.Errorf("i18n: %s: %q: %s", path, m.ID, placeholderDiff(base.names, t.names)))
				continue
			}
			texts[m.ID] = t
		}
	}
	return errors.Join(errs...)
}

// placeholderDiff says how an override's placeholders differ from the
// bot's text's.
func placeholderDiff(want, got []string) string {
	var missing, unknown []string
	for _, n := range want {
		if !slices.Contains(got, n) {
			missing = append(missing, n)
		}
	}
	for _, n := range got {
		if !slices.Contains(want, n) {
			unknown = append(unknown, n)
		}
	}
	var says []string
	if len(missing) > 0 {
		says = append(says, "lacks "+list(missing))
	}
	if len(unknown) > 0 {
		says = append(says, "has unknown "+list(unknown))
	}
	if len(want) == 0 {
		return strings.Join(says, " and ") + " (this text takes no placeholders)"
	}
	return strings.Join(says, " and ") + " (the text must use exactly " + list(want) + ")"
}

// compile checks a message of a file and splits its text into literal
// pieces and placeholders.
func compile(m *goi18n.Message) (*text, error) {
	switch {
	case m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "":
		return nil, errors.New("plural forms (zero, one, two, few, many) are not used by the bot: give the text alone")
	case m.LeftDelim != "" || m.RightDelim != "":
		return nil, errors.New("other placeholder delimiters than {{ }} are not supported")
	case strings.TrimSpace(m.Other) == "":
		return nil, errors.New("the text is empty")
	}
	trees, err := parse.Parse(m.ID, m.Other, "", "")
	if err != nil {
		return nil, fmt.Errorf("the text does not parse: %w", err)
	}
	if len(trees) != 1 {
		return nil, errors.New("the text may not define templates")
	}
	t := &text{}
	for _, n := range trees[m.ID].Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			t.parts = append(t.parts, part{lit: string(n.Text)})
			t.size += len(n.Text)
		case *parse.ActionNode:
			name, ok := placeholder(n)
			if !ok {
				return nil, fmt.Errorf("%s is not a placeholder: only {{.Name}} is allowed", n)
			}
			t.parts = append(t.parts, part{name: name})
			if !slices.Contains(t.names, name) {
				t.names = append(t.names, name)
			}
		default:
			return nil, fmt.Errorf("%s is not a placeholder: only {{.Name}} is allowed", n)
		}
	}
	slices.Sort(t.names)
	if len(t.names) == 0 {
		var b strings.Builder
		for _, p := range t.parts {
			b.WriteString(p.lit)
		}
		t.plain, t.parts = b.String(), nil
	}
	return t, nil
}

// placeholder returns the name of an action {{.Name}}.
func placeholder(n *parse.ActionNode) (string, bool) {
	p := n.Pipe
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "", false
	}
	f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 {
		return "", false
	}
	return f.Ident[0], true
}

// WithReport returns a catalog with c's texts that also reports each
// problem of rendering (an unknown key, a placeholder without a value, a
// value for no placeholder) to f. T still returns something to show: the
// key when it cannot render the text. Tests make problems fail; a service
// logs them.
func (c *Catalog) WithReport(f func(error)) *Catalog {
	d := *c
	d.report = append(slices.Clip(c.report), f)
	return &d
}

// Has reports whether key names a message.
func (c *Catalog) Has(key string) bool {
	_, ok := c.texts[0][key]
	return ok
}

// Placeholders returns the names of the placeholders of key's text,
// sorted; none for an unknown key.
func (c *Catalog) Placeholders(key string) []string {
	if t, ok := c.texts[0][key]; ok {
		return slices.Clone(t.names)
	}
	return nil
}

// T returns the text of key in lang (Chinese for a language the catalog
// lacks), with the placeholders filled from kv: alternating names and
// values, as in T(lang, "submit.done", "Ref", ref). Values are strings or
// integers. An unknown key renders as the key itself, so that a mistake
// shows; every problem is also reported (see WithReport).
func (c *Catalog) T(lang, key string, kv ...any) string {
	t := c.texts[langIndex(lang)][key]
	if t == nil {
		c.fail(lang, key, "no such message")
		return key
	}
	if t.parts == nil {
		if len(kv) > 0 {
			c.fail(lang, key, "the text takes no placeholders")
		}
		return t.plain
	}
	return c.render(lang, key, t, kv)
}

func (c *Catalog) render(lang, key string, t *text, kv []any) string {
	if len(kv)%2 != 0 {
		c.fail(lang, key, "an odd number of names and values")
	}
	size := t.size
	for i := 0; i+1 < len(kv); i += 2 {
		name, ok := kv[i].(string)
		if !ok || !t.takes(name) {
			c.fail(lang, key, "a value for no placeholder ("+strconv.Itoa(i/2+1)+". name)")
			continue
		}
		if s, ok := kv[i+1].(string); ok {
			size += len(s)
		} else {
			size += 20
		}
	}
	var b strings.Builder
	b.Grow(size)
	var num [24]byte
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := value(kv, p.name)
		if !ok {
			c.fail(lang, key, "no value for {{."+p.name+"}}")
			return key
		}
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.Write(strconv.AppendInt(num[:0], int64(v), 10))
		case int64:
			b.Write(strconv.AppendInt(num[:0], v, 10))
		case int32:
			b.Write(strconv.AppendInt(num[:0], int64(v), 10))
		case uint:
			b.Write(strconv.AppendUint(num[:0], uint64(v), 10))
		case uint64:
			b.Write(strconv.AppendUint(num[:0], v, 10))
		default:
			c.fail(lang, key, "the value of {{."+p.name+"}} is neither a string nor an integer")
			return key
		}
	}
	return b.String()
}

// value returns the value given for name in kv.
func value(kv []any, name string) (any, bool) {
	for i := 0; i+1 < len(kv); i += 2 {
		if n, ok := kv[i].(string); ok && n == name {
			return kv[i+1], true
		}
	}
	return nil, false
}

func (c *Catalog) fail(lang, key, problem string) {
	if len(c.report) == 0 {
		return
	}
	err := fmt.Errorf("i18n: %q (%s): %s", key, lang, problem)
	for _, f := range c.report {
		f(err)
	}
}

func list(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{{." + n + "}}"
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func mapKeys(m map[string]int) []string {
	keys := sortedKeys(m)
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m[a], m[b]) })
	return keys
}
