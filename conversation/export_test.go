package conversation

// Update tells golden-file tests of this package and its external tests to
// rewrite their files (go test ./conversation -update).
var Update = update

// KnownState reports whether st is a state of the flow table.
func KnownState(st State) bool {
	_, ok := steps[st]
	return ok
}
