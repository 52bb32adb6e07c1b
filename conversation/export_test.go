package conversation

import "github.com/regbot/regbot/domain"

// Update tells golden-file tests of this package and its external tests to
// rewrite their files (go test ./conversation -update).
var Update = update

// KnownState reports whether st is a state of the flow table.
func KnownState(st State) bool {
	_, ok := steps[st]
	return ok
}

// States returns the states of the flow table, in order.
func States() []State {
	out := make([]State, len(flow))
	for i, st := range flow {
		out[i] = st.State
	}
	return out
}

// TakesText reports whether the question of st is answered by typing.
func TakesText(st State) bool { return steps[st].Accepts&aText != 0 }

// Dependency is one of the flow's dependencies between answers, for the
// tests generated from them.
type Dependency struct{ From, To domain.Field }

// Dependencies returns the flow's dependencies, in declaration order.
func Dependencies() []Dependency {
	out := make([]Dependency, len(dependencies))
	for i, d := range dependencies {
		out[i] = Dependency{d.From, d.To}
	}
	return out
}

// Question returns the first question that asks field f.
func Question(f domain.Field) (State, bool) { return question(f) }
