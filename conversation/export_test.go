package conversation

// Update tells golden-file tests of this package and its external tests to
// rewrite their files (go test ./conversation -update).
var Update = update
