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
