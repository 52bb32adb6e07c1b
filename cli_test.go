package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

var (
	testKey     = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	testDataKey = "k1:" + testKey
)

// testVault is the vault of testDataKey and testKey.
func testVault(tb testing.TB) *secrets.Vault {
	tb.Helper()
	v, err := configuredVault(Config{DataKeys: testDataKey, IDHashKey: testKey})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// seedApplication stores a complete application n (submitted now) with
// its ID number sealed by vault and returns it as stored.
func seedApplication(tb testing.TB, db *postgres.DB, vault *secrets.Vault, n int, userType domain.UserType) *domain.Application {
	tb.Helper()
	ctx := context.Background()
	id, err := vault.SealID("500103197001010011")
	if err != nil {
		tb.Fatal(err)
	}
	hash, _ := vault.HashPassword("Cq2024!abcd")
	att := func(kind domain.AttachmentKind, name string) domain.Attachment {
		data := conversationtest.PDF(fmt.Sprintf("%s %d", kind, n))
		key, err := db.Blobs().Put(ctx, data)
		if err != nil {
			tb.Fatal(err)
		}
		return domain.Attachment{Kind: kind, FileName: name, Size: int64(len(data)), SHA256: key, BlobKey: key}
	}
	app := &domain.Application{
		ChatID:         int64(9000 + n),
		MemberType:     domain.MemberElectricityUser,
		NoticeAccepted: time.Now(),
		Account: domain.Account{LoginName: fmt.Sprintf("cqseed%02d", n), UserName: "种子交易员", LegalRepID: id,
			PasswordHash: hash},
		Basic: domain.Basic{EnterpriseName: fmt.Sprintf("重庆种子%d号机械有限公司", n), CreditCode: "91500103MA5UAEH71T",
			LegalRepName: "张三", RegisteredCapital: "500", FoundedOn: time.Date(2010, 5, 20, 0, 0, 0, 0, time.UTC),
			BusinessTermOpen: true, Industry: "=通用设备制造业", UserType: userType, RegionCode: "500105",
			RegisteredAddress: "重庆市江北区某某路8号"},
		Business: domain.Business{BankName: "中国工商银行重庆江北支行", AccountName: fmt.Sprintf("重庆种子%d号机械有限公司", n),
			AccountNumber: "3100021109024412345"},
		Contact: domain.Contact{Person: "李四", Position: "能源主管", Mobile: "13800138000", Email: "lisi@example.com",
			MailingAddress: "重庆市江北区某某路8号", Postcode: "400020"},
		Attachments: []domain.Attachment{att(domain.AttachmentCatalog, "准入目录.pdf"), att(domain.AttachmentLicence, "营业执照.pdf")},
		Accounts: []domain.MarketingAccount{{Number: fmt.Sprintf("60000000%02d", n), Units: []domain.Unit{{
			MeteringPoint: domain.MeteringPoint{ID: fmt.Sprintf("60000000%02d001", n), Name: "1号厂房", Address: "江北区某某路8号",
				VoltageCode: "AC00101", TariffCategory: "large_industrial"},
			UnitType: "large_industrial", HighEnergy: domain.HighEnergyNone}}}},
	}
	if err := app.Submit(time.Now()); err != nil {
		tb.Fatal(err)
	}
	if _, _, _, err := db.Submit(ctx, fmt.Sprint("seed-", n), app); err != nil {
		tb.Fatal(err)
	}
	stored, err := db.Get(ctx, app.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return stored
}

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
	v := testVault(t)
	w := &cliWorld{env: map[string]string{"DATABASE_URL": dsn, "DATA_DIR": t.TempDir()}}
	w.first = seedApplication(t, db, v, 1, domain.UserDirect)
	w.sec = seedApplication(t, db, v, 2, domain.UserRetail)
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
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), err
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
	keys := map[string]string{"DATA_KEYS": testDataKey, "ID_HASH_KEY": testKey}

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
