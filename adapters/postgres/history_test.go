package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/domain"
)

func TestPreviousKeepsTheRejectedVersion(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, ref := MustSubmit(t, db, "k1", newApp(t, db, 1))
	_, err := db.Previous(ctx, id)
	wantCode(t, err, domain.CodeNotFound, "")

	rejected, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject,
		ReviewerID: 7, ReviewerName: "王审核", Reason: "营业执照不清晰"})
	if err != nil {
		t.Fatal(err)
	}
	want := *rejected
	want.Accounts = append([]domain.MarketingAccount(nil), rejected.Accounts...)
	want.Account.SealedPassword = nil // not kept in the history, nor the ID number's ciphertext
	want.Account.LegalRepID.Ciphertext, want.Account.LegalRepID.KeyID = nil, ""

	edited, _ := db.Get(ctx, id)
	edited.Contact.Mobile = "13900139000"
	edited.Accounts = edited.Accounts[:1]
	if err := edited.Submit(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a redelivered resubmission adds no second version
		if _, _, _, err := db.Submit(ctx, "k2", edited); err != nil {
			t.Fatal(err)
		}
	}
	prev, err := db.Previous(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, prev); diff != "" {
		t.Errorf("Previous (-want +got):\n%s", diff)
	}
	var n int
	if err := db.QueryRowForTest(ctx, `SELECT count(*) FROM application_versions`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d versions stored (%v), want 1", n, err)
	}
	if got, err := db.GetByReference(ctx, " "+strings.ToLower(ref)+" "); err != nil || got.ID != id || got.Contact.Mobile != "13900139000" {
		t.Errorf("GetByReference = %+v, %v", got, err)
	}
	_, err = db.GetByReference(ctx, "CQ-20000101-999999")
	wantCode(t, err, domain.CodeNotFound, "")

	for _, stmt := range []string{
		`UPDATE application_versions SET status = 'approved'`,
		`DELETE FROM application_versions`,
		`TRUNCATE application_versions`,
	} {
		if _, err := db.ExecForTest(ctx, stmt); err == nil {
			t.Errorf("%s: succeeded", stmt)
		}
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var ids []int64
	for n := 1; n <= 3; n++ {
		app := newApp(t, db, n)
		app.SubmittedAt = base.Add(time.Duration(4-n) * time.Hour) // 3, 2, 1 oldest first
		id, _ := MustSubmit(t, db, fmt.Sprint("k", n), app)
		ids = append(ids, id)
	}
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: ids[1], Verdict: domain.VerdictApprove, ReviewerID: 1}); err != nil {
		t.Fatal(err)
	}
	listed := func(status domain.Status, limit int) []int64 {
		apps, err := db.List(ctx, status, limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, a := range apps {
			got = append(got, a.ID)
			if len(a.Units()) != 3 || len(a.Attachments) != 2 {
				t.Errorf("listed application %d lacks its children", a.ID)
			}
		}
		return got
	}
	for _, tt := range []struct {
		status domain.Status
		limit  int
		want   []int64
	}{
		{"", 0, []int64{ids[2], ids[1], ids[0]}},
		{"", 2, []int64{ids[2], ids[1]}},
		{domain.StatusSubmitted, 0, []int64{ids[2], ids[0]}},
		{domain.StatusApproved, 0, []int64{ids[1]}},
		{domain.StatusRejected, 0, nil},
	} {
		if diff := cmp.Diff(tt.want, listed(tt.status, tt.limit)); diff != "" {
			t.Errorf("List(%q, %d) (-want +got):\n%s", tt.status, tt.limit, diff)
		}
	}
}

// TestVersionsLoseTheIDCiphertext: migration 00010 strips the ID number's
// ciphertext and key id from versions written before it (keeping the hash
// and masked copy the diff uses), and leaves the versions append-only.
func TestVersionsLoseTheIDCiphertext(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "k", newApp(t, db, 1))
	if _, err := db.ExecForTest(ctx, `INSERT INTO application_versions (application_id, version, status, snapshot)
		VALUES ($1, 1, 'rejected', '{"acc": {"ln": "x", "id": {"k": "k1", "c": "AQID", "h": "CQgH", "m": "500***"}}}')`, id); err != nil {
		t.Fatal(err)
	}
	up, _ := migrationSections(t, "migrations/00010_versions_without_id_cipher.sql")
	if _, err := db.ExecForTest(ctx, up); err != nil {
		t.Fatal(err)
	}
	var snap string
	if err := db.QueryRowForTest(ctx, `SELECT snapshot::text FROM application_versions WHERE application_id = $1`, id).Scan(&snap); err != nil {
		t.Fatal(err)
	}
	if want := `{"acc": {"id": {"h": "CQgH", "m": "500***"}, "ln": "x"}}`; snap != want {
		t.Errorf("snapshot %s, want %s", snap, want)
	}
	if _, err := db.ExecForTest(ctx, `UPDATE application_versions SET status = 'x'`); err == nil {
		t.Error("the versions are no longer append-only after the migration")
	}
}
