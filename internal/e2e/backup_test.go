package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// TestBackupAndRestore follows docs/operations.md: pg_dump of a database in
// use, pg_restore into a fresh cluster, regbot started on it. It carries
// on: the applications are there with their documents and decisions, the
// notice still pending at the dump goes out, a reviewer decides from a card
// of before the backup, an applicant's draft (in Redis) continues.
func TestBackupAndRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run deploy/install-deps.sh (PostgreSQL's client tools)", tool)
		}
	}
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	LoadCatalog(t, w.Cfg.DatabaseURL)
	v := TestVault(t)
	pending := SeedApplication(t, w.Main.DB, v, 1, domain.UserDirect)
	decided := SeedApplication(t, w.Main.DB, v, 2, domain.UserRetail)
	card := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+pending.Reference)
	steps := RegistrationSteps(w)
	for _, step := range steps[:6] { // a draft in progress, in Redis
		step()
	}
	w.stop()
	w.stop = nil
	// A decision recorded while no bot runs: its notice is pending in the dump.
	db, err := postgres.Open(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = db.Decide(ctx, decided.Version, domain.Decision{ApplicationID: decided.ID, Verdict: domain.VerdictReject,
		ReviewerID: Reviewer, ReviewerName: "王审核", Reason: "材料不全"})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	dump := t.TempDir() + "/regbot.dump"
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, w.Cfg.DatabaseURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "regbot-restore-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	fresh, err := devstack.StartPostgres(ctx, dir, devstack.PostgresOptions{Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fresh.Stop() })
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+fresh.URL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	w.Cfg.DatabaseURL = fresh.URL
	before := w.Snapshot(decided.ChatID)
	w.Boot()
	w.Await(decided.ChatID, before, "未通过审核")
	for _, a := range []*domain.Application{pending, decided} {
		got, err := w.Main.DB.Get(ctx, a.ID)
		if err != nil || got.Reference != a.Reference || len(got.Attachments) != 2 {
			t.Fatalf("%s after the restore: %+v, %v", a.Reference, got, err)
		}
		for _, at := range got.Attachments {
			if _, err := w.Main.DB.Blobs().Get(ctx, at.BlobKey); err != nil {
				t.Errorf("%s: document %s lost: %v", a.Reference, at.Kind, err)
			}
		}
	}
	// The card of before the backup still decides.
	group := w.Snapshot(ReviewChat)
	w.TG.Press(w.Group, card.ID, card.Buttons[0][0].Data)
	w.Await(ReviewChat, group, "已通过")
	if got, _ := w.Main.DB.Get(ctx, pending.ID); got.Status != domain.StatusApproved {
		t.Errorf("status after approving on the restored database: %s", got.Status)
	}
	// The draft carries on where it was.
	for _, step := range steps[6:9] {
		step()
	}
}
