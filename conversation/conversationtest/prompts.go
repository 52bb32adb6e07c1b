package conversationtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// ReasonPrompts is an in-memory review.ReasonPrompts. It keeps prompts
// until they are answered (the desk judges their age); Down makes every
// call fail with CodeUnavailable.
type ReasonPrompts struct {
	mu   sync.Mutex
	m    map[[2]int64][]review.ReasonPrompt // by chat and reviewer, latest first
	Down bool
}

var _ review.ReasonPrompts = (*ReasonPrompts)(nil)

func (r *ReasonPrompts) down() error {
	if r.Down {
		return &domain.Error{Code: domain.CodeUnavailable, Reason: "test.down"}
	}
	return nil
}

func (r *ReasonPrompts) Ask(_ context.Context, chatID, reviewerID int64, p review.ReasonPrompt, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return err
	}
	if r.m == nil {
		r.m = map[[2]int64][]review.ReasonPrompt{}
	}
	k := [2]int64{chatID, reviewerID}
	ps := slices.DeleteFunc(r.m[k], func(q review.ReasonPrompt) bool { return q.ApplicationID == p.ApplicationID })
	r.m[k] = append([]review.ReasonPrompt{p}, ps...)
	return nil
}

func (r *ReasonPrompts) Asked(_ context.Context, chatID, reviewerID int64) ([]review.ReasonPrompt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return nil, err
	}
	return slices.Clone(r.m[[2]int64{chatID, reviewerID}]), nil
}

func (r *ReasonPrompts) Answered(_ context.Context, chatID, reviewerID, applicationID int64) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.down(); err != nil {
		return false, err
	}
	k := [2]int64{chatID, reviewerID}
	n := len(r.m[k])
	if n == 0 {
		return false, nil
	}
	r.m[k] = slices.DeleteFunc(r.m[k], func(q review.ReasonPrompt) bool { return q.ApplicationID == applicationID })
	return len(r.m[k]) < n, nil
}
