package postgres_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regbot/regbot/domain"
)

func TestTakenPoints(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	id, _ := MustSubmit(t, db, "key-1", app)

	ids := []string{"MP01-1", "MP01-3", "MP99-9"}
	taken, err := db.TakenPoints(ctx, ids, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"MP01-1": true, "MP01-3": true}, taken); diff != "" {
		t.Errorf("taken (-want +got):\n%s", diff)
	}
	// The application itself does not count against its own points.
	if taken, _ := db.TakenPoints(ctx, ids, id); len(taken) != 0 {
		t.Errorf("own points reported taken: %v", taken)
	}
	// A rejected application releases them.
	if _, _, err := db.Decide(ctx, app.Version, domain.Decision{ApplicationID: id, Verdict: domain.VerdictReject, ReviewerID: 1, Reason: "不清晰"}); err != nil {
		t.Fatal(err)
	}
	if taken, _ := db.TakenPoints(ctx, ids, 0); len(taken) != 0 {
		t.Errorf("points of a rejected application reported taken: %v", taken)
	}
}
