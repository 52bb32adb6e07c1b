package app

import (
	"encoding/base64"
	"errors"
	"io"
	"log/slog"

	"github.com/regbot/regbot/adapters/redis"
)

// NewLogger returns regbot's logger: JSON lines on w at level ("debug",
// "info", "warn", "error"; anything else: info).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// RouteLibraryLogs sends the log lines of the libraries regbot uses
// through l, so that every line the process writes is JSON: the standard
// library's log package (slog.SetDefault) and go-redis, which has a logger
// of its own. It changes process-wide state: the commands call it once,
// at start.
func RouteLibraryLogs(l *slog.Logger) {
	slog.SetDefault(l)
	redis.UseLogger(l)
}

// decodeKey reads a base64 key of at least 32 bytes.
func decodeKey(v string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(k) < 32 {
		return nil, errors.New("want at least 32 bytes, base64-encoded")
	}
	return k, nil
}
