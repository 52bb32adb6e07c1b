package app

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
