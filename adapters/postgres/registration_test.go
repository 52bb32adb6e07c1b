package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/domain"
)

func TestSubmitRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	// Every field set, so that a field added to the domain but not stored
	// shows up here (or in allSet, if newApp does not fill it).
	app.Contact.Fax = "023-63001235"
	app.Attachments[1].FileID = "BQACAgUAAx1"
	app.Basic.BusinessTermOpen = true
	app.Basic.CatalogCreditCode, app.Basic.CreditCodeTyped = "91500103000000000M", true
	for i := range app.Attachments {
		app.Attachments[i].SourceSHA256 = fmt.Sprintf("%064d", i) // made from a photo
	}
	allSet(t, reflect.ValueOf(*app), "Application")
	id, ref := MustSubmit(t, db, "draft-1", app)
	if want := "CQ-20261126-" + pad6(id); ref != want { // 17:30 UTC is the next day in China
		t.Errorf("reference = %q, want %q", ref, want)
	}

	got, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := *app
	want.ID, want.Reference, want.Version = id, ref, 1
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Get after Submit (-want +got):\n%s", diff)
	}

	// Derived columns are stored for the exchange's own queries.
	var org, tax string
	if err := db.QueryRowForTest(ctx, `SELECT organization_code, tax_number FROM applications WHERE id = $1`, id).
		Scan(&org, &tax); err != nil {
		t.Fatal(err)
	}
	if org != "MA5UAEH71" || tax != "91500103MA5UAEH71T" {
		t.Errorf("organization_code, tax_number = %q, %q", org, tax)
	}

	// Optional values left empty come back empty.
	bare := newApp(t, db, 2)
	bare.Basic.BusinessTermUntil, bare.Basic.BusinessTermOpen = time.Time{}, true
	bare.Basic.FoundedOn = time.Time{}
	bare.Contact.Landline, bare.Contact.Fax = "", ""
	bare.Account.LegalRepID.Hash = nil
	bare.Attachments[0].FileID = ""
	id2, ref2 := MustSubmit(t, db, "draft-2", bare)
	got, err = db.Get(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	want = *bare
	want.ID, want.Reference, want.Version = id2, ref2, 1
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Get of a sparse application (-want +got):\n%s", diff)
	}

	_, err = db.Get(ctx, id2+100)
	wantCode(t, err, domain.CodeNotFound, "")
}

// allSet fails for every zero field under v, except those the store sets.
func allSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if v.Interface().(time.Time).IsZero() {
				t.Errorf("%s is not set", path)
			}
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			switch path + "." + f.Name {
			case "Application.ID", "Application.Reference", "Application.Version",
				// Set by the hand-off and the erasure, never by Submit (handoff_test.go).
				"Application.ExportedAt", "Application.ProvisionedAt", "Application.PlatformID", "Application.ErasedAt":
				continue
			}
			allSet(t, v.Field(i), path+"."+f.Name)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			t.Errorf("%s is empty", path)
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			allSet(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is not set", path)
		}
	}
}

func pad6(id int64) string { return fmt.Sprintf("%06d", id) }

func TestSubmitIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	id, ref := MustSubmit(t, db, "draft-1", app)

	id2, ref2, created, err := db.Submit(ctx, "draft-1", app)
	if err != nil || created || id2 != id || ref2 != ref {
		t.Errorf("second Submit = %d, %q, created=%v, %v; want %d, %q, created=false", id2, ref2, created, err, id, ref)
	}

	// A double tap delivered to two replicas at once.
	other := newApp(t, db, 2)
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[int64]bool{}
		creates int
	)
	for range n {
		wg.Go(func() {
			mine := *other // Submit sets the ID, reference and version on its copy
			id, _, created, err := db.Submit(ctx, "draft-2", &mine)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("concurrent Submit: %v", err)
				return
			}
			ids[id] = true
			if created {
				creates++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || creates != 1 {
		t.Errorf("concurrent Submits gave ids %v with %d creations; want one id, one creation", ids, creates)
	}

	var rows, units, atts int
	if err := db.QueryRowForTest(ctx, `SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM units),
		(SELECT count(*) FROM attachments)`).Scan(&rows, &units, &atts); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || units != 6 || atts != 4 {
		t.Errorf("%d applications, %d units, %d attachments; want 2, 6, 4", rows, units, atts)
	}
	// One review notice per application, however often it was submitted.
	if n := countNotices(t, db); n != 2 {
		t.Errorf("%d notices, want 2", n)
	}
}

func TestSubmitLoginNameConflict(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	first := newApp(t, db, 1)
	first.Account.LoginName = "cqyxjxzz"
	id, _ := MustSubmit(t, db, "draft-1", first)

	for _, name := range []string{"cqyxjxzz", "CQYXJXZZ", "CqYxJxZz"} {
		taken, err := db.LoginNameTaken(ctx, name)
		if err != nil || !taken {
			t.Errorf("LoginNameTaken(%q) = %v, %v; want true", name, taken, err)
		}
	}
	if taken, err := db.LoginNameTaken(ctx, "cqyxjxz"); err != nil || taken {
		t.Errorf("LoginNameTaken(prefix) = %v, %v; want false", taken, err)
	}

	second := newApp(t, db, 2)
	second.Account.LoginName = "CQyxjxZZ"
	_, _, _, err := db.Submit(ctx, "draft-2", second)
	wantCode(t, err, domain.CodeConflict, domain.FieldLoginName)
	if got := err.Error(); strings.Contains(got, "cqyxjxzz") || strings.Contains(got, "CQyxjxZZ") {
		t.Errorf("error %q shows the login name", got)
	}

	// A rejection releases the name.
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject,
		ReviewerID: 7, ReviewerName: "王审核", Reason: "营业执照不清晰"}); err != nil {
		t.Fatal(err)
	}
	if taken, err := db.LoginNameTaken(ctx, "cqyxjxzz"); err != nil || taken {
		t.Errorf("LoginNameTaken after rejection = %v, %v; want false", taken, err)
	}
	MustSubmit(t, db, "draft-2", second)
	if taken, err := db.LoginNameTaken(ctx, "cqyxjxzz"); err != nil || !taken {
		t.Errorf("LoginNameTaken after the second submission = %v, %v; want true", taken, err)
	}
}

func TestSubmitRefusesBadApplications(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)

	draft := newApp(t, db, 1)
	draft.Status = domain.StatusDraft
	_, _, _, err := db.Submit(ctx, "k1", draft)
	wantCode(t, err, domain.CodeInvalid, domain.FieldStatus)

	incomplete := newApp(t, db, 1)
	incomplete.Contact.Mobile = ""
	_, _, _, err = db.Submit(ctx, "k1", incomplete)
	wantCode(t, err, domain.CodeInvalid, "mobile")

	_, _, _, err = db.Submit(ctx, "", newApp(t, db, 1))
	wantCode(t, err, domain.CodeInvalid, "submission_key")

	region := newApp(t, db, 1)
	region.Basic.RegionCode = "510101"
	_, _, _, err = db.Submit(ctx, "k1", region)
	wantCode(t, err, domain.CodeInvalid, domain.FieldRegion)

	twice := newApp(t, db, 1)
	twice.Accounts[1].Number = twice.Accounts[0].Number
	_, _, _, err = db.Submit(ctx, "k1", twice)
	wantCode(t, err, domain.CodeInvalid, domain.FieldUnits)

	// An attachment whose bytes were never stored: nothing is kept.
	noBlob := newApp(t, db, 1)
	noBlob.Attachments[1].BlobKey = "0000000000000000000000000000000000000000000000000000000000000000"
	if _, _, _, err = db.Submit(ctx, "k1", noBlob); err == nil {
		t.Error("Submit with a missing blob succeeded")
	}

	var n int
	if err := db.QueryRowForTest(ctx, `SELECT (SELECT count(*) FROM applications) + (SELECT count(*) FROM units)
		+ (SELECT count(*) FROM marketing_accounts) + (SELECT count(*) FROM attachments)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows left behind by refused submissions", n)
	}
	MustSubmit(t, db, "k1", newApp(t, db, 1)) // the key was not used up
}

func TestResubmission(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	id, ref := MustSubmit(t, db, "draft-1", app)

	// Not rejected yet: nothing to resubmit.
	early := newApp(t, db, 1)
	early.ID, early.Status = id, domain.StatusResubmitted
	_, _, _, err := db.Submit(ctx, "draft-1b", early)
	wantCode(t, err, domain.CodeConflict, domain.FieldStatus)

	rejected, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject,
		ReviewerID: 7, ReviewerName: "王审核", Reason: "用电单元类型有误"})
	if err != nil {
		t.Fatal(err)
	}

	// The applicant edits the rejected application: different units, a
	// new licence, another bank account.
	edited := rejected
	edited.Basic.EnterpriseName = "重庆渝新机械制造股份有限公司"
	edited.Business.AccountNumber = "3100020109200999999"
	edited.Accounts = edited.Accounts[:1]
	edited.Accounts[0].Units = edited.Accounts[0].Units[1:]
	edited.Accounts[0].Units[0].UnitType = "large_industrial"
	licence := []byte("%PDF-1.4 new licence")
	edited.SetAttachment(domain.Attachment{Kind: domain.AttachmentLicence, FileName: "licence.pdf",
		Size: int64(len(licence)), SHA256: MustPut(t, db, licence), BlobKey: MustPut(t, db, licence)})
	if err := edited.Submit(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if edited.Status != domain.StatusResubmitted {
		t.Fatalf("status after domain Submit = %s", edited.Status)
	}

	for i, want := range []bool{true, false} { // the second call is a redelivery
		gotID, gotRef, created, err := db.Submit(ctx, "draft-2", edited)
		if err != nil || gotID != id || gotRef != ref || created != want {
			t.Fatalf("resubmission %d = %d, %q, created=%v, %v; want %d, %q, created=%v",
				i, gotID, gotRef, created, err, id, ref, want)
		}
	}

	got, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := *edited
	want.Version = 3 // submitted 1, rejected 2, resubmitted 3
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Get after resubmission (-want +got):\n%s", diff)
	}

	var units, accounts int
	if err := db.QueryRowForTest(ctx, `SELECT (SELECT count(*) FROM units), (SELECT count(*) FROM marketing_accounts)`).
		Scan(&units, &accounts); err != nil {
		t.Fatal(err)
	}
	if units != 1 || accounts != 1 {
		t.Errorf("%d units, %d accounts after resubmission; want the old ones replaced by 1, 1", units, accounts)
	}

	// The resubmission is open for review again, at its new version.
	approved, _, err := db.Decide(ctx, 3, domain.Decision{ApplicationID: id, Verdict: domain.VerdictApprove, ReviewerID: 8})
	if err != nil || approved.Status != domain.StatusApproved {
		t.Fatalf("Decide on the resubmission = %v, %v", approved, err)
	}

	unknown := newApp(t, db, 2)
	unknown.ID, unknown.Status = id+100, domain.StatusResubmitted
	_, _, _, err = db.Submit(ctx, "draft-3", unknown)
	wantCode(t, err, domain.CodeNotFound, "")
}

func TestResubmissionWithTheFirstKey(t *testing.T) {
	// A caller that keeps the draft's key across the rejection must still
	// get its resubmission stored.
	ctx := context.Background()
	db := MustOpen(t)
	id, ref := MustSubmit(t, db, "draft-1", newApp(t, db, 1))
	rejected, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject,
		ReviewerID: 7, ReviewerName: "王审核", Reason: "信息有误"})
	if err != nil {
		t.Fatal(err)
	}
	rejected.Contact.Mobile = "13900139000"
	if err := rejected.Submit(time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		gotID, gotRef, created, err := db.Submit(ctx, "draft-1", rejected)
		if err != nil || gotID != id || gotRef != ref || created != want {
			t.Fatalf("resubmission %d = %d, %q, created=%v, %v; want created=%v", i, gotID, gotRef, created, err, want)
		}
	}
	got, err := db.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.StatusResubmitted || got.Contact.Mobile != "13900139000" || got.Version != 3 {
		t.Errorf("after resubmission: status %s, mobile changed %v, version %d", got.Status,
			got.Contact.Mobile == "13900139000", got.Version)
	}
}

func TestDecide(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	approveID, _ := MustSubmit(t, db, "a", newApp(t, db, 1))
	rejectID, _ := MustSubmit(t, db, "r", newApp(t, db, 2))

	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	approval := domain.Decision{ApplicationID: approveID, Verdict: domain.VerdictApprove,
		ReviewerID: 42, ReviewerName: "王审核", DecidedAt: at}
	app, d, err := db.Decide(ctx, 1, approval)
	if err != nil {
		t.Fatal(err)
	}
	if app.Status != domain.StatusApproved || app.Version != 2 || app.ID != approveID {
		t.Errorf("approved application: status %s, version %d, id %d", app.Status, app.Version, app.ID)
	}
	if diff := cmp.Diff(approval, d); diff != "" {
		t.Errorf("returned decision (-want +got):\n%s", diff)
	}

	// A rejection needs a reason; nothing is written without one.
	_, _, err = db.Decide(ctx, 1, domain.Decision{ApplicationID: rejectID, Verdict: domain.VerdictReject, ReviewerID: 43})
	wantCode(t, err, domain.CodeInvalid, "reason")
	_, _, err = db.Decide(ctx, 1, domain.Decision{ApplicationID: rejectID, Verdict: "maybe", ReviewerID: 43})
	wantCode(t, err, domain.CodeInvalid, "verdict")

	rejection := domain.Decision{ApplicationID: rejectID, Verdict: domain.VerdictReject,
		ReviewerID: 43, ReviewerName: "赵审核", Reason: "营业执照已过期"}
	before := time.Now()
	app, d, err = db.Decide(ctx, 1, rejection)
	if err != nil {
		t.Fatal(err)
	}
	if app.Status != domain.StatusRejected || app.Version != 2 {
		t.Errorf("rejected application: status %s, version %d", app.Status, app.Version)
	}
	if d.DecidedAt.Before(before.Add(-time.Minute)) || d.DecidedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("DecidedAt = %v, want about now", d.DecidedAt)
	}
	rejection.DecidedAt = d.DecidedAt

	// A second decision, at the same (now stale) or the current version,
	// gets a conflict and the first decision.
	for _, version := range []int{1, 2} {
		app, first, err := db.Decide(ctx, version, domain.Decision{ApplicationID: approveID,
			Verdict: domain.VerdictReject, ReviewerID: 44, ReviewerName: "钱审核", Reason: "重复"})
		wantCode(t, err, domain.CodeConflict, domain.FieldStatus)
		if diff := cmp.Diff(approval, first); diff != "" {
			t.Errorf("version %d: conflicting decision (-want +got):\n%s", version, diff)
		}
		if app == nil || app.Status != domain.StatusApproved {
			t.Errorf("version %d: application on conflict = %+v", version, app)
		}
	}

	_, _, err = db.Decide(ctx, 1, domain.Decision{ApplicationID: approveID + 100, Verdict: domain.VerdictApprove})
	wantCode(t, err, domain.CodeNotFound, "")

	trail, err := db.Decisions(ctx, rejectID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]domain.Decision{rejection}, trail); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

func TestDecideConcurrently(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "k", newApp(t, db, 1))

	const n = 2
	type result struct {
		d     domain.Decision
		first domain.Decision
		err   error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			d := domain.Decision{ApplicationID: id, Verdict: domain.VerdictApprove, ReviewerID: int64(100 + i)}
			if i%2 == 1 {
				d.Verdict, d.Reason = domain.VerdictReject, "资料不全"
			}
			<-start
			_, first, err := db.Decide(ctx, 1, d)
			results[i] = result{d, first, err}
		})
	}
	close(start)
	wg.Wait()

	var winner *result
	for i := range results {
		if results[i].err == nil {
			if winner != nil {
				t.Fatalf("two decisions won: reviewers %d and %d", winner.d.ReviewerID, results[i].d.ReviewerID)
			}
			winner = &results[i]
		}
	}
	if winner == nil {
		t.Fatalf("no decision won: %v", results)
	}
	for _, r := range results {
		if r.err == nil {
			continue
		}
		wantCode(t, r.err, domain.CodeConflict, domain.FieldStatus)
		if r.first.ReviewerID != winner.d.ReviewerID || r.first.Verdict != winner.d.Verdict {
			t.Errorf("loser sees decision %+v; want the winner's (reviewer %d)", r.first, winner.d.ReviewerID)
		}
	}
	trail, err := db.Decisions(ctx, id)
	if err != nil || len(trail) != 1 {
		t.Errorf("audit trail = %v, %v; want one decision", trail, err)
	}
}

func TestDecisionsAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "k", newApp(t, db, 1))
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictApprove, ReviewerID: 1}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE review_decisions SET verdict = 'reject', reason = '改'`,
		`DELETE FROM review_decisions`,
		`TRUNCATE review_decisions`,
		`DELETE FROM applications`, // the audit trail keeps its applications
	} {
		if _, err := db.ExecForTest(ctx, stmt); err == nil {
			t.Errorf("%s: succeeded", stmt)
		}
	}
	trail, err := db.Decisions(ctx, id)
	if err != nil || len(trail) != 1 || trail[0].Verdict != domain.VerdictApprove {
		t.Errorf("audit trail = %+v, %v; want the approval unchanged", trail, err)
	}
}

func TestPendingFindAndFindByChat(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	ids := map[int]int64{}
	// Inserted 1, 2, 3 but submitted in the order 3, 1, 2.
	for n, offset := range []time.Duration{1: 2 * time.Hour, 2: 3 * time.Hour, 3: time.Hour} {
		if n == 0 {
			continue
		}
		app := newApp(t, db, n)
		app.SubmittedAt = base.Add(offset)
		app.ChatID = 555
		ids[n], _ = MustSubmit(t, db, fmt.Sprint("k", n), app)
	}
	decided := newApp(t, db, 4)
	decided.ChatID = 556
	id4, ref4 := MustSubmit(t, db, "k4", decided)
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id4, Verdict: domain.VerdictApprove}); err != nil {
		t.Fatal(err)
	}

	pending, err := db.Pending(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, a := range pending {
		got = append(got, a.ID)
		if len(a.Units()) != 3 || len(a.Attachments) != 2 {
			t.Errorf("pending application %d: %d units, %d attachments", a.ID, len(a.Units()), len(a.Attachments))
		}
	}
	if diff := cmp.Diff([]int64{ids[3], ids[1], ids[2]}, got); diff != "" {
		t.Errorf("Pending order (-want +got):\n%s", diff)
	}
	if pending, err := db.Pending(ctx, 1); err != nil || len(pending) != 1 || pending[0].ID != ids[3] {
		t.Errorf("Pending(1) = %v, %v; want the oldest", pending, err)
	}

	latest, err := db.FindByChat(ctx, 555)
	if err != nil || latest.ID != max(ids[1], ids[2], ids[3]) {
		t.Errorf("FindByChat = %v, %v; want the latest inserted", latest, err)
	}
	_, err = db.FindByChat(ctx, 999)
	wantCode(t, err, domain.CodeNotFound, "")

	for _, kw := range []string{"有限公司4", "CQYXJX04", ref4, ref4[3:11] + "-" + pad6(id4)} {
		found, err := db.Find(ctx, kw, 10)
		if err != nil || len(found) != 1 || found[0].ID != id4 {
			t.Errorf("Find(%q) = %d results, %v; want application %d", kw, len(found), err, id4)
		}
	}
	if found, err := db.Find(ctx, "91500103MA5U", 2); err != nil || len(found) != 2 {
		t.Errorf("Find(credit code, 2) = %d results, %v; want 2", len(found), err)
	}
	if found, err := db.Find(ctx, "_", 10); err != nil || len(found) != 0 {
		t.Errorf("Find(_) = %d results, %v; want none: _ is not a wildcard", len(found), err)
	}
}
