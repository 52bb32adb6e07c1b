package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// actions lists the actions of an application's audit trail.
func actions(tb testing.TB, db *postgres.DB, id int64) []string {
	tb.Helper()
	trail, err := db.AuditTrail(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range trail {
		out = append(out, e.Actor+":"+e.Action)
	}
	return out
}

// noticeKinds lists the kinds of the notices recorded for application id.
func noticeKinds(tb testing.TB, db *postgres.DB, id int64) []review.NoticeKind {
	tb.Helper()
	var kinds []review.NoticeKind
	for _, n := range MustClaim(tb, db, 100) {
		if n.ApplicationID == id {
			kinds = append(kinds, n.Kind)
		}
	}
	return kinds
}

func TestExportAndProvision(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "a", newApp(t, db, 1))
	other, _ := MustSubmit(t, db, "b", newApp(t, db, 2))

	_, _, err := db.Provision(ctx, id, "P-1", "clerk")
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)
	_, _, err = db.Provision(ctx, id+100, "P-1", "clerk")
	wantCode(t, err, domain.CodeNotFound, "")

	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictApprove, ReviewerID: 1}); err != nil {
		t.Fatal(err)
	}
	MustClaim(t, db, 100) // the submissions' and the decision's notices
	toExport := func() []int64 {
		apps, err := db.ToExport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, a := range apps {
			ids = append(ids, a.ID)
		}
		return ids
	}
	if got := toExport(); len(got) != 1 || got[0] != id {
		t.Fatalf("to export = %v, want [%d] (the approved one only)", got, id)
	}
	if err := db.MarkExported(ctx, []int64{id}, "clerk", "pmos"); err != nil {
		t.Fatal(err)
	}
	first, _ := db.Get(ctx, id)
	if got := toExport(); len(got) != 0 || first.ExportedAt.IsZero() {
		t.Fatalf("after the export: to export %v, exported at %v", got, first.ExportedAt)
	}
	// Exported again (--again): audited again, the first time kept.
	if err := db.MarkExported(ctx, []int64{id}, "clerk2", "pmos again"); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.Get(ctx, id); !again.ExportedAt.Equal(first.ExportedAt) {
		t.Errorf("exported at moved from %v to %v", first.ExportedAt, again.ExportedAt)
	}

	app, changed, err := db.Provision(ctx, id, "P-1", "clerk")
	if err != nil || !changed {
		t.Fatalf("Provision = %v, changed %v", err, changed)
	}
	got, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.StatusProvisioned || got.PlatformID != "P-1" || got.ProvisionedAt.IsZero() ||
		got.Account.SealedPassword != nil || got.Version != app.Version || app.Version != 3 {
		t.Fatalf("provisioned: status %s, platform id %q, at %v, password %q, version %d/%d",
			got.Status, got.PlatformID, got.ProvisionedAt, got.Account.SealedPassword, got.Version, app.Version)
	}
	if kinds := noticeKinds(t, db, id); !slices.Equal(kinds, []review.NoticeKind{review.NoticeProvisioned, review.NoticeCards}) {
		t.Fatalf("notices after provisioning = %v, want the applicant's and the group's cards", kinds)
	}
	// Again (a clerk's second run): nothing changes, nobody is told twice.
	if _, changed, err := db.Provision(ctx, id, "P-2", "clerk"); err != nil || changed {
		t.Fatalf("second Provision = %v, changed %v", err, changed)
	}
	if again, _ := db.Get(ctx, id); again.PlatformID != "P-1" || !again.ProvisionedAt.Equal(got.ProvisionedAt) {
		t.Errorf("second Provision changed it: %q at %v", again.PlatformID, again.ProvisionedAt)
	}
	if kinds := noticeKinds(t, db, id); len(kinds) != 0 {
		t.Errorf("second Provision recorded notices %v", kinds)
	}
	want := []string{"clerk:export", "clerk2:export", "clerk:provisioned"}
	if got := actions(t, db, id); !slices.Equal(got, want) {
		t.Errorf("audit trail = %v, want %v", got, want)
	}
	if got := actions(t, db, other); len(got) != 0 {
		t.Errorf("the other application's audit trail = %v", got)
	}
}

func TestWithdraw(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	id, _ := MustSubmit(t, db, "a", app)
	MustClaim(t, db, 100)

	_, err := db.Withdraw(ctx, id, app.ChatID+1)
	wantCode(t, err, domain.CodeNotFound, "")
	_, err = db.Withdraw(ctx, id+100, app.ChatID)
	wantCode(t, err, domain.CodeNotFound, "")
	got, err := db.Withdraw(ctx, id, app.ChatID)
	if err != nil || got.Status != domain.StatusWithdrawn || got.Version != 2 {
		t.Fatalf("Withdraw = %+v, %v", got, err)
	}
	_, err = db.Withdraw(ctx, id, app.ChatID)
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)
	if kinds := noticeKinds(t, db, id); len(kinds) != 1 || kinds[0] != review.NoticeWithdrawn {
		t.Errorf("notices = %v, want one withdrawn", kinds)
	}
	if got := actions(t, db, id); !slices.Equal(got, []string{"applicant:withdrawn"}) {
		t.Errorf("audit trail = %v", got)
	}
	// A withdrawn application frees its login name and metering points.
	again := newApp(t, db, 1)
	if _, _, created, err := db.Submit(ctx, "b", again); err != nil || !created {
		t.Fatalf("a new application after withdrawing: created %v, %v", created, err)
	}

	approved, _ := MustSubmit(t, db, "c", newApp(t, db, 2))
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: approved, Verdict: domain.VerdictApprove, ReviewerID: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = db.Withdraw(ctx, approved, 1002)
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)
}

func TestErase(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	id, ref := MustSubmit(t, db, "a", app)
	// A second application with the same documents: their bytes stay.
	twin := newApp(t, db, 2)
	twin.Attachments = app.Attachments
	twinID, _ := MustSubmit(t, db, "t", twin)
	own := []byte("%PDF-1.4 the first application's own page")
	ownKey := MustPut(t, db, own)

	// Pending: not the applicant's to erase.
	_, err := db.EraseApplication(ctx, id, app.ChatID)
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)

	// Rejected, edited, resubmitted and rejected again: an earlier version exists.
	rejected, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject, ReviewerID: 1, Reason: "营业执照不清晰"})
	if err != nil {
		t.Fatal(err)
	}
	rejected.SetAttachment(domain.Attachment{Kind: domain.AttachmentLicence, FileName: "licence.pdf", Size: int64(len(own)), SHA256: ownKey, BlobKey: ownKey})
	if err := rejected.Submit(time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.Submit(ctx, "a2", rejected); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Decide(ctx, 3, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject, ReviewerID: 1, Reason: "仍不清晰"}); err != nil {
		t.Fatal(err)
	}

	_, err = db.EraseApplication(ctx, id, app.ChatID+1)
	wantCode(t, err, domain.CodeNotFound, "")
	erased, err := db.EraseApplication(ctx, id, app.ChatID)
	if err != nil || !erased {
		t.Fatalf("EraseApplication = %v, %v", erased, err)
	}
	got, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ErasedAt.IsZero() || got.Reference != ref || got.Status != domain.StatusRejected ||
		got.Basic.EnterpriseName != app.Basic.EnterpriseName || len(got.Units()) == 0 {
		t.Fatalf("erasure lost the record: %+v", got)
	}
	for _, spec := range domain.Fields {
		if v := got.Value(spec.Field); spec.Personal && v != "" {
			t.Errorf("%s kept %q", spec.Field, v)
		}
	}
	if got.Account.LegalRepID.Ciphertext != nil || got.Account.LegalRepID.Hash != nil || got.Account.SealedPassword != nil {
		t.Errorf("secrets kept: %+v", got.Account)
	}
	var kept int
	if err := db.QueryRowForTest(ctx, `SELECT count(*) FROM application_versions
		WHERE application_id = $1 AND snapshot <> '{"erased": true}'::jsonb`, id).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("%d earlier versions kept their content (%v)", kept, err)
	}
	if _, err := db.Blobs().Get(ctx, ownKey); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("the erased application's own document is still stored: %v", err)
	}
	for _, a := range twin.Attachments {
		if _, err := db.Blobs().Get(ctx, a.BlobKey); err != nil {
			t.Errorf("a document another application uses was deleted: %v", err)
		}
	}
	if t2, _ := db.Get(ctx, twinID); t2.Contact.Person == "" || len(t2.Attachments) != 2 {
		t.Errorf("the other application lost data: %+v", t2)
	}

	// Again: nothing changes, and the trail says it once.
	if erased, err := db.EraseApplication(ctx, id, app.ChatID); err != nil || erased {
		t.Fatalf("second erasure = %v, %v", erased, err)
	}
	if got := actions(t, db, id); !slices.Equal(got, []string{"applicant:erased"}) {
		t.Errorf("audit trail = %v", got)
	}
	// The versions' tombstone is the only change their guard allows.
	if _, err := db.ExecForTest(ctx, `UPDATE application_versions SET snapshot = '{"x": 1}'::jsonb WHERE application_id = $1`, id); err == nil {
		t.Error("an earlier version was changed to something other than a tombstone")
	}
}

func TestPurgeAfterProvisioning(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	ids := map[domain.Status]int64{}
	for n, st := range []domain.Status{domain.StatusSubmitted, domain.StatusApproved, domain.StatusProvisioned, domain.StatusRejected, domain.StatusWithdrawn} {
		app := newApp(t, db, n+1)
		id, _ := MustSubmit(t, db, string(st), app)
		ids[st] = id
		var err error
		switch st {
		case domain.StatusApproved, domain.StatusProvisioned:
			_, _, err = db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictApprove, ReviewerID: 1})
		case domain.StatusRejected:
			_, _, err = db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject, ReviewerID: 1, Reason: "不符合条件"})
		case domain.StatusWithdrawn:
			_, err = db.Withdraw(ctx, id, app.ChatID)
		}
		if err == nil && st == domain.StatusProvisioned {
			_, _, err = db.Provision(ctx, id, "", "clerk")
		}
		if err != nil {
			t.Fatal(st, err)
		}
	}
	list := func(before time.Time) map[int64]bool {
		apps, err := db.ToPurge(ctx, before)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, a := range apps {
			got[a.ID] = true
		}
		return got
	}
	if got := list(time.Now().Add(-time.Hour)); len(got) != 0 {
		t.Errorf("purge of what changed an hour ago or earlier lists %v", got)
	}
	got := list(time.Now().Add(time.Minute))
	for st, id := range ids {
		if want := st == domain.StatusProvisioned || st.Erasable(); got[id] != want {
			t.Errorf("%s listed %v, want %v", st, got[id], want)
		}
	}
	_, err := db.Erase(ctx, ids[domain.StatusProvisioned], "operator", false)
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)
	_, err = db.Erase(ctx, ids[domain.StatusApproved], "operator", true)
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)
	if erased, err := db.Erase(ctx, ids[domain.StatusProvisioned], "operator", true); err != nil || !erased {
		t.Fatalf("purge of a provisioned application = %v, %v", erased, err)
	}
	if got := list(time.Now().Add(time.Minute)); got[ids[domain.StatusProvisioned]] {
		t.Error("an erased application is listed again")
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "a", newApp(t, db, 1))
	if err := db.Audit(ctx, id, "clerk", "export_secrets", "passwords of 1 application"); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, 0, "operator", "purge", "dry run"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE audit_log SET actor = 'someone else'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		if _, err := db.ExecForTest(ctx, stmt); err == nil {
			t.Errorf("%s: succeeded", stmt)
		}
	}
	if err := db.Audit(ctx, id, "", "export", ""); err == nil {
		t.Error("an audit row without an actor was written")
	}
	if got := actions(t, db, id); !slices.Equal(got, []string{"clerk:export_secrets"}) {
		t.Errorf("audit trail = %v", got)
	}
}

func TestCards(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "a", newApp(t, db, 1))
	for _, c := range []review.Card{{ChatID: -100, MessageID: 7}, {ChatID: -100, MessageID: 9}, {ChatID: -100, MessageID: 7}} {
		if err := db.AddCard(ctx, id, c.ChatID, c.MessageID); err != nil {
			t.Fatal(err)
		}
	}
	cards, err := db.Cards(ctx, id)
	if err != nil || len(cards) != 2 || cards[0].MessageID != 7 || cards[1].MessageID != 9 {
		t.Fatalf("Cards = %+v, %v; want messages 7 and 9 once each", cards, err)
	}
	if cards, err := db.Cards(ctx, id+100); err != nil || len(cards) != 0 {
		t.Errorf("cards of an unknown application = %+v, %v", cards, err)
	}
}
