package conversation

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/i18n"
)

// textFuncs are the functions that render a text, with the position of
// their key argument; the placeholders' names and values follow the key.
var textFuncs = map[string]int{
	"text":       1, // e.text(session, key, kv...)
	"tr":         1, // e.tr(lang, key, kv...)
	"T":          1, // catalog.T(lang, key, kv...)
	"say":        0, // t.say(key, kv...)
	"textPrompt": 0, // textPrompt(key): a question without placeholders
	"skippable":  0, // skippable(key): likewise
}

// dynamicKeys are the key expressions that are neither a literal, a
// literal prefix plus something, nor a variable set from literals in the
// same function, with why they are safe. A new one needs a reason here.
var dynamicKeys = map[string]string{
	"key":                     "the parameter of text, tr, say, textPrompt, skippable: checked at their call sites",
	"de.Reason":               "a domain reason: TestEveryDomainReasonHasText, and answerError checks Has first",
	"domain.ErrorReason(err)": "an image conversion's domain reason: TestEveryDomainReasonHasText",
	"expectKey(st)":           "returns literals, checked as literals below",
	"d.Note":                  "a dependency's Note, a literal of the dependencies table: checked as a literal that looks like a key",
	"formClosed(&s)":          "returns literals, checked as literals below",
	"formClosed(s)":           "returns literals, checked as literals below",
	"labelKey(msgs, st)":      "a label.<state> it has checked with Has, or field.<field>: the label. and field. families",
	"labelKey(e.msg, st)":     "a label.<state> it has checked with Has, or field.<field>: the label. and field. families",
}

// keyFamilies are the keys built as a literal prefix plus a value: the
// values the code can append, and whether a text must exist for each.
func keyFamilies() map[string]struct {
	values   []string
	optional bool
} {
	var states, stageKeys, sectionKeys, fields []string
	for _, st := range flow {
		states = append(states, string(st.State))
	}
	for _, sg := range stages {
		stageKeys = append(stageKeys, sg.key)
	}
	for _, sec := range domain.Sections {
		sectionKeys = append(sectionKeys, string(sec))
	}
	for _, spec := range domain.Fields {
		fields = append(fields, string(spec.Field))
	}
	var formKeys []string
	for _, sp := range formSpecs {
		formKeys = append(formKeys, string(sp.field))
	}
	var statuses []string
	for _, st := range domain.Statuses {
		statuses = append(statuses, string(st))
	}
	type family = struct {
		values   []string
		optional bool
	}
	return map[string]family{
		"label.":         {states, true}, // a question without a name of its own takes its field's
		"field.":         {fields, false},
		"stage.":         {stageKeys, false},
		"section.":       {sectionKeys, false},
		"nav.":           {navCommands[:], false},
		"usertype.":      {[]string{string(domain.UserDirect), string(domain.UserRetail)}, false},
		"help.":          {states, false}, // every question has help of its own
		"review.status_": {statuses, false},
		"form.example.":  {formKeys, true}, // a field without an example shows none
	}
}

// TestTextKeys reads the package's code and checks every call that renders
// a text: its key must exist and the placeholders it passes must be
// exactly those of the text, in both languages (TestLanguagesAgree in
// internal/i18n keeps the languages' placeholders equal). Keys built from
// a literal prefix ("label." + state) are checked against every key with
// that prefix; a key held in a variable against every literal assigned to
// it in the function. Any other string literal of the code that looks like
// a key must be one, which covers keys returned by helpers.
func TestTextKeys(t *testing.T) {
	msgs := i18n.Default()
	families := keyFamilies()

	fset := token.NewFileSet()
	// The review desk (package review) renders its texts the same way.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	reviewFiles, err := filepath.Glob("../review/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, reviewFiles...)
	calls, literalKeys := 0, 0
	looksLikeKey := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked := map[*ast.BasicLit]bool{}
		check := func(pos token.Pos, key string, names []string, optional bool) {
			if !msgs.Has(key) {
				if optional {
					return
				}
				t.Errorf("%s: no text %q", fset.Position(pos), key)
				return
			}
			if want := msgs.Placeholders(key); !slices.Equal(want, names) {
				t.Errorf("%s: %q is given %v, its text has placeholders %v", fset.Position(pos), key, names, want)
			}
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			// The literals assigned to each variable of the function.
			assigned := map[string][]ast.Expr{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
					for i, l := range as.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							assigned[id.Name] = append(assigned[id.Name], as.Rhs[i])
						}
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var fname string
				switch f := call.Fun.(type) {
				case *ast.Ident:
					fname = f.Name
				case *ast.SelectorExpr:
					fname = f.Sel.Name
				}
				at, ok := textFuncs[fname]
				if !ok || len(call.Args) <= at {
					return true
				}
				if call.Ellipsis.IsValid() {
					return true // text, tr and say passing on their own arguments
				}
				calls++
				var names []string
				for i := at + 1; i < len(call.Args); i += 2 {
					lit, ok := call.Args[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: a placeholder's name must be a string literal", fset.Position(call.Args[i].Pos()))
						return true
					}
					s, _ := strconv.Unquote(lit.Value)
					names = append(names, s)
				}
				slices.Sort(names)
				keys := []ast.Expr{call.Args[at]}
				if id, ok := call.Args[at].(*ast.Ident); ok && len(assigned[id.Name]) > 0 {
					keys = assigned[id.Name]
				}
				for _, k := range keys {
					switch k := k.(type) {
					case *ast.BasicLit:
						key, _ := strconv.Unquote(k.Value)
						checked[k] = true
						literalKeys++
						check(k.Pos(), key, names, false)
					case *ast.BinaryExpr:
						lit, ok := k.X.(*ast.BasicLit)
						if !ok || k.Op != token.ADD {
							t.Errorf("%s: a key built otherwise than \"prefix.\" + value", fset.Position(k.Pos()))
							continue
						}
						prefix, _ := strconv.Unquote(lit.Value)
						checked[lit] = true
						fam, ok := families[prefix]
						if !ok {
							t.Errorf("%s: keys %q + …: add the prefix to keyFamilies with the values it takes", fset.Position(k.Pos()), prefix)
						}
						for _, v := range fam.values {
							check(k.Pos(), prefix+v, names, fam.optional)
						}
					default:
						expr := source(fset, k)
						if _, ok := dynamicKeys[expr]; !ok {
							t.Errorf("%s: the key %s is computed; add it to dynamicKeys with why it is safe", fset.Position(k.Pos()), expr)
						}
					}
				}
				return true
			})
		}
		// Any other literal that looks like a key must be one.
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || checked[lit] {
				return true
			}
			if s, _ := strconv.Unquote(lit.Value); looksLikeKey.MatchString(s) && !msgs.Has(s) {
				t.Errorf("%s: %q looks like the key of a text, but there is none", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
	if calls < 150 || literalKeys < 150 {
		t.Errorf("found only %d calls with %d literal keys: does textFuncs still name the functions?", calls, literalKeys)
	}
}

// source returns an expression as it is written.
func source(fset *token.FileSet, e ast.Expr) string {
	start, end := fset.Position(e.Pos()), fset.Position(e.End())
	src, err := os.ReadFile(start.Filename)
	if err != nil {
		return "?"
	}
	return string(src[start.Offset:end.Offset])
}

// TestEveryDomainReasonHasText checks that every reason the domain can
// report to a user (domain.Reasons) has a text with exactly the
// placeholders whose values the error carries (answerError gives them):
// otherwise the user sees "not valid", or a text with a hole.
func TestEveryDomainReasonHasText(t *testing.T) {
	msgs := i18n.Default()
	for reason, names := range domain.Reasons {
		if reason == domain.ReasonCreditCodeChecksum {
			continue // answered by the confirmation question
		}
		if !msgs.Has(reason) {
			t.Errorf("domain reason %q has no text", reason)
		} else if p := msgs.Placeholders(reason); !slices.Equal(p, names) {
			t.Errorf("domain reason %q: its text has placeholders %v, the error carries %v", reason, p, names)
		}
	}
	if len(domain.Reasons) < 40 {
		t.Errorf("only %d domain reasons: is domain.Reasons complete?", len(domain.Reasons))
	}
}

// TestEveryUserTypeHasText: a user type's name is the text "usertype.<type>".
func TestEveryUserTypeHasText(t *testing.T) {
	for _, ut := range []domain.UserType{domain.UserDirect, domain.UserRetail} {
		if !i18n.Default().Has("usertype." + string(ut)) {
			t.Errorf("user type %q has no text", ut)
		}
	}
}
