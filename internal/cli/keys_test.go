package cli

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/devstack"
	"github.com/regbot/regbot/internal/e2e"
)

// TestKeysRewrap rotates the data key on a populated database: after
// DATA_KEYS=k2:…,k1:… and a rewrap stopped after one batch and run again,
// every stored ID number opens with k2 alone, with its hash unchanged; a
// second run changes nothing; a wrong hash key or a missing operator
// changes nothing either.
func TestKeysRewrap(t *testing.T) {
	dsn := devstack.MustPostgres(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := e2e.TestVault(t)
	var apps []*domain.Application
	for n := 1; n <= 3; n++ {
		apps = append(apps, e2e.SeedApplication(t, db, old, n, domain.UserDirect))
	}
	k2 := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	env := map[string]string{"DATABASE_URL": dsn, "DATA_KEYS": "k2:" + k2 + "," + e2e.TestDataKeys, "ID_HASH_KEY": e2e.TestKey}
	run := func(extra map[string]string, args ...string) (string, string, int) {
		return runCLI(func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return env[k]
		}, args...)
	}

	if out, _, code := run(nil, "keys", "status"); code != 0 || !strings.Contains(out, "key k1: 3 ID numbers") {
		t.Fatalf("status: %d %q", code, out)
	}
	for _, bad := range []struct {
		extra map[string]string
		args  []string
		code  int
		want  string
	}{
		{nil, []string{"keys", "rewrap"}, 2, "needs --operator"},
		{nil, []string{"keys", "rotate"}, 2, "unknown keys command"},
		{map[string]string{"ID_HASH_KEY": k2}, []string{"keys", "rewrap", "--operator", "运维"}, 1, "hash differs"},
		{map[string]string{"DATA_KEYS": "k2:" + k2}, []string{"keys", "rewrap", "--operator", "运维"}, 1, "unknown"},
	} {
		if _, errOut, code := run(bad.extra, bad.args...); code != bad.code || !strings.Contains(errOut, bad.want) {
			t.Errorf("%v: exit %d, %q; want %d with %q", bad.args, code, errOut, bad.code, bad.want)
		}
	}
	if out, _, _ := run(nil, "keys", "status"); !strings.Contains(out, "key k1: 3 ID numbers") {
		t.Fatalf("a refused rewrap changed rows: %q", out)
	}

	// Stopped after one batch, then run again: it carries on.
	vault, err := app.Vault(app.Config{DataKeys: env["DATA_KEYS"], IDHashKey: e2e.TestKey})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.RewrapIDs(ctx, vault.ActiveKeyID(), 1, vault.Reseal); err != nil || n != 1 {
		t.Fatalf("one batch: %d, %v", n, err)
	}
	out, errOut, code := run(nil, "keys", "rewrap", "--operator", "运维", "--batch", "1")
	if code != 0 || !strings.Contains(out, "2 ID numbers sealed again with key k2") || !strings.Contains(out, "key k2: 3 ID numbers") ||
		strings.Contains(out, "key k1") {
		t.Fatalf("rewrap: %d %q %q", code, out, errOut)
	}
	onlyK2, err := app.Vault(app.Config{DataKeys: "k2:" + k2, IDHashKey: e2e.TestKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		got, err := db.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := onlyK2.OpenID(got.Account.LegalRepID)
		if err != nil || plain != e2e.IDNumber || string(got.Account.LegalRepID.Hash) != string(a.Account.LegalRepID.Hash) ||
			got.Account.LegalRepID.Masked != a.Account.LegalRepID.Masked {
			t.Errorf("%s after the rewrap: %q, %v; hash kept %v", a.Reference, plain, err,
				string(got.Account.LegalRepID.Hash) == string(a.Account.LegalRepID.Hash))
		}
	}
	if out, _, code := run(nil, "keys", "rewrap", "--operator", "运维"); code != 0 || !strings.Contains(out, "0 ID numbers sealed again") {
		t.Errorf("second rewrap: %d %q", code, out)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var audited int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'keys_rewrap' AND actor = '运维'`).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("audit rows: %d, %v; want one per run", audited, err)
	}
}
