package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Option configures Open.
type Option func(*pgxpool.Config)

// QueryObserver is told of every statement: its kind (the first SQL
// keyword in lower case: select, insert, update, delete, with, begin, …;
// "other" for anything else), how long it took and whether it failed.
type QueryObserver func(statement string, d time.Duration, failed bool)

// WithQueryObserver installs a pgx QueryTracer that reports every
// statement to fn, for metrics.
func WithQueryObserver(fn QueryObserver) Option {
	return func(c *pgxpool.Config) { c.ConnConfig.Tracer = queryTracer(fn) }
}

type queryTracer QueryObserver

type traceKey struct{}

type traceStart struct {
	kind string
	at   time.Time
}

func (t queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{kind: statementKind(data.SQL), at: time.Now()})
}

func (t queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t(s.kind, time.Since(s.at), data.Err != nil)
	}
}

// statementKind is the first keyword of sql: a label of few values.
func statementKind(sql string) string {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	end := strings.IndexFunc(sql, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(sql)
	}
	switch kw := strings.ToLower(sql[:end]); kw {
	case "select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "savepoint", "release",
		"create", "alter", "drop", "lock", "set", "show", "copy":
		return kw
	}
	return "other"
}
