package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// UseLogger sends go-redis's own log lines (a Sentinel switching masters,
// a pool that cannot dial, …), which it otherwise prints as plain text on
// stderr, to l at warning level. It is process-wide, as go-redis's logger
// is.
func UseLogger(l *slog.Logger) { goredis.SetLogger(slogLogger{l}) }

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(ctx context.Context, format string, v ...any) {
	s.l.WarnContext(ctx, "redis: "+strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: "), "component", "go-redis")
}
