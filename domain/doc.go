// Package domain is the registration model of an electricity user (电力用户)
// on the Chongqing Power Exchange Center's trading platform: the Application
// aggregate, its value types and the rules the exchange's web form enforces.
//
// It imports no project package and does no I/O. Values that are only valid in
// a normalised form (ID numbers, credit codes, mobiles, …) are built by
// ParseX(s) (X, error) functions that return *Error with CodeInvalid and a
// Reason that the conversation layer turns into a localised explanation.
package domain
