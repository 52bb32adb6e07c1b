package conversation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regbot/regbot/internal/i18n"
)

// Diagram renders the flow table as a Mermaid state diagram, in flow order,
// each state labelled with its question. docs/flow.md holds its output; a
// test keeps that file current.
func Diagram() string {
	msgs := i18n.Default()
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s\n", flow[0].State)
	for _, st := range flow {
		fmt.Fprintf(&b, "    %s: %s %s\n", st.State, st.State, msgs.T(i18n.Chinese, labelKey(msgs, st)))
	}
	for _, st := range flow {
		evs := make([]string, 0, len(st.Next))
		for ev := range st.Next {
			evs = append(evs, string(ev))
		}
		slices.Sort(evs)
		for _, ev := range evs {
			fmt.Fprintf(&b, "    %s --> %s: %s\n", st.State, st.Next[Event(ev)], ev)
		}
	}
	fmt.Fprintf(&b, "    %s --> [*]\n", StSubmitted)
	return b.String()
}

// DependencyDiagram renders the dependencies between answers (flow.go) as
// a Mermaid flowchart: an arrow from the answer that changed to the one
// that is then worked out again or asked again, labelled with how. Fields
// are labelled with their names.
func DependencyDiagram() string {
	msgs := i18n.Default()
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	seen := map[string]bool{}
	node := func(f string) string {
		if seen[f] {
			return f
		}
		seen[f] = true
		return fmt.Sprintf("%s[\"%s %s\"]", f, f, msgs.T(i18n.Chinese, "field."+f))
	}
	for _, d := range dependencies {
		from, to := string(d.From), string(d.To)
		fmt.Fprintf(&b, "    %s -->|\"%s\"| %s\n", node(from), d.How, node(to))
	}
	return b.String()
}
