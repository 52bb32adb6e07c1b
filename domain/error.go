package domain

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Code classifies an error so that callers can react without string matching.
type Code string

const (
	CodeInvalid       Code = "invalid"        // input breaks a rule; Reason says which
	CodeNotFound      Code = "not_found"      // the thing asked for does not exist
	CodeConflict      Code = "conflict"       // the state changed under the caller (taken, already decided)
	CodeUnavailable   Code = "unavailable"    // a dependency is down; retry later
	CodeWrongPassword Code = "wrong_password" // the marketing system refused the query password
	CodeLocked        Code = "locked"         // too many failures; try again later
	CodeForbidden     Code = "forbidden"      // the caller may not do this
)

// Error is the error type of the domain. Reason is a stable, machine-readable
// key (for example "idnumber.checksum") that user interfaces map to a text.
type Error struct {
	Code   Code
	Field  Field
	Reason string
	// Args are the values the Reason's text shows, by placeholder name:
	// Args["Count"] fills {{.Count}}. Reasons lists the names each reason
	// of the parsers carries; nil for a reason without any. Error() leaves
	// them out, as they may quote what the user typed.
	Args map[string]string
	Err  error
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Field != "" {
		s = string(e.Field) + ": " + s
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code, field and reason; the
// formatted text becomes its wrapped error (for logs, never for users).
func Errorf(code Code, field Field, reason, format string, args ...any) *Error {
	var err error
	if format != "" {
		err = fmt.Errorf(format, args...)
	}
	return &Error{Code: code, Field: field, Reason: reason, Err: err}
}

// ArgList returns Args as alternating names and values, sorted by name:
// what a message catalog's T(lang, key, kv...) takes, as in
// T(lang, e.Reason, e.ArgList()...).
func (e *Error) ArgList() []any {
	names := make([]string, 0, len(e.Args))
	for name := range e.Args {
		names = append(names, name)
	}
	slices.Sort(names)
	kv := make([]any, 0, 2*len(names))
	for _, name := range names {
		kv = append(kv, name, e.Args[name])
	}
	return kv
}

func invalid(field Field, reason string) *Error {
	return &Error{Code: CodeInvalid, Field: field, Reason: reason}
}

// invalidWith is invalid with the values its reason's text shows, given as
// alternating names and values ("Count", "17").
func invalidWith(field Field, reason string, kv ...string) *Error {
	e := invalid(field, reason)
	e.Args = make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		e.Args[kv[i]] = kv[i+1]
	}
	return e
}

// badChar reports the character r under reason, with {{.Char}}.
func badChar(field Field, reason string, r rune) *Error {
	return invalidWith(field, reason, "Char", charArg(r))
}

// badCharAt reports the character r at position pos (1-based, in runes of
// the normalised value, separators removed) under reason, with {{.Char}}
// and {{.Pos}}: for long codes, where the position finds it.
func badCharAt(field Field, reason string, r rune, pos int) *Error {
	return invalidWith(field, reason, "Char", charArg(r), "Pos", strconv.Itoa(pos))
}

// badCount reports a value of count characters or digits under reason,
// with {{.Count}}.
func badCount(field Field, reason string, count int) *Error {
	return invalidWith(field, reason, "Count", strconv.Itoa(count))
}

// empty reports an answer that is empty once normalised (nothing, or only
// spaces and invisible characters).
func empty(field Field) *Error { return invalid(field, "text.empty") }

// ErrorCode returns the Code of the first *Error in err's chain, or "" if
// there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorReason returns the Reason of the first *Error in err's chain.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
