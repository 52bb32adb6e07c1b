package conversation

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
