package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// readyTimeout bounds each dependency check of /readyz.
const readyTimeout = 2 * time.Second

// pinger is a dependency /readyz checks.
type pinger interface {
	Ping(ctx context.Context) error
}

// opsHandler serves /metrics, /healthz (the process is up) and /readyz
// (Redis and Postgres answer within readyTimeout; 503 naming the failing
// ones otherwise, without their error texts, which may quote addresses).
func opsHandler(m *metrics.Metrics, deps map[string]pinger, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		type res struct {
			name string
			err  error
		}
		ch := make(chan res, len(deps))
		for name, p := range deps {
			go func() {
				ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
				defer cancel()
				ch <- res{name, p.Ping(ctx)}
			}()
		}
		var failed []string
		for range deps {
			if r := <-ch; r.err != nil {
				failed = append(failed, r.name)
				log.Warn("readyz: dependency not ready", "dependency", r.name, "err", r.err)
			}
		}
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", failed)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

// withPprof adds Go's profiler under /debug/pprof/ to h (PPROF=true). It is
// registered on this handler only, never on http.DefaultServeMux, so no
// other listener (the webhook) can serve it.
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// serveOps listens on addr and serves h until stop is called, which shuts
// the server down (after the bot stopped: probes keep answering while
// in-flight updates finish).
func serveOps(addr string, h http.Handler, log *slog.Logger) (stop func() error, bound string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("HTTP_LISTEN: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("operations server", "listen", ln.Addr().String(), "paths", "/metrics /healthz /readyz")
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}, ln.Addr().String(), nil
}

// countedRegistrations counts submissions and decisions for metrics.
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

func (r countedRegistrations) Decide(ctx context.Context, version int, d domain.Decision) (*domain.Application, domain.Decision, error) {
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

func (d observedDocuments) NewPDFAttachment(ctx context.Context, kind domain.AttachmentKind, name string, data []byte) (domain.Attachment, error) {
	start := time.Now()
	att, err := d.Documents.NewPDFAttachment(ctx, kind, name, data)
	d.m.DocumentChecked(checkResult(err), time.Since(start))
	return att, err
}

func (d observedDocuments) ImageToPDF(ctx context.Context, data []byte) ([]byte, error) {
	start := time.Now()
	pdf, err := d.Documents.ImageToPDF(ctx, data)
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

// migrateCommand applies the database migrations and exits: the
// Kubernetes migration Job runs it before the Deployment rolls out
// (replicas also migrate on start, under an advisory lock).
func migrateCommand(ctx context.Context, cfg Config, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		return errors.New("migrate: DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	db.Close()
	fmt.Fprintln(stdout, "regbot: database schema is up to date")
	return nil
}
