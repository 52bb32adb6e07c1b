package domain

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// checkErr fails t unless err is nil and reason is "", or err is an
// *Error with Code invalid, the given Reason, and the Args that Reasons
// lists for it.
func checkErr(t *testing.T, in string, err error, reason string) {
	t.Helper()
	checkErrArgs(t, in, err, reason, "")
}

// checkErrArgs is checkErr that also wants the Args given as "Name=value"
// pairs separated by spaces ("Char=I Pos=9"), unless args is "".
func checkErrArgs(t *testing.T, in string, err error, reason, args string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Errorf("%q: unexpected error %v", in, err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%q: error %v, want *Error with reason %q", in, err, reason)
		return
	}
	if e.Code != CodeInvalid || e.Reason != reason {
		t.Errorf("%q: got %s/%s %v, want %s/%s", in, e.Code, e.Reason, e.Args, CodeInvalid, reason)
		return
	}
	if msg := argsProblem(e); msg != "" {
		t.Errorf("%q: %s", in, msg)
	}
	if args == "" {
		return
	}
	want := map[string]string{}
	for _, kv := range strings.Fields(args) {
		k, v, _ := strings.Cut(kv, "=")
		want[k] = v
	}
	if !maps.Equal(e.Args, want) {
		t.Errorf("%q: %s with %v, want %v", in, reason, e.Args, want)
	}
}

// argsProblem says what is wrong with e's Args for its Reason, or "". A
// reason that Reasons does not list (one of Application's, say) carries
// none.
func argsProblem(e *Error) string {
	want := Reasons[e.Reason]
	got := slices.Sorted(maps.Keys(e.Args))
	if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
		return e.Reason + ": Args " + strings.Join(got, ",") + ", Reasons lists " + strings.Join(want, ",")
	}
	for name, v := range e.Args {
		if v == "" {
			return e.Reason + ": Args[" + name + "] is empty"
		}
	}
	return ""
}
