// Package postgres is the system of record: submitted applications with
// their marketing accounts, units and attachments, the reviewers' decisions
// (an append-only audit trail), the access catalog, the region list and the
// uploaded documents, in PostgreSQL through pgx.
//
// Open connects and brings the schema up to date with the embedded goose
// migrations (migrations/*.sql, one file per version) under a PostgreSQL
// advisory lock, so several replicas may start at once. *DB implements
// conversation.Registrations and conversation.Catalog, and the outbox of
// notices the bot sends (notices.go); *Blobs implements conversation.Files.
//
// Errors are wrapped as "postgres: <operation>: …". Failures to reach the
// server are *domain.Error with CodeUnavailable; rule violations the caller
// can act on carry their own domain codes. Error texts never contain
// personal data.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

var (
	_ conversation.Registrations = (*DB)(nil)
	_ conversation.Catalog       = (*DB)(nil)
	_ conversation.Files         = (*Blobs)(nil)
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is a pool of connections to a migrated database.
type DB struct {
	pool *pgxpool.Pool
}

// defaultMaxConns replaces pgx's default pool size, max(4, CPUs): regbot's
// transactions mostly wait for the disk's fsync (submissions, PDF blobs),
// not for CPU, and with 4 connections on a 2-core server 1,000 steps/s
// queued for seconds behind them (docs/performance.md).
const defaultMaxConns = 16

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; pool_* parameters tune the pool), checks the connection and
// applies the pending migrations. Concurrent Opens against one database
// wait for each other; an up-to-date schema is left as it is.
//
// Unless the DSN sets pool_max_conns, the pool holds up to defaultMaxConns
// connections.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	const op = "open"
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included: drop it.
		return nil, fmt.Errorf("postgres: %s: invalid connection string", op)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, wrapErr(op, err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	const op = "migrate"
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close() // does not close the pool
	provider, err := newProvider(sqlDB)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return wrapErr(op, err)
	}
	return nil
}

// newProvider returns a goose provider of the embedded migrations that
// takes a PostgreSQL advisory lock around its work.
func newProvider(sqlDB *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	// Retry the lock every second for up to five minutes: a replica that
	// lost the race waits for the winner's migrations.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the database answers; CodeUnavailable if it does not.
func (db *DB) Ping(ctx context.Context) error {
	return wrapErr("ping", db.pool.Ping(ctx))
}

// Blobs returns the document store of db.
func (db *DB) Blobs() *Blobs { return &Blobs{db: db} }

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// wrapErr prefixes err with the package and operation and turns failures to
// reach the server into *domain.Error with CodeUnavailable. A *domain.Error
// already in the chain is kept as it is.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if !errors.As(err, &de) && unavailable(err) {
		err = &domain.Error{Code: domain.CodeUnavailable, Err: err}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable reports whether err means the server could not be reached or
// cannot serve now, as opposed to a statement that failed.
func unavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"), // insufficient resources: too many connections, disk full
			pgErr.Code == "57P01",               // admin_shutdown
			pgErr.Code == "57P02",               // crash_shutdown
			pgErr.Code == "57P03":               // cannot_connect_now
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		pgconn.Timeout(err) ||
		pgconn.SafeToRetry(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, sql.ErrConnDone)
}

// pgCode returns the SQLSTATE and constraint of a server error in err's
// chain, or empty strings.
func pgCode(err error) (code, constraint string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, pgErr.ConstraintName
	}
	return "", ""
}

const (
	sqlUniqueViolation     = "23505"
	sqlForeignKeyViolation = "23503"
)

// likePattern returns an ILIKE pattern matching s anywhere, with the
// pattern characters of s escaped (escape character '\').
func likePattern(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

// likeEscaper is shared: a Replacer builds its tables on first use.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
