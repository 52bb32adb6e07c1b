// Package conversation is the registration dialogue as a finite-state
// machine (github.com/looplab/fsm), independent of any chat transport.
//
// An Engine takes one Input (text, button, document, contact, command) for a
// chat, loads the chat's Session from a SessionStore, runs the machine from
// the saved state, saves the new state with compare-and-set and returns the
// Replies to send. The flow is declared in one table (flow.go): each row
// names a state, the domain.Field it fills, the inputs it takes, its
// prompt and handler, and its transitions. The looplab/fsm machine built
// from the rows is the one authority on where an answer leads; entering a
// state asks its question (Engine.enter). Next to the table, dependencies
// declares which answers are worked out from, or only make sense with,
// another: a changed answer re-derives or re-asks them (deps.go).
// docs/flow.md is the table and the dependencies as diagrams.
//
// Package conversation is the applicant's side only; the reviewers' is
// package review. Both render applications with a Presenter (present.go).
// Every text a user sees is a message of internal/i18n's files, named by a
// key ("submit.done"); the code holds no wording (text.go).
package conversation

// State names one question of the dialogue.
type State string
