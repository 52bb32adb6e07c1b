package domain

import (
	"errors"
	"fmt"
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
	Err    error
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

func invalid(field Field, reason string) *Error {
	return &Error{Code: CodeInvalid, Field: field, Reason: reason}
}

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
