package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/regbot/regbot/internal/e2e"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// cliWorld is a migrated database with two applications, the second
// approved, and the environment the CLI reads.
type cliWorld struct {
	env        map[string]string
	first, sec *domain.Application
}

func newCLIWorld(t *testing.T) *cliWorld {
	dsn := devstack.MustPostgres(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v := e2e.TestVault(t)
	w := &cliWorld{env: map[string]string{"DATABASE_URL": dsn, "DATA_DIR": t.TempDir()}}
	w.first = e2e.SeedApplication(t, db, v, 1, domain.UserDirect)
	w.sec = e2e.SeedApplication(t, db, v, 2, domain.UserRetail)
	if _, _, err := db.Decide(ctx, w.sec.Version, domain.Decision{ApplicationID: w.sec.ID, Verdict: domain.VerdictApprove,
		ReviewerID: 42, ReviewerName: "王审核"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// run runs regbot with args and extra environment; it returns stdout.
func (w *cliWorld) run(t *testing.T, extra map[string]string, args ...string) (string, error) {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		return w.env[k]
	}
	out, errOut, code := runCLI(getenv, args...)
	if code != 0 {
		return out, fmt.Errorf("exit status %d: %s", code, errOut)
	}
	return out, nil
}

// noSecrets fails if out shows a password hash or the clear ID number.
func noSecrets(t *testing.T, out string, clearIDAllowed bool) {
	t.Helper()
	if strings.Contains(out, "$2a$") || strings.Contains(out, "$2b$") || strings.Contains(strings.ToLower(out), "password") {
		t.Errorf("output shows a password hash:\n%s", out)
	}
	if !clearIDAllowed && strings.Contains(out, "500103197001010011") {
		t.Errorf("output shows the clear ID number:\n%s", out)
	}
}

func TestApplicationsListAndShow(t *testing.T) {
	w := newCLIWorld(t)
	out, err := w.run(t, nil, "applications", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, w.first.Reference) || !strings.Contains(out, w.sec.Reference) ||
		!strings.Contains(out, "approved") || !strings.Contains(out, "2 applications") ||
		strings.Index(out, w.first.Reference) > strings.Index(out, w.sec.Reference) {
		t.Errorf("list:\n%s", out)
	}
	out, err = w.run(t, nil, "applications", "list", "--status", "approved")
	if err != nil || strings.Contains(out, w.first.Reference) || !strings.Contains(out, w.sec.Reference) {
		t.Errorf("list --status approved (%v):\n%s", err, out)
	}
	if _, err := w.run(t, nil, "applications", "list", "--status", "lost"); err == nil {
		t.Error("unknown status accepted")
	}

	out, err = w.run(t, nil, "applications", "show", strings.ToLower(w.sec.Reference))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{w.sec.Reference, "approved", "重庆种子2号机械有限公司", "500***********0011",
		"6000000002001", "营业执照.pdf", "approve by 王审核 (42)", "江北区"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	noSecrets(t, out, false)
	if _, err := w.run(t, nil, "applications", "show", "CQ-20000101-999999"); err == nil || !strings.Contains(err.Error(), "no application") {
		t.Errorf("show of an unknown reference: %v", err)
	}
	if _, err := w.run(t, map[string]string{"DATABASE_URL": ""}, "applications", "list"); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("without DATABASE_URL: %v", err)
	}
	if _, err := w.run(t, nil, "applications", "frobnicate"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("unknown subcommand: %v", err)
	}
}

func TestApplicationsExport(t *testing.T) {
	w := newCLIWorld(t)
	keys := map[string]string{"DATA_KEYS": e2e.TestDataKeys, "ID_HASH_KEY": e2e.TestKey}

	out, err := w.run(t, nil, "applications", "export")
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, out, false)
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("export json: %d records, %v:\n%s", len(recs), err, out)
	}
	if recs[0]["reference"] != w.first.Reference || recs[0]["legal_rep_id_masked"] != "500***********0011" ||
		recs[0]["legal_rep_id"] != nil || recs[0]["organization_code"] != "MA5UAEH71" || recs[0]["region_name"] != "江北区" {
		t.Errorf("first record: %v", recs[0])
	}
	if ds := recs[1]["decisions"].([]any); len(ds) != 1 || ds[0].(map[string]any)["reviewer_name"] != "王审核" {
		t.Errorf("second record's decisions: %v", recs[1]["decisions"])
	}
	units := recs[0]["marketing_accounts"].([]any)[0].(map[string]any)["units"].([]any)
	if len(units) != 1 || units[0].(map[string]any)["metering_point_id"] != "6000000001001" {
		t.Errorf("units: %v", units)
	}

	// Keys given but no flag, or the flag without keys: no clear ID.
	if out, err := w.run(t, keys, "applications", "export"); err != nil || strings.Contains(out, "500103197001010011") {
		t.Errorf("export with keys but no flag (%v) shows the ID", err)
	}
	out, err = w.run(t, nil, "applications", "export", "--with-secrets")
	if err == nil || out != "" || !strings.Contains(err.Error(), "DATA_KEYS") {
		t.Errorf("--with-secrets without keys: %v, output %q", err, out)
	}

	out, err = w.run(t, keys, "applications", "export", "--with-secrets")
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, out, true)
	recs = nil
	if err := json.Unmarshal([]byte(out), &recs); err != nil || recs[0]["legal_rep_id"] != "500103197001010011" {
		t.Errorf("export --with-secrets: %v, %v", err, recs)
	}

	for _, secret := range []bool{false, true} {
		args := []string{"applications", "export", "--format", "csv"}
		if secret {
			args = append(args, "--with-secrets")
		}
		out, err := w.run(t, keys, args...)
		if err != nil {
			t.Fatal(err)
		}
		noSecrets(t, out, secret)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("csv (secrets %v): %d rows, %v:\n%s", secret, len(rows), err, out)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		if _, ok := col["legal_rep_id"]; ok != secret {
			t.Errorf("csv (secrets %v) header: %v", secret, rows[0])
		}
		if secret && rows[1][col["legal_rep_id"]] != "500103197001010011" {
			t.Errorf("csv ID = %q", rows[1][col["legal_rep_id"]])
		}
		first, second := rows[1], rows[2]
		if first[col["reference"]] != w.first.Reference || first[col["units"]] != "6000000001/6000000001001/large_industrial/none" ||
			first[col["industry"]] != "'=通用设备制造业" || second[col["last_decision"]] != "approve" ||
			second[col["last_reviewer"]] != "王审核 (42)" || second[col["last_decided_at"]] == "" {
			t.Errorf("csv rows:\n%v\n%v", first, second)
		}
	}
	if _, err := w.run(t, nil, "applications", "export", "--format", "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}
