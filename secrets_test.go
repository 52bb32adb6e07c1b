package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/internal/devstack"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// Secrets the applicant types in TestSecretsNeverStored. The query
// passwords are distinctive, so that no timestamp or id can match them.
const (
	secretQueryPW = "Qz7#query-secret"
	wrongQueryPW  = "Wr0ng#query-guess"
)

// redisDump returns every key and value of the Redis database at url, as
// text.
func redisDump(t *testing.T, url string) string {
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

// pgDump returns every row of every table in the public schema as text.
func pgDump(t *testing.T, dsn string) string {
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

// TestSecretsNeverStored runs a full registration with every log line
// captured, dumps Redis after every step and Postgres at the end, and
// looks for the ID number, the password and the query passwords the
// applicant typed: none may appear anywhere (the ID number is stored
// sealed, the password as a keyed digest until confirmed and then as a
// bcrypt hash, query passwords not at all).
func TestSecretsNeverStored(t *testing.T) {
	w := newWorld(t)
	accounts := marketingsim.DefaultAccounts()
	for i := range accounts {
		if accounts[i].Number == "5000000001" {
			accounts[i].QueryPassword = secretQueryPW
		}
	}
	srv := httptest.NewServer(marketingsim.New(accounts))
	t.Cleanup(srv.Close)
	w.cfg.MarketingURL = srv.URL
	logs := &lockedBuffer{}
	w.logs = logs
	w.boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.main.DB); err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{"ID number": e2eID, "password": e2ePassword,
		"query password": secretQueryPW, "wrong query password": wrongQueryPW}
	check := func(where, text string) {
		t.Helper()
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("%s contains the %s", where, name)
			}
		}
	}
	for i, step := range registrationSteps(w) {
		if step == nil {
			w.say(wrongQueryPW, "查询密码不正确")
			check("redis after a wrong query password", redisDump(t, w.cfg.RedisURL))
			w.say(secretQueryPW, "共有 3 个计量点")
		} else {
			step()
		}
		dump := redisDump(t, w.cfg.RedisURL)
		check("redis after step "+strconv.Itoa(i), dump)
		if i == 9 && !strings.Contains(dump, "500***********0011") {
			t.Fatalf("the redis dump lacks the draft's masked ID number: the check would prove nothing:\n%s", dump)
		}
	}
	w.await(e2eReviewChat, map[int]string{}, "新注册申请")
	w.stop()

	if !strings.Contains(logs.String(), `"level":"DEBUG"`) {
		t.Fatal("no debug log lines captured: the check would prove nothing")
	}
	check("the logs", logs.String())
	check("postgres", pgDump(t, w.cfg.DatabaseURL))
	// The bot said nothing secret either, and every message carrying
	// one was deleted.
	for _, m := range w.tg.Messages(w.user.ID) {
		check("a bot message", m.Text)
	}
	for _, m := range w.tg.Messages(e2eReviewChat) {
		check("a review-group message", m.Text)
	}
}

// TestDataKeyRotation seals an application under key k1, then opens it
// with DATA_KEYS=k2:…,k1:… (k2 active): the export with secrets still
// shows the ID number. With k2 alone it cannot.
func TestDataKeyRotation(t *testing.T) {
	w := newWorld(t)
	w.boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range registrationSteps(w) {
		if step == nil {
			w.queryStep()
		} else {
			step()
		}
	}
	w.stop()

	k2 := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	export := func(dataKeys string) (string, error) {
		env := map[string]string{"DATABASE_URL": w.cfg.DatabaseURL, "REDIS_URL": w.cfg.RedisURL,
			"DATA_KEYS": dataKeys, "ID_HASH_KEY": w.cfg.IDHashKey, "DATA_DIR": w.cfg.DataDir}
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"applications", "export", "--with-secrets"},
			func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	if out, err := export("k2:" + k2 + "," + w.cfg.DataKeys); err != nil || !strings.Contains(out, e2eID) {
		t.Fatalf("after rotation to k2 (k1 kept): err %v, ID number shown: %v", err, strings.Contains(out, e2eID))
	}
	if out, err := export("k2:" + k2); err == nil && strings.Contains(out, e2eID) {
		t.Fatal("opened a k1-sealed ID number without k1")
	}
}

// TestFailedDeletionLoggedWithoutSecret: when Telegram refuses to delete
// the message carrying the ID number, the failure is logged, without the
// ID number, and the registration goes on.
func TestFailedDeletionLoggedWithoutSecret(t *testing.T) {
	w := newWorld(t)
	logs := &lockedBuffer{}
	w.logs = logs
	w.boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range registrationSteps(w)[:8] { // up to the ID number question
		step()
	}
	w.tg.FailNextIn("deleteMessage", w.user.ID, 1, 400, 0)
	upd := w.say(e2eID, "已记录身份证号码")
	if !w.tg.WaitFor(waitTime, func() bool { return strings.Contains(logs.String(), "deleteMessage") }) {
		t.Fatal("the failed deletion was not logged")
	}
	if contains(w.tg.Deleted(w.user.ID), w.tg.UserMessageID(upd)) {
		t.Fatal("the fault did not hit the deletion")
	}
	if strings.Contains(logs.String(), e2eID) {
		t.Fatal("the log of the failed deletion contains the ID number")
	}
	w.say(e2ePassword, "再次输入密码")
}
