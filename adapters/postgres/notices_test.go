package postgres_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/review"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
)

const lease = time.Minute

// MustClaim claims up to limit notices.
func MustClaim(tb testing.TB, db *postgres.DB, limit int) []review.Notice {
	tb.Helper()
	ns, err := db.Claim(context.Background(), nil, limit, lease)
	if err != nil {
		tb.Fatalf("Claim: %v", err)
	}
	return ns
}

// expireLeases makes every lease and retry delay run out, as if time passed.
func expireLeases(tb testing.TB, db *postgres.DB) {
	tb.Helper()
	if _, err := db.ExecForTest(context.Background(),
		`UPDATE notices SET claimed_until = now() - interval '1 second' WHERE claimed_until IS NOT NULL`); err != nil {
		tb.Fatal(err)
	}
}

func countNotices(tb testing.TB, db *postgres.DB) int {
	tb.Helper()
	var n int
	if err := db.QueryRowForTest(context.Background(), `SELECT count(*) FROM notices`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestSubmitAndDecideRecordNotices(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	id, _ := MustSubmit(t, db, "k1", app)
	// The replay of a submission (same key) records nothing.
	if _, _, created, err := db.Submit(ctx, "k1", newApp(t, db, 1)); err != nil || created {
		t.Fatalf("replay: created=%v, %v", created, err)
	}
	if n := countNotices(t, db); n != 1 {
		t.Fatalf("%d notices after a submission and its replay, want 1", n)
	}
	got := MustClaim(t, db, 10)
	want := []review.Notice{{ID: got[0].ID, Kind: review.NoticeSubmitted, ApplicationID: id, Version: 1, Attempts: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}

	rejection := domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject, ReviewerID: 43,
		ReviewerName: "赵审核", Reason: "营业执照已过期", DecidedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	if _, _, err := db.Decide(ctx, 1, rejection); err != nil {
		t.Fatal(err)
	}
	// A decision that loses (stale version) records nothing.
	if _, _, err := db.Decide(ctx, 1, rejection); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("second decision: %v, want a conflict", err)
	}
	got = MustClaim(t, db, 10)
	if len(got) != 2 {
		t.Fatalf("claimed %+v after the decision; want the applicant's notice and the cards", got)
	}
	want = []review.Notice{{ID: got[0].ID, Kind: review.NoticeDecided, ApplicationID: id, Version: 1,
		Decision: rejection, Attempts: 1}, {ID: got[1].ID, Kind: review.NoticeCards, ApplicationID: id, Version: 1, Attempts: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimed after the decision (-want +got):\n%s", diff)
	}

	// The resubmission records its own notice at the new version, once.
	again := newApp(t, db, 1)
	again.ID, again.Status = id, domain.StatusResubmitted
	MustSubmit(t, db, "k2", again)
	if _, _, created, err := db.Submit(ctx, "k2", again); err != nil || created {
		t.Fatalf("replay of the resubmission: created=%v, %v", created, err)
	}
	got = MustClaim(t, db, 10)
	if len(got) != 1 || got[0].Kind != review.NoticeResubmitted || got[0].Version != 3 {
		t.Errorf("claimed after the resubmission: %+v; want one resubmitted at version 3", got)
	}
	if n := countNotices(t, db); n != 4 {
		t.Errorf("%d notices in all, want 4", n)
	}
}

// TestClaimByKind: each lane of the dispatcher claims its own kinds, so
// that the applicants' notices never wait behind the review group's.
func TestClaimByKind(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "k", newApp(t, db, 1))
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: id, Verdict: domain.VerdictApprove, ReviewerID: 1}); err != nil {
		t.Fatal(err)
	}
	applicants, err := db.Claim(ctx, []review.NoticeKind{review.NoticeDecided, review.NoticeProvisioned}, 10, lease)
	if err != nil || len(applicants) != 1 || applicants[0].Kind != review.NoticeDecided {
		t.Fatalf("applicants' lane claimed %+v, %v; want the decision only", applicants, err)
	}
	group, err := db.Claim(ctx, []review.NoticeKind{review.NoticeSubmitted, review.NoticeCards}, 10, lease)
	if err != nil || len(group) != 2 || group[0].Kind != review.NoticeSubmitted || group[1].Kind != review.NoticeCards {
		t.Fatalf("group's lane claimed %+v, %v; want the submission and the cards", group, err)
	}
}

// TestNoticeProgress: how far an attempt got comes back with the next
// claim of the notice, and only with it.
func TestNoticeProgress(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	submitApps(t, db, 2)
	ns := MustClaim(t, db, 10)
	if len(ns) != 2 || ns[0].Sent != nil {
		t.Fatalf("claimed %+v; want 2 notices without progress", ns)
	}
	if err := db.Progress(ctx, ns[0].ID, []int{901, 0}); err != nil {
		t.Fatal(err)
	}
	expireLeases(t, db)
	again := MustClaim(t, db, 10)
	if len(again) != 2 || !slices.Equal(again[0].Sent, []int{901, 0}) || again[0].Attempts != 2 || again[1].Sent != nil {
		t.Fatalf("claimed again %+v; want the first with its progress [901 0]", again)
	}
	// A notice sent is done with: its progress changes no more.
	if err := db.Done(ctx, again[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Progress(ctx, again[0].ID, []int{1}); err != nil {
		t.Fatal(err)
	}
	var sent []int64
	if err := db.QueryRowForTest(ctx, `SELECT sent_messages FROM notices WHERE id = $1`, again[0].ID).Scan(&sent); err != nil ||
		!slices.Equal(sent, []int64{901, 0}) {
		t.Errorf("progress of a sent notice = %v, %v", sent, err)
	}
}

// TestRepliesRecordedOnce: the review group's replies to an update are
// stored as a notice, once per key however often the update comes, and
// dropped once sent or given up.
func TestRepliesRecordedOnce(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	prompt := []conversation.Reply{{ChatID: -100, Text: "请回复驳回原因 #R1.1.7", ForceReply: true, ReplyTo: 7},
		{ChatID: -100, Text: "申请 CQ-1", Buttons: [][]conversation.Button{{{Text: "通过", Data: "rv|a|1|1"}}}, CardOf: 1}}
	for range 2 { // the update delivered again
		if err := db.AddReplies(ctx, "c:42", prompt); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddReplies(ctx, "m:-100:8", []conversation.Reply{{ChatID: -100, Text: "待审核 0 件"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddReplies(ctx, "", prompt); err == nil {
		t.Error("AddReplies without a key succeeded")
	}
	got, err := db.Claim(ctx, []review.NoticeKind{review.NoticeReplies}, 10, lease)
	if err != nil || len(got) != 2 {
		t.Fatalf("claimed %+v, %v; want 2 replies notices", got, err)
	}
	want := review.Notice{ID: got[0].ID, Kind: review.NoticeReplies, Replies: prompt, Attempts: 1}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}

	if err := db.Done(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.GiveUp(ctx, got[1].ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRowForTest(ctx, `SELECT count(*) FROM notices WHERE replies IS NOT NULL`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d notices still hold their replies after being sent or given up (%v)", left, err)
	}
	// Still recorded once: the key outlives the payload.
	if err := db.AddReplies(ctx, "c:42", prompt); err != nil {
		t.Fatal(err)
	}
	if n := countNotices(t, db); n != 2 {
		t.Errorf("%d notices, want 2", n)
	}
}

// TestClaimConcurrently has claimers race for notices: each is handed to
// exactly one of them.
func TestClaimConcurrently(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	id, _ := MustSubmit(t, db, "k", newApp(t, db, 1))
	const extra = 199
	if _, err := db.ExecForTest(ctx, `INSERT INTO notices (kind, application_id, app_version)
		SELECT 'submitted', $1, 1 FROM generate_series(1, $2)`, id, extra); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		claimed = map[int64]int{}
		wg      sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				ns, err := db.Claim(ctx, nil, 3, lease)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ns) == 0 {
					return
				}
				mu.Lock()
				for _, n := range ns {
					claimed[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != extra+1 {
		t.Errorf("%d notices claimed, want %d", len(claimed), extra+1)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("notice %d claimed %d times", id, n)
		}
	}
}

func TestNoticeLeaseDoneRetryGiveUp(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	submitApps(t, db, 3)
	ns := MustClaim(t, db, 10)
	if len(ns) != 3 || ns[0].ID > ns[1].ID || ns[1].ID > ns[2].ID {
		t.Fatalf("claimed %+v; want 3, oldest first", ns)
	}
	if again := MustClaim(t, db, 10); len(again) != 0 {
		t.Fatalf("leased notices claimed again: %+v", again)
	}
	sent, retried, abandoned := ns[0], ns[1], ns[2]
	if err := db.Done(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.GiveUp(ctx, abandoned.ID); err != nil {
		t.Fatal(err)
	}
	// The claimer of retried died: once its lease ran out it is due again.
	expireLeases(t, db)
	got := MustClaim(t, db, 10)
	if len(got) != 1 || got[0].ID != retried.ID || got[0].Attempts != 2 {
		t.Fatalf("after the lease ran out: %+v; want notice %d, attempt 2", got, retried.ID)
	}
	// Retry releases it after the delay only.
	if err := db.Retry(ctx, retried.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := MustClaim(t, db, 10); len(got) != 0 {
		t.Fatalf("claimed before the retry delay: %+v", got)
	}
	if err := db.Retry(ctx, retried.ID, 0); err != nil {
		t.Fatal(err)
	}
	if got := MustClaim(t, db, 10); len(got) != 1 || got[0].Attempts != 3 {
		t.Fatalf("after Retry(0): %+v; want the notice, attempt 3", got)
	}
	// Sent and given-up notices stay out for good.
	expireLeases(t, db)
	if err := db.Done(ctx, retried.ID); err != nil {
		t.Fatal(err)
	}
	if got := MustClaim(t, db, 10); len(got) != 0 {
		t.Fatalf("claimed after Done and GiveUp: %+v", got)
	}
	pending, nsent, gaveUp, err := db.NoticeCounts(ctx)
	if err != nil || pending != 0 || nsent != 2 || gaveUp != 1 {
		t.Errorf("counts: pending %d, sent %d, given up %d, %v; want 0, 2, 1", pending, nsent, gaveUp, err)
	}

	// A load test reusing the database discards what an earlier run left.
	MustSubmit(t, db, "d", newApp(t, db, 7))
	if n, err := db.DiscardPendingNotices(ctx); err != nil || n != 1 {
		t.Errorf("DiscardPendingNotices = %d, %v; want 1", n, err)
	}
	if got := MustClaim(t, db, 10); len(got) != 0 {
		t.Errorf("claimed after discarding: %+v", got)
	}
}

// Sent and given-up notices are pruned once older than the cut-off;
// pending ones stay, however old.
func TestPruneNotices(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	submitApps(t, db, 4)
	ns := MustClaim(t, db, 10)
	if len(ns) != 4 {
		t.Fatalf("claimed %d; want 4", len(ns))
	}
	oldSent, newSent, oldGivenUp, pending := ns[0], ns[1], ns[2], ns[3]
	for _, id := range []int64{oldSent.ID, newSent.ID} {
		if err := db.Done(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.GiveUp(ctx, oldGivenUp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecForTest(ctx, `UPDATE notices SET sent_at = now() - interval '40 days' WHERE id = $1`, oldSent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecForTest(ctx, `UPDATE notices SET given_up_at = now() - interval '40 days' WHERE id = $1`, oldGivenUp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecForTest(ctx, `UPDATE notices SET created_at = now() - interval '40 days' WHERE id = $1`, pending.ID); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneNotices(ctx, time.Now().Add(-30*24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PruneNotices = %d, %v; want 2 (the old sent one and the old given-up one)", n, err)
	}
	p, sent, gaveUp, err := db.NoticeCounts(ctx)
	if err != nil || p != 1 || sent != 1 || gaveUp != 0 {
		t.Errorf("left: pending %d, sent %d, given up %d, %v; want 1, 1, 0", p, sent, gaveUp, err)
	}
}

// submitApps submits n applications, each with its notice.
func submitApps(tb testing.TB, db *postgres.DB, n int) {
	tb.Helper()
	for i := range n {
		MustSubmit(tb, db, string(rune('a'+i)), newApp(tb, db, i))
	}
}

func TestOldestWaiting(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	if r, h, err := db.OldestWaiting(ctx); err != nil || !r.IsZero() || !h.IsZero() {
		t.Fatalf("empty: %v %v %v", r, h, err)
	}
	early, late := newApp(t, db, 1), newApp(t, db, 2)
	early.SubmittedAt = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	late.SubmittedAt = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	earlyID, _ := MustSubmit(t, db, "e", early)
	MustSubmit(t, db, "l", late)
	before := time.Now()
	if _, _, err := db.Decide(ctx, 1, domain.Decision{ApplicationID: earlyID, Verdict: domain.VerdictApprove, ReviewerID: 1}); err != nil {
		t.Fatal(err)
	}
	r, h, err := db.OldestWaiting(ctx)
	if err != nil || !r.Equal(late.SubmittedAt) || h.Before(before.Add(-time.Minute)) || h.After(time.Now().Add(time.Minute)) {
		t.Fatalf("review since %v (want %v), handoff since %v (want about now), %v", r, late.SubmittedAt, h, err)
	}
	if _, _, err := db.Provision(ctx, earlyID, "", "clerk"); err != nil {
		t.Fatal(err)
	}
	if _, h, _ := db.OldestWaiting(ctx); !h.IsZero() {
		t.Errorf("handoff since %v after provisioning", h)
	}
}
