package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// operator runs the production binary's applications command with only
// DATABASE_URL (and extra settings) set, as an operator would; it returns
// stdout, stderr and the exit code.
func operator(t *testing.T, bin string, w *World, extra []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"applications"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + w.Cfg.DatabaseURL}, extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		code = cmd.ProcessState.ExitCode()
	}
	return out.String(), errOut.String(), code
}

// decide approves or rejects a seeded application.
func decide(t *testing.T, w *World, a *domain.Application, v domain.Verdict) {
	t.Helper()
	if _, _, err := w.Main.DB.Decide(context.Background(), a.Version, domain.Decision{ApplicationID: a.ID, Verdict: v,
		ReviewerID: Reviewer, ReviewerName: "王审核", Reason: "材料不全"}); err != nil {
		t.Fatal(err)
	}
}

// TestExportToThePlatform: the pmos export writes exactly the approved
// applications not exported yet, each as a folder in the platform's terms
// whose password.age opens with the exchange's identity and whose PDFs are
// the uploads byte for byte; a second run writes nothing; --again exports
// one again; xlsx gives clerks one workbook; every run is audited with the
// operator; bad calls change nothing.
func TestExportToThePlatform(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	bin := BuildRegbot(t)
	ctx := context.Background()
	v := TestVault(t)
	approved := SeedApplication(t, w.Main.DB, v, 1, domain.UserDirect)
	rejected := SeedApplication(t, w.Main.DB, v, 2, domain.UserRetail)
	exportedBefore := SeedApplication(t, w.Main.DB, v, 3, domain.UserRetail)
	pending := SeedApplication(t, w.Main.DB, v, 4, domain.UserRetail)
	decide(t, w, approved, domain.VerdictApprove)
	decide(t, w, rejected, domain.VerdictReject)
	decide(t, w, exportedBefore, domain.VerdictApprove)
	if err := w.Main.DB.MarkExported(ctx, []int64{exportedBefore.ID}, "前任办事员", "earlier"); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "export")
	stdout, stderr, code := operator(t, bin, w, nil, "export", "--format", "pmos", "--out", out, "--operator", "王办事员")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	entries, _ := os.ReadDir(out)
	var folders []string
	for _, e := range entries {
		folders = append(folders, e.Name())
	}
	if !slices.Equal(folders, []string{approved.Reference}) {
		t.Fatalf("exported folders %v, want only %s (not %s rejected, %s exported before, %s pending)",
			folders, approved.Reference, rejected.Reference, exportedBefore.Reference, pending.Reference)
	}
	dir := filepath.Join(out, approved.Reference)

	sealed, err := os.ReadFile(filepath.Join(dir, "password.age"))
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := conversationtest.OpenPassword(sealed); err != nil || pw != Password {
		t.Errorf("password.age opens to %q, %v; want the applicant's password", pw, err)
	}
	for kind, name := range map[domain.AttachmentKind]string{domain.AttachmentCatalog: "准入目录.pdf", domain.AttachmentLicence: "营业执照.pdf"} {
		at, _ := approved.Attachment(kind)
		upload, err := w.Main.DB.Blobs().Get(ctx, at.BlobKey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, upload) {
			t.Errorf("%s: %d bytes (%v), want the %d uploaded, byte for byte", name, len(got), err, len(upload))
		}
	}
	var doc struct {
		Reference string `json:"申请编号"`
		Sections  []struct {
			Name   string `json:"栏目"`
			Fields []struct {
				Label, ID, Value string
			} `json:"字段列表"`
		} `json:"注册信息"`
		Units []map[string]string `json:"用电单元"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "application.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bytes.ReplaceAll(bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte(`"字段"`), []byte(`"Label"`)),
		[]byte(`"平台字段"`), []byte(`"ID"`)), []byte(`"值"`), []byte(`"Value"`)), &doc); err != nil {
		t.Fatalf("application.json: %v\n%s", err, raw)
	}
	var sections []string
	values := map[string]string{}
	for _, s := range doc.Sections {
		sections = append(sections, s.Name)
		for _, f := range s.Fields {
			values[s.Name+"/"+f.Label] = f.Value
		}
	}
	if !slices.Equal(sections, []string{"账号信息", "基本信息", "商务信息", "联系信息"}) || len(doc.Units) != 1 {
		t.Errorf("sections %v, %d units", sections, len(doc.Units))
	}
	for key, want := range map[string]string{
		"账号信息/登录名": approved.Account.LoginName, "基本信息/企业全称": approved.Basic.EnterpriseName,
		"基本信息/统一社会信用代码": approved.Basic.CreditCode, "基本信息/组织机构代码": approved.Basic.OrganizationCode(),
		"基本信息/用户类型": "直接交易用户", "基本信息/营业期限": "长期", "基本信息/地理区域": "重庆市/江北区",
		"账号信息/法人代表证件号码": "500***********0011", "联系信息/手机": "13800138000",
	} {
		if values[key] != want {
			t.Errorf("%s = %q, want %q", key, values[key], want)
		}
	}
	if strings.Contains(string(raw), IDNumber) || strings.Contains(string(raw), Password) {
		t.Error("application.json holds the ID number or the password in clear")
	}
	if doc.Units[0]["用电单元名称"] != "1号厂房" || doc.Units[0]["营销户号"] != "6000000001" {
		t.Errorf("unit %v", doc.Units[0])
	}

	// A second run writes nothing.
	stdout, _, code = operator(t, bin, w, nil, "export", "--format", "pmos", "--out", out, "--operator", "王办事员")
	if code != 0 || !strings.Contains(stdout, "nothing to export") {
		t.Errorf("second export: exit %d, %q", code, stdout)
	}
	// --again, with the ID number in clear (audited).
	secrets := []string{"DATA_KEYS=" + TestDataKeys, "ID_HASH_KEY=" + TestKey}
	stdout, stderr, code = operator(t, bin, w, secrets, "export", "--format", "pmos", "--out", out, "--operator", "王办事员",
		"--again", exportedBefore.Reference, "--with-secrets")
	if code != 0 {
		t.Fatalf("export --again: exit %d\n%s%s", code, stdout, stderr)
	}
	raw, err = os.ReadFile(filepath.Join(out, exportedBefore.Reference, "application.json"))
	if err != nil || !strings.Contains(string(raw), IDNumber) {
		t.Errorf("export --again --with-secrets: %v; the ID number in clear: %v", err, strings.Contains(string(raw), IDNumber))
	}
	trail, err := w.Main.DB.AuditTrail(ctx, exportedBefore.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	if !slices.Equal(actions, []string{"export by 前任办事员", "export_again by 王办事员", "export_secrets by 王办事员"}) {
		t.Errorf("audit of the re-export: %v", actions)
	}
	if trail, _ := w.Main.DB.AuditTrail(ctx, approved.ID); len(trail) != 1 || trail[0].Action != "export" || trail[0].Actor != "王办事员" {
		t.Errorf("audit of the export: %+v", trail)
	}

	// xlsx: the same applications for clerks, incremental too.
	decide(t, w, pending, domain.VerdictApprove)
	xdir := filepath.Join(t.TempDir(), "xlsx")
	if stdout, stderr, code = operator(t, bin, w, nil, "export", "--format", "xlsx", "--out", xdir, "--operator", "王办事员"); code != 0 {
		t.Fatalf("export xlsx: exit %d\n%s%s", code, stdout, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(xdir, "*.xlsx"))
	if len(files) != 1 {
		t.Fatalf("xlsx files %v", files)
	}
	book, err := excelize.OpenFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, _ := book.GetRows("注册申请")
	unitRows, _ := book.GetRows("用电单元")
	if len(rows) != 2 || rows[1][0] != pending.Reference || len(unitRows) != 2 || !slices.Contains(rows[0], "基本信息/企业全称") {
		t.Errorf("workbook: %d application rows (%v), %d unit rows", len(rows), rows, len(unitRows))
	}

	// Bad calls: a clear message, nothing changed.
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "--format", "pmos", "--out", out}, 2, "needs --operator"},
		{[]string{"export", "--format", "pmos", "--operator", "王办事员"}, 2, "needs --out"},
		{[]string{"export", "--format", "pmos", "--out", out, "--operator", "王办事员", "--again", "CQ-20000101-999999"}, 1, "no application CQ-20000101-999999"},
		{[]string{"export", "--format", "pmos", "--out", out, "--operator", "王办事员", "--again", rejected.Reference}, 1, "only approved applications"},
		{[]string{"export", "--format", "pmos", "--out", out, "--operator", "王办事员", "--with-secrets"}, 1, "DATA_KEYS: missing"},
	} {
		_, stderr, code := operator(t, bin, w, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("applications %s: exit %d, %q; want %d with %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}

	// files REF: the documents, byte for byte.
	fdir := filepath.Join(t.TempDir(), "files")
	if stdout, stderr, code = operator(t, bin, w, nil, "files", rejected.Reference, "--out", fdir); code != 0 {
		t.Fatalf("files: exit %d\n%s%s", code, stdout, stderr)
	}
	at, _ := rejected.Attachment(domain.AttachmentLicence)
	upload, _ := w.Main.DB.Blobs().Get(ctx, at.BlobKey)
	if got, err := os.ReadFile(filepath.Join(fdir, "营业执照.pdf")); err != nil || !bytes.Equal(got, upload) {
		t.Errorf("files: 营业执照.pdf %d bytes (%v), want the upload", len(got), err)
	}
}

// TestProvisioned: recording that the account exists moves an approved
// application to provisioned, erases its sealed password, tells the
// applicant how to log in and marks the group's card 已开户; running it
// again changes nothing; an unknown reference or an application that is
// not approved is refused with a clear message, nothing changed.
func TestProvisioned(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	bin := BuildRegbot(t)
	ctx := context.Background()
	v := TestVault(t)
	a := SeedApplication(t, w.Main.DB, v, 1, domain.UserDirect)
	other := SeedApplication(t, w.Main.DB, v, 2, domain.UserRetail)
	card := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+a.Reference)
	decide(t, w, a, domain.VerdictApprove)
	applicant := a.ChatID
	w.Await(applicant, map[int]string{}, "已审核通过")

	before := w.Snapshot(applicant)
	beforeGroup := w.Snapshot(ReviewChat)
	stdout, stderr, code := operator(t, bin, w, nil, "provisioned", a.Reference, "--platform-id", "PMOS-0001", "--operator", "王办事员")
	if code != 0 || !strings.Contains(stdout, "provisioned") {
		t.Fatalf("provisioned: exit %d\n%s%s", code, stdout, stderr)
	}
	told := w.Await(applicant, before, "账号已开通")
	for _, want := range []string{a.Account.LoginName, "pmos.cq.sgcc.com.cn", "证书申请", "必须"} {
		if !strings.Contains(told.Text, want) {
			t.Errorf("the applicant's notice lacks %q:\n%s", want, told.Text)
		}
	}
	edited := w.Await(ReviewChat, beforeGroup, "已开户")
	if edited.ID != card.ID || len(edited.Buttons) != 0 {
		t.Errorf("the group's card after provisioning: %+v", edited)
	}
	var status, platformID string
	var sealed []byte
	if err := w.Conn().QueryRow(ctx, `SELECT status, platform_id, password_sealed FROM applications WHERE id = $1`, a.ID).
		Scan(&status, &platformID, &sealed); err != nil {
		t.Fatal(err)
	}
	if status != "provisioned" || platformID != "PMOS-0001" || sealed != nil {
		t.Errorf("row: status %s, platform id %q, sealed password %d bytes (want erased)", status, platformID, len(sealed))
	}

	// Again: nothing changes, nobody is told twice.
	before = w.Snapshot(applicant)
	stdout, _, code = operator(t, bin, w, nil, "provisioned", a.Reference, "--operator", "王办事员")
	if code != 0 || !strings.Contains(stdout, "nothing changed") {
		t.Errorf("provisioned again: exit %d, %q", code, stdout)
	}
	trail, _ := w.Main.DB.AuditTrail(ctx, a.ID)
	if len(trail) != 1 || trail[0].Action != "provisioned" || trail[0].Actor != "王办事员" || !strings.Contains(trail[0].Detail, "PMOS-0001") {
		t.Errorf("audit: %+v", trail)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"provisioned", "CQ-20000101-999999", "--operator", "王办事员"}, 1, "no application CQ-20000101-999999"},
		{[]string{"provisioned", other.Reference, "--operator", "王办事员"}, 1, "only an approved application"},
		{[]string{"provisioned", a.Reference}, 2, "needs --operator"},
		{[]string{"provisioned", "--operator", "王办事员"}, 2, "takes one reference"},
	} {
		_, stderr, code := operator(t, bin, w, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("applications %s: exit %d, %q; want %d with %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}
	if got, _ := w.Main.DB.Get(ctx, other.ID); got.Status != domain.StatusSubmitted {
		t.Errorf("a refused provisioning changed the application: %s", got.Status)
	}
	if n := len(w.TG.Messages(applicant)); n != len(before) {
		t.Errorf("the applicant got %d new messages from a repeated provisioning", n-len(before))
	}
}
