package e2e

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// Secrets the applicant types in TestSecretsNeverStored. The query
// passwords are distinctive, so that no timestamp or id can match them.
const (
	secretQueryPW = "Qz7#query-secret"
	wrongQueryPW  = "Wr0ng#query-guess"
)

// RedisDump returns every key and value of the Redis database at url, as
// text.
func RedisDump(t *testing.T, url string) string {
	t.Helper()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := goredis.NewClient(opts)
	defer rc.Close()
	ctx := context.Background()
	var out strings.Builder
	iter := rc.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		out.WriteString(key + " = ")
		var v any
		switch typ := rc.Type(ctx, key).Val(); typ {
		case "string":
			v, err = rc.Get(ctx, key).Result()
		case "hash":
			v, err = rc.HGetAll(ctx, key).Result()
		case "zset":
			v, err = rc.ZRangeWithScores(ctx, key, 0, -1).Result()
		case "list":
			v, err = rc.LRange(ctx, key, 0, -1).Result()
		case "set":
			v, err = rc.SMembers(ctx, key).Result()
		case "none": // expired meanwhile
		default:
			t.Fatalf("redis key %s has type %s: extend redisDump", key, typ)
		}
		if err != nil && !errors.Is(err, goredis.Nil) {
			t.Fatal(err)
		}
		out.WriteString(strings.TrimSpace(sprint(v)) + "\n")
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func sprint(v any) string {
	var b bytes.Buffer
	switch v := v.(type) {
	case map[string]string:
		for k, x := range v {
			b.WriteString(k + "=" + x + " ")
		}
	case []string:
		b.WriteString(strings.Join(v, " "))
	case []goredis.Z:
		for _, z := range v {
			b.WriteString(sprint(z.Member) + " ")
		}
	case string:
		b.WriteString(v)
	}
	return b.String()
}

// PGDump returns every row of every table in the public schema as text.
func PGDump(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{tbl}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(tbl + ": " + strings.Join(texts, "\n") + "\n")
	}
	return out.String()
}
