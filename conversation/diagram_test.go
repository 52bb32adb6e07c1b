package conversation

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/regbot/regbot/domain"

	"github.com/regbot/regbot/internal/i18n"
)

var update = flag.Bool("update", false, "rewrite docs/flow.md from the flow table")

const diagramFile = "../docs/flow.md"

const diagramHeader = "# The registration flow\n\n" +
	"Generated from `conversation/flow.go` by `go test ./conversation -run TestDiagram -update`; do not edit.\n" +
	"Every state also takes `/help`, `/back`, `/cancel`, `/status`, `/lang`, `/privacy`; `edit` jumps to any\n" +
	"field and returns to `summary` once that field's group is answered.\n\n"

const dependencyHeader = "\n## What a changed answer changes\n\n" +
	"Generated from `dependencies` in `conversation/flow.go`. When the answer at the start of an arrow\n" +
	"changes (an edit from the summary, also of a rejected application, or `/back` and a different answer),\n" +
	"the answer at its end is worked out again or cleared and asked again, as the arrow says, before the\n" +
	"summary returns; the applicant is told which in one message. An answer given again unchanged changes\n" +
	"nothing. `account_number` is the marketing account the account question holds.\n\n"

// TestDiagram fails when docs/flow.md no longer matches the flow table.
func TestDiagram(t *testing.T) {
	want := diagramHeader + "```mermaid\n" + Diagram() + "```\n" + dependencyHeader + "```mermaid\n" + DependencyDiagram() + "```\n"
	if *update {
		if err := os.WriteFile(diagramFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(diagramFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date: run go test ./conversation -run TestDiagram -update", diagramFile)
	}
}

// TestFlowTable checks the table's own consistency: every transition
// leads to a state of the table, every state has a label, and the looplab
// machine built from it knows every state.
func TestFlowTable(t *testing.T) {
	for _, st := range flow {
		if !i18n.Default().Has(labelKey(i18n.Default(), st)) {
			t.Errorf("state %s has no label", st.State)
		}
		if st.Prompt == nil || st.Handle == nil || st.Accepts == 0 {
			t.Errorf("state %s lacks a prompt, a handler or accepted inputs", st.State)
		}
		for ev, dst := range st.Next {
			if _, ok := steps[dst]; !ok {
				t.Errorf("%s --%s--> %s: unknown state", st.State, ev, dst)
			}
		}
		if st.Secret && st.Offer {
			t.Errorf("state %s is secret but offers its previous answer", st.State)
		}
		if st.Offer && st.Field.Text(&domain.Application{}) == nil {
			t.Errorf("state %s offers its previous answer, but its field %q is not held as one string", st.State, st.Field)
		}
	}
	for _, d := range dependencies {
		for _, f := range []domain.Field{d.From, d.To} {
			if !i18n.Default().Has("field." + string(f)) {
				t.Errorf("dependency %s → %s: %s has no name", d.From, d.To, f)
			}
		}
		// From's question comes first, so that walking on through the form
		// after a change asks every answer it cleared.
		from, ok := questions[d.From]
		if d.From == domain.FieldAccountNumber {
			from, ok = StMktAccount, true
		}
		if !ok {
			t.Errorf("dependency %s → %s: no question asks %s", d.From, d.To, d.From)
		}
		if to, ok := questions[d.To]; ok && position[to] < position[from] {
			t.Errorf("dependency %s → %s: %s is asked before %s", d.From, d.To, to, from)
		}
		if d.How == "" {
			t.Errorf("dependency %s → %s: How is empty", d.From, d.To)
		}
	}
	if !strings.Contains(Diagram(), "summary --> submitted: next") {
		t.Error("diagram lacks the submit transition")
	}
}

// TestChunks checks that long summaries are split at line ends into
// messages under Telegram's limit, losing nothing.
func TestChunks(t *testing.T) {
	var lines []string
	for i := 0; i < 400; i++ {
		lines = append(lines, strings.Repeat("用电单元", 5))
	}
	text := strings.Join(lines, "\n")
	parts := Chunks(text, 3800)
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	for _, p := range parts {
		if n := len([]rune(p)); n > 3800 {
			t.Errorf("part of %d characters", n)
		}
	}
	if strings.Join(parts, "\n") != text {
		t.Error("chunks lost or changed text")
	}
}
