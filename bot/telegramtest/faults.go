package telegramtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// Fault injection: the next calls of a method, or of a method in one
// chat, are answered with an error instead of being performed.

type fault struct {
	code, retryAfter int
	chatID           int64 // 0: any chat
}

// FailNext makes the next n calls of method fail with errorCode (429 with
// parameters.retry_after when retryAfter > 0).
func (s *Server) FailNext(method string, n, errorCode, retryAfter int) {
	s.FailNextIn(method, 0, n, errorCode, retryAfter)
}

// FailNextIn is FailNext for the calls of method whose chat_id is chatID;
// calls to other chats are not affected. A chatID of 0 means any chat.
func (s *Server) FailNextIn(method string, chatID int64, n, errorCode, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{code: errorCode, retryAfter: retryAfter, chatID: chatID})
	}
}

// takeFault removes and returns the first injected fault that applies to
// a call of method with fields. s.mu must be held.
func (s *Server) takeFault(method string, fields map[string]string) (fault, bool) {
	for i, f := range s.faults[method] {
		if f.chatID == 0 || strconv.FormatInt(f.chatID, 10) == fields["chat_id"] {
			s.faults[method] = slices.Delete(s.faults[method], i, i+1)
			return f, true
		}
	}
	return fault{}, false
}

// describe is the description Telegram gives with an error code.
func describe(code, retryAfter int) string {
	switch code {
	case http.StatusTooManyRequests:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	case http.StatusBadRequest:
		return "Bad Request: injected failure"
	case http.StatusForbidden:
		return "Forbidden: bot was blocked by the user"
	}
	return http.StatusText(code)
}
