package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// register plays a whole registration through the chat and returns the
// stored application.
func register(t *testing.T, w *World) *domain.Application {
	t.Helper()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range RegistrationSteps(w) {
		if step == nil {
			w.QueryStep()
		} else {
			step()
		}
	}
	a, err := w.Main.DB.FindByChat(context.Background(), w.User.ID)
	if err != nil {
		t.Fatalf("the chat's application: %v", err)
	}
	return a
}

// TestDataRights: the applicant sees what regbot holds (/mydata), takes
// back a pending application (/withdraw: the group's card says so and
// loses its buttons) and has its personal data erased (/delete, after a
// confirmation): the row keeps its reference and status, the documents'
// bytes go, the audit trail says who did what.
func TestDataRights(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	a := register(t, w)
	card := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+a.Reference)

	w.Say("/mydata", a.Reference)
	for _, m := range w.TG.Messages(w.User.ID) {
		if !m.Deleted && (strings.Contains(m.Text, IDNumber) || strings.Contains(m.Text, Password)) {
			t.Errorf("the chat shows the ID number or the password: %q", m.Text)
		}
	}

	w.Say("/withdraw", "确定撤回申请 "+a.Reference)
	group := w.Snapshot(ReviewChat)
	w.Press("撤回申请", "已撤回")
	edited := w.Await(ReviewChat, group, "申请人已撤回")
	if edited.ID != card.ID || len(edited.Buttons) != 0 {
		t.Errorf("the group's card after the withdrawal: %+v", edited)
	}
	// Again, by the old button and by the command: refused with the
	// status, nothing recorded twice.
	w.Press("撤回申请", "已不能撤回")
	w.Say("/withdraw", "已撤回")
	// A reviewer's late tap on the old card decides nothing.
	before := len(w.TG.Calls("answerCallbackQuery"))
	w.TG.Press(w.Group, card.ID, card.Buttons[0][0].Data)
	if !w.TG.WaitFor(WaitTime, func() bool { return len(w.TG.Calls("answerCallbackQuery")) > before }) ||
		!answered(w.TG, "申请人已撤回") {
		t.Error("the reviewer's tap on a withdrawn application was not answered with the withdrawal")
	}
	if got, _ := w.Main.DB.Get(ctx, a.ID); got.Status != domain.StatusWithdrawn {
		t.Fatalf("status after a late approval: %s", got.Status)
	}

	w.Say("/delete", "是否同时删除申请 "+a.Reference)
	w.Press("删除个人信息", "个人信息已删除")
	got, err := w.Main.DB.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ErasedAt.IsZero() || got.Contact.Person != "" || got.Contact.Mobile != "" || got.Account.LegalRepID.Ciphertext != nil ||
		got.Account.SealedPassword != nil || len(got.Attachments) != 0 {
		t.Errorf("personal data left after /delete: %+v", got)
	}
	if got.Reference != a.Reference || got.Status != domain.StatusWithdrawn {
		t.Errorf("the record after /delete: %s %s", got.Reference, got.Status)
	}
	for _, at := range a.Attachments {
		if _, err := w.Main.DB.Blobs().Get(ctx, at.BlobKey); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("document %s still stored: %v", at.Kind, err)
		}
	}
	trail, err := w.Main.DB.AuditTrail(ctx, a.ID)
	if err != nil || len(trail) != 2 || trail[0].Action != "withdrawn" || trail[1].Action != "erased" || trail[1].Actor != "applicant" {
		t.Errorf("audit trail: %+v, %v", trail, err)
	}
	// Again: said, nothing more erased or audited.
	w.Say("/delete", "个人信息已删除")
	if again, _ := w.Main.DB.AuditTrail(ctx, a.ID); len(again) != len(trail) {
		t.Errorf("a second /delete added audit rows: %+v", again)
	}
	w.Say("/mydata", "个人信息已删除")
	w.Say("/status", "已撤回")
	w.Press("重新注册", "开始注册")
}

// TestPurge: the operator's purge lists, then erases, the applications
// over (rejected, withdrawn, provisioned) longer than the age given; a
// second run finds nothing; bad calls are refused and change nothing.
func TestPurge(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	bin := BuildRegbot(t)
	ctx := context.Background()
	v := TestVault(t)
	rejected := SeedApplication(t, w.Main.DB, v, 1, domain.UserDirect)
	approved := SeedApplication(t, w.Main.DB, v, 2, domain.UserRetail)
	provisioned := SeedApplication(t, w.Main.DB, v, 3, domain.UserRetail)
	pending := SeedApplication(t, w.Main.DB, v, 4, domain.UserRetail)
	decide(t, w, rejected, domain.VerdictReject)
	decide(t, w, approved, domain.VerdictApprove)
	decide(t, w, provisioned, domain.VerdictApprove)
	if _, _, err := w.Main.DB.Provision(ctx, provisioned.ID, "", "clerk"); err != nil {
		t.Fatal(err)
	}
	// Over for 200 days.
	if _, err := w.Conn().Exec(ctx, `UPDATE applications SET updated_at = now() - interval '200 days' WHERE id = ANY($1)`,
		[]int64{rejected.ID, approved.ID, provisioned.ID, pending.ID}); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := operator(t, bin, w, nil, "purge", "--older-than", "365d", "--operator", "运维")
	if code != 0 || !strings.Contains(stdout, "0 applications") {
		t.Fatalf("purge of a year: exit %d, %q %q", code, stdout, stderr)
	}
	stdout, _, code = operator(t, bin, w, nil, "purge", "--older-than", "180d", "--operator", "运维")
	if code != 0 || !strings.Contains(stdout, "would erase "+rejected.Reference) || !strings.Contains(stdout, "would erase "+provisioned.Reference) ||
		strings.Contains(stdout, approved.Reference) || strings.Contains(stdout, pending.Reference) {
		t.Fatalf("dry run: exit %d, %q", code, stdout)
	}
	if got, _ := w.Main.DB.Get(ctx, rejected.ID); !got.ErasedAt.IsZero() {
		t.Fatal("the dry run erased")
	}
	stdout, stderr, code = operator(t, bin, w, nil, "purge", "--older-than", "180d", "--operator", "运维", "--yes")
	if code != 0 || !strings.Contains(stdout, "2 applications") {
		t.Fatalf("purge --yes: exit %d, %q %q", code, stdout, stderr)
	}
	for _, a := range []*domain.Application{rejected, provisioned} {
		got, _ := w.Main.DB.Get(ctx, a.ID)
		trail, _ := w.Main.DB.AuditTrail(ctx, a.ID)
		last := trail[len(trail)-1]
		if got.ErasedAt.IsZero() || got.Contact.Person != "" || last.Action != "erased" || last.Actor != "运维" {
			t.Errorf("%s after the purge: erased %v, contact %q, audit %+v", a.Reference, got.ErasedAt, got.Contact.Person, last)
		}
	}
	for _, a := range []*domain.Application{approved, pending} {
		if got, _ := w.Main.DB.Get(ctx, a.ID); !got.ErasedAt.IsZero() || got.Contact.Person == "" {
			t.Errorf("%s (%s) was erased", a.Reference, got.Status)
		}
	}
	stdout, _, code = operator(t, bin, w, nil, "purge", "--older-than", "180d", "--operator", "运维", "--yes")
	if code != 0 || !strings.Contains(stdout, "0 applications") {
		t.Errorf("second purge: exit %d, %q", code, stdout)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"purge", "--older-than", "180d"}, "needs --operator"},
		{[]string{"purge", "--operator", "运维"}, "--older-than"},
		{[]string{"purge", "--older-than", "-3d", "--operator", "运维"}, "positive age"},
		{[]string{"purge", "--older-than", "半年", "--operator", "运维"}, "positive age"},
	} {
		_, stderr, code := operator(t, bin, w, nil, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("applications %s: exit %d, %q; want 2 with %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
}
