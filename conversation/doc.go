// Package conversation is the registration dialogue as a finite-state
// machine (github.com/looplab/fsm), independent of any chat transport.
//
// An Engine takes one Input (text, button, document, contact, command) for a
// chat, loads the chat's Session from a SessionStore, runs the machine from
// the saved state, saves the new state with compare-and-set and returns the
// Replies to send. The flow is declared in one table (flow.go); see that
// file for the states in order.
//
// Every text a user sees, applicant or reviewer, is a message of
// internal/i18n's files, named by a key ("submit.done") and rendered with
// Config.Messages; the code holds no wording (text.go).
package conversation

// State names one question of the dialogue.
type State string
