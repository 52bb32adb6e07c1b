package domain

import (
	"errors"
	"testing"
)

// checkErr fails t unless err is nil and reason is "", or err is an
// *Error with Code invalid and the given Reason.
func checkErr(t *testing.T, in string, err error, reason string) {
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
		t.Errorf("%q: got %s/%s, want %s/%s", in, e.Code, e.Reason, CodeInvalid, reason)
	}
}
