package app

import (
	"context"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// Decorators of the engine's ports that feed the metrics.

// countedRegistrations counts submissions for metrics.
type countedRegistrations struct {
	conversation.Registrations
	m *metrics.Metrics
}

func (r countedRegistrations) Submit(ctx context.Context, key string, app *domain.Application) (int64, string, bool, error) {
	id, ref, created, err := r.Registrations.Submit(ctx, key, app)
	if err == nil && created {
		r.m.Submitted(string(app.Status))
	}
	return id, ref, created, err
}

// countedDecisions counts decisions for metrics.
type countedDecisions struct {
	review.Registrations
	m *metrics.Metrics
}

func (r countedDecisions) Decide(ctx context.Context, version int, d domain.Decision) (*domain.Application, domain.Decision, error) {
	app, first, err := r.Registrations.Decide(ctx, version, d)
	if err == nil && app != nil {
		r.m.Decided(string(app.Status))
	}
	return app, first, err
}

// observedDocuments times the checks of uploads and counts them by result.
type observedDocuments struct {
	conversation.Documents
	m *metrics.Metrics
}

func (d observedDocuments) NewPDFAttachment(ctx context.Context, kind domain.AttachmentKind, data []byte) (domain.Attachment, error) {
	start := time.Now()
	att, err := d.Documents.NewPDFAttachment(ctx, kind, data)
	d.m.DocumentChecked(checkResult(err), time.Since(start))
	return att, err
}

func (d observedDocuments) ImagesToPDF(ctx context.Context, images [][]byte) ([]byte, error) {
	start := time.Now()
	pdf, err := d.Documents.ImagesToPDF(ctx, images)
	d.m.DocumentChecked(checkResult(err), time.Since(start))
	return pdf, err
}

func checkResult(err error) string {
	switch {
	case err == nil:
		return "accepted"
	case domain.ErrorCode(err) == domain.CodeInvalid:
		return "refused"
	}
	return "unavailable"
}

// observedSessions keeps the sessions-by-state gauge from the sessions
// this process saves: no Redis scan (SCAN over every session each minute
// would cost more than the rest of the bot at 10,000 drafts).
type observedSessions struct {
	conversation.SessionStore
	m *metrics.Metrics
}

func (s observedSessions) Update(ctx context.Context, chatID, updateID int64, fn func(*conversation.Session) error) error {
	var state conversation.State
	err := s.SessionStore.Update(ctx, chatID, updateID, func(sess *conversation.Session) error {
		if err := fn(sess); err != nil {
			return err
		}
		state = sess.State
		return nil
	})
	if err == nil {
		s.m.SessionState(chatID, string(state))
	}
	return err
}

func (s observedSessions) Delete(ctx context.Context, chatID int64) error {
	err := s.SessionStore.Delete(ctx, chatID)
	if err == nil {
		s.m.SessionState(chatID, "")
	}
	return err
}
