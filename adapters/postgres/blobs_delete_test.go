package postgres_test

import (
	"context"
	"testing"

	"github.com/regbot/regbot/domain"
)

func TestBlobsDeleteKeepsAttachedFiles(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	app := newApp(t, db, 1)
	MustSubmit(t, db, "key-1", app)
	attached := app.Attachments[0].BlobKey
	loose := MustPut(t, db, []byte("%PDF-1.4 a draft's file"))

	if err := db.Blobs().Delete(ctx, []string{attached, loose, "no-such-key"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Blobs().Get(ctx, loose); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("draft blob still there: %v", err)
	}
	if _, err := db.Blobs().Get(ctx, attached); err != nil {
		t.Errorf("attached blob deleted: %v", err)
	}
}
