package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/metrics"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type fakePinger struct {
	err   error
	delay time.Duration
}

func (p fakePinger) Ping(ctx context.Context) error {
	select {
	case <-time.After(p.delay):
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestReadyz(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name string
		deps map[string]pinger
		code int
		body string
	}{
		{"all up", map[string]pinger{"redis": fakePinger{}, "postgres": fakePinger{}}, 200, "ok"},
		{"redis down", map[string]pinger{"redis": fakePinger{err: errors.New("refused")}, "postgres": fakePinger{}}, 503, "redis"},
		{"postgres hangs", map[string]pinger{"redis": fakePinger{}, "postgres": fakePinger{delay: time.Hour}}, 503, "postgres"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stop, addr, err := serveOps("127.0.0.1:0", opsHandler(metrics.New(), tt.deps, log), log)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			start := time.Now()
			code, body := get(t, "http://"+addr+"/readyz")
			if code != tt.code || !strings.Contains(body, tt.body) {
				t.Errorf("/readyz = %d %q, want %d with %q", code, body, tt.code, tt.body)
			}
			if d := time.Since(start); d > readyTimeout+time.Second {
				t.Errorf("/readyz took %v", d)
			}
			if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
				t.Errorf("/healthz = %d", code)
			}
		})
	}
}

// TestPprofOnlyWhenAsked: the profiler is on the operations handler only
// with PPROF, and the probes still answer beside it.
func TestPprofOnlyWhenAsked(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	plain := opsHandler(metrics.New(), nil, log)
	for _, tt := range []struct {
		h    http.Handler
		path string
		want int
	}{
		{plain, "/debug/pprof/", http.StatusNotFound},
		{plain, "/healthz", http.StatusOK},
		{withPprof(plain), "/debug/pprof/", http.StatusOK},
		{withPprof(plain), "/debug/pprof/heap?debug=1", http.StatusOK},
		{withPprof(plain), "/healthz", http.StatusOK},
		{withPprof(plain), "/metrics", http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		tt.h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("GET %s: %d, want %d", tt.path, rec.Code, tt.want)
		}
	}
}
