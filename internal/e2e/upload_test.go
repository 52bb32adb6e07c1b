package e2e

import (
	"context"
	"image/color"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// registerWith runs a full registration (RegistrationSteps) in a booted
// world with a catalog, with attach in place of sending the access-catalog
// file: attach must leave the chat at the licence question.
func registerWith(t *testing.T, w *World, attach func()) {
	t.Helper()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}
	attached := false
	for _, step := range RegistrationSteps(w) {
		switch last, _ := w.TG.LastMessage(w.User.ID); {
		case step == nil:
			w.QueryStep()
		case !attached && strings.Contains(last.Text, "准入目录文件（PDF"):
			attach()
			attached = true // this step sent the catalog file
		default:
			step()
		}
	}
	if !attached {
		t.Fatal("the registration never asked for the access-catalog file")
	}
}

// reviewedPDF returns the pages of the document the review group got under
// name with the submission.
func reviewedPDF(t *testing.T, w *World, name string) []conversationtest.Page {
	t.Helper()
	var doc *telegramtest.Document
	w.TG.WaitFor(WaitTime, func() bool {
		for _, m := range w.TG.Messages(ReviewChat) {
			if m.Document != nil && m.Document.FileName == name {
				doc = m.Document
				return true
			}
		}
		return false
	})
	if doc == nil {
		t.Fatalf("the review group got no %s", name)
	}
	pages, err := conversationtest.Pages(doc.Data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pages
}

// storedNames returns the stored attachments' kinds and names.
func storedNames(t *testing.T, w *World) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT kind || ' ' || file_name FROM attachments ORDER BY position`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, ",")
}

// albumOf is an album of JPEG photos.
func albumOf(specs []conversationtest.PhotoSpec) []telegramtest.AlbumItem {
	items := make([]telegramtest.AlbumItem, len(specs))
	for i, sp := range specs {
		items[i] = telegramtest.AlbumItem{Data: conversationtest.Photo(sp)}
	}
	return items
}

var pageSpecs = []conversationtest.PhotoSpec{
	{W: 120, H: 170, Color: color.RGBA{220, 30, 30, 255}},
	{W: 120, H: 170, Color: color.RGBA{30, 180, 30, 255}, Orientation: 6}, // held sideways
	{W: 170, H: 120, Color: color.RGBA{30, 30, 220, 255}},
	{W: 120, H: 170, Color: color.RGBA{200, 200, 30, 255}, Orientation: 8},
}

func checkPages(t *testing.T, pages []conversationtest.Page, specs []conversationtest.PhotoSpec) {
	t.Helper()
	if len(pages) != len(specs) {
		t.Fatalf("the PDF has %d pages, want %d", len(pages), len(specs))
	}
	for i, sp := range specs {
		if !pages[i].Upright(sp) {
			t.Errorf("page %d (%d×%d) is not photo %d upright", i+1, pages[i].W, pages[i].H, i+1)
		}
	}
}

// TestAlbumBecomesOnePDF sends three photos of the catalog as one album,
// whose updates arrive out of order: the reviewers get one PDF of three
// pages in the album's order, each upright.
func TestAlbumBecomesOnePDF(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	specs := pageSpecs[:3]
	registerWith(t, w, func() {
		before := w.Snapshot(w.User.ID)
		w.TG.SendAlbum(w.User, albumOf(specs), []int{2, 0, 1})
		w.Await(w.User.ID, before, "已收到这组照片中的 3 张")
		w.Press("转换为 PDF", "营业执照")
		w.Await(w.User.ID, before, "已生成文件：准入目录.pdf（共 3 页）")
	})
	checkPages(t, reviewedPDF(t, w, "准入目录.pdf"), specs)
	if got := storedNames(t, w); got != "catalog 准入目录.pdf,licence 营业执照.pdf" {
		t.Errorf("attachments = %s", got)
	}
}

// TestAlbumAcrossRestarts: the bot restarts while an album arrives, and
// again before its last photo (delivered late, after the conversion):
// no page is lost or doubled, and they stay in the album's order.
func TestAlbumAcrossRestarts(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	registerWith(t, w, func() {
		album := w.TG.NewAlbum(w.User, albumOf(pageSpecs))
		before := w.Snapshot(w.User.ID)
		album.Send(3)
		album.Send(0)
		w.Await(w.User.ID, before, "已收到这组照片中的 2 张")
		w.Restart()
		before = w.Snapshot(w.User.ID)
		album.Send(1)
		w.Await(w.User.ID, before, "已收到这组照片中的 3 张")
		w.Press("转换为 PDF", "共 3 页")
		w.Restart()
		before = w.Snapshot(w.User.ID)
		album.Send(2)
		w.Await(w.User.ID, before, "现共 4 页")
	})
	checkPages(t, reviewedPDF(t, w, "准入目录.pdf"), pageSpecs)
}

// TestPictureNamedPDF: a phone photo sent as a file called x.pdf, held
// sideways, is recognised as a picture, converted once the applicant
// agrees, upright, and stored as 准入目录.pdf.
func TestPictureNamedPDF(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	spec := conversationtest.PhotoSpec{W: 150, H: 210, Color: color.RGBA{240, 240, 240, 255}, Orientation: 6}
	registerWith(t, w, func() {
		w.Document("x.pdf", conversationtest.Photo(spec), "收到的是图片")
		w.Press("转换为 PDF", "营业执照")
	})
	checkPages(t, reviewedPDF(t, w, "准入目录.pdf"), []conversationtest.PhotoSpec{spec})
	if got := storedNames(t, w); got != "catalog 准入目录.pdf,licence 营业执照.pdf" {
		t.Errorf("attachments = %s", got)
	}
}

// TestFileLargerThanAnnounced: a file whose message announces 2 KiB but
// that is over 10 MiB is refused for its size, not reported as a failed
// download.
func TestFileLargerThanAnnounced(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	registerWith(t, w, func() {
		before := w.Snapshot(w.User.ID)
		w.TG.SendDocumentAnnouncing(w.User, "small.pdf", "application/pdf", make([]byte, domain.MaxAttachmentSize+1), 2048)
		got := w.Await(w.User.ID, before, "文件超过 10MB")
		if strings.Contains(got.Text, "下载失败") {
			t.Errorf("told %q", got.Text)
		}
		w.Document("目录.pdf", conversationtest.PDF("catalog"), "营业执照")
	})
}
