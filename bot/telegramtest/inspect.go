package telegramtest

import (
	"encoding/json"
	"strconv"
	"time"
)

// Inspection: what the bot did, for tests' assertions, and waiting for it
// without sleeping. On a lean server only Counts, Messages, LastMessage,
// Deleted (of the messages it keeps), Webhook and WaitFor find anything.

// Call is one recorded request.
type Call struct {
	Method string
	Fields map[string]string
	Files  map[string]File // uploaded files by form field
	// JSON is the body of a request sent as application/json, nil for
	// the other encodings. Fields holds its members too: strings as
	// they are, other values as their JSON text.
	JSON      json.RawMessage
	ErrorCode int       // 0 if the call succeeded
	At        time.Time // when the server answered it
}

// Count is how often a method was called, and how many of those calls
// were answered with an error.
type Count struct {
	Calls, Refused int64
}

// countLocked counts a call of method. s.mu must be held.
func (s *Server) countLocked(method string, refused bool) {
	c := s.counts[method]
	if c == nil {
		c = &Count{}
		s.counts[method] = c
	}
	c.Calls++
	if refused {
		c.Refused++
	}
}

// Counts returns how often each method was called, by name; file
// downloads are "downloadFile". Unlike Calls it works in lean mode.
func (s *Server) Counts() map[string]Count {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Count, len(s.counts))
	for m, c := range s.counts {
		out[m] = *c
	}
	return out
}

// Calls returns the recorded calls of method, oldest first; all calls if
// method is "". File downloads are recorded as method "downloadFile" with
// field "file_path".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the bot's messages in the chat in order, deleted ones
// included (flagged), with edits applied.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil {
		return nil
	}
	var out []Message
	for _, id := range s.ids(cs) {
		if m := cs.msgs[id]; m.fromBot {
			out = append(out, m.export(chatID, true))
		}
	}
	return out
}

// LastMessage returns the bot's last message in the chat that is not
// deleted, and false if there is none.
func (s *Server) LastMessage(chatID int64) (Message, bool) {
	msgs := s.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].Deleted {
			return msgs[i], true
		}
	}
	return Message{}, false
}

// Deleted returns the ids of the chat's deleted messages (the user's and
// the bot's) in the order of the chat.
func (s *Server) Deleted(chatID int64) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil {
		return nil
	}
	var out []int
	for _, id := range s.ids(cs) {
		if cs.msgs[id].deleted {
			out = append(out, id)
		}
	}
	return out
}

// Answer returns the text the bot answered the callback query of update
// with (a toast; "" for none), and whether it has answered it.
func (s *Server) Answer(updateID int64) (text string, answered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.updCB[updateID]
	return s.answers[id], s.callbacks[id]
}

// UserMessageID returns the message id the user's message of an update got
// (0 for a callback query).
func (s *Server) UserMessageID(updateID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updMsg[updateID]
}

// Webhook returns the URL and secret token of the webhook set with
// setWebhook ("" when none is set, or after deleteWebhook).
func (s *Server) Webhook() (url, secretToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookURL, s.hookToken
}

// WaitFailed waits up to timeout for a call of method that the server
// answered with code (a fault set by FailNext or FailNextIn), in chat
// chatID or, if chatID is 0, in any chat, and returns the first such call.
func (s *Server) WaitFailed(method string, chatID int64, code int, timeout time.Duration) (Call, bool) {
	var found Call
	ok := s.WaitFor(timeout, func() bool {
		for _, c := range s.Calls(method) {
			if c.ErrorCode == code && (chatID == 0 || c.Fields["chat_id"] == strconv.FormatInt(chatID, 10)) {
				found = c
				return true
			}
		}
		return false
	})
	return found, ok
}

// WaitFor calls cond until it returns true or timeout passes, and reports
// whether it did. cond is re-evaluated whenever the server records a call
// or queues an update; it must not call WaitFor.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changedLocked()
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		}
	}
}

// WaitConfirmed waits until the client confirmed the update by asking
// getUpdates for a later offset. That means the client received it, not
// that it was handled: wait for the expected reply with WaitFor for that.
func (s *Server) WaitConfirmed(updateID int64, timeout time.Duration) bool {
	return s.WaitFor(timeout, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.offset > updateID
	})
}
