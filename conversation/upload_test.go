package conversation_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// upload sends a file as Telegram would: Kind InputDocument or InputPhoto,
// the message id (0: the next one).
func (h *harness) upload(kind conversation.InputKind, name, mime string, data []byte, msgID int) []conversation.Reply {
	h.t.Helper()
	return h.send(conversation.Input{Kind: kind, MessageID: msgID, Document: &conversation.Document{
		FileID: fmt.Sprintf("file-%d-%s", msgID, name), FileName: name, MIMEType: mime, Size: int64(len(data)), Data: data,
	}})
}

// stored returns the draft's document of kind and the pages of its PDF.
func (h *harness) stored(kind domain.AttachmentKind) (domain.Attachment, []conversationtest.Page) {
	h.t.Helper()
	s := h.session()
	at, ok := s.App.Attachment(kind)
	if !ok {
		h.t.Fatalf("no %s in the draft", kind)
	}
	pdf, err := h.files.Get(context.Background(), at.BlobKey)
	if err != nil {
		h.t.Fatalf("%s: %v", kind, err)
	}
	pages, err := conversationtest.Pages(pdf)
	if err != nil {
		h.t.Fatalf("%s: not a PDF of images: %v", kind, err)
	}
	return at, pages
}

var (
	red   = color.RGBA{220, 30, 30, 255}
	green = color.RGBA{30, 180, 30, 255}
	blue  = color.RGBA{30, 30, 220, 255}
)

// A file is judged by its content, whatever its name or MIME type says,
// and stored under the document's own name.
func TestUploadJudgedByContent(t *testing.T) {
	jpg := conversationtest.Photo(conversationtest.PhotoSpec{W: 40, H: 60})
	pdf := conversationtest.PDF("x")
	heic := []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	for _, tt := range []struct {
		name, mime string
		data       []byte
		convert    bool   // asked to convert, then stored
		refused    string // or refused, saying this
	}{
		{"x.pdf", "application/pdf", jpg, true, ""},
		{"x.PDF", "application/pdf", pngImage(t), true, ""},
		{"scan", "application/octet-stream", jpg, true, ""},
		{"x.jpg", "image/jpeg", pdf, false, ""},
		{"营业执照", "", pdf, false, ""},
		{"x.pdf.pdf", "application/pdf", pdf, false, ""},
		{"IMG_0001.pdf", "application/pdf", heic, false, "HEIC 格式的图片"},
		{"x.pdf", "application/pdf", []byte("GIF89a\x01\x00\x01\x00"), false, "GIF 格式的图片"},
		{"x.pdf", "application/pdf", []byte("PK\x03\x04 a Word file"), false, "不是 PDF"},
	} {
		t.Run(tt.name+" "+tt.mime, func(t *testing.T) {
			h := newHarness(t, conversation.Config{})
			h.toAttachments()
			h.upload(conversation.InputDocument, tt.name, tt.mime, tt.data, 0)
			switch {
			case tt.refused != "":
				h.expectSay(tt.refused)
				h.expectState(conversation.StAttCatalog)
				return
			case tt.convert:
				h.expectState(conversation.StAttCatImg)
				h.expectSay("收到的是图片")
				h.press("转换为 PDF")
			}
			h.expectState(conversation.StAttLicence)
			h.expectSay("已收到文件：准入目录.pdf")
			s := h.session()
			if at, _ := s.App.Attachment(domain.AttachmentCatalog); at.FileName != "准入目录.pdf" {
				t.Errorf("stored as %q, want 准入目录.pdf", at.FileName)
			}
			if tt.convert {
				if _, pages := h.stored(domain.AttachmentCatalog); len(pages) != 1 {
					t.Errorf("%d pages, want 1", len(pages))
				}
			}
		})
	}
	// The licence likewise.
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	h.doc("c.pdf", pdf)
	h.upload(conversation.InputDocument, "licence.pdf", "application/pdf", jpg, 0)
	h.press("转换为 PDF")
	if at, _ := h.stored(domain.AttachmentLicence); at.FileName != "营业执照.pdf" {
		t.Errorf("licence stored as %q", at.FileName)
	}
}

// A photo turned sideways by the phone (EXIF orientation) becomes an
// upright page.
func TestPhotoBecomesUprightPage(t *testing.T) {
	for o := 1; o <= 8; o++ {
		h := newHarness(t, conversation.Config{})
		h.toAttachments()
		spec := conversationtest.PhotoSpec{W: 60, H: 90, Color: green, Orientation: o}
		h.upload(conversation.InputDocument, "IMG_1234.JPG", "image/jpeg", conversationtest.Photo(spec), 0)
		h.press("转换为 PDF")
		if _, pages := h.stored(domain.AttachmentCatalog); len(pages) != 1 || !pages[0].Upright(spec) {
			t.Errorf("orientation %d: the page is %d×%d, not the photo upright", o, pages[0].W, pages[0].H)
		}
	}
}

// The photo kept for a conversion is deleted once it is not needed: when
// it is converted, or when the applicant declines.
func TestUploadedPhotosDeleted(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	jpg := conversationtest.Photo(conversationtest.PhotoSpec{W: 40, H: 60, Color: red})
	h.upload(conversation.InputDocument, "x.pdf", "application/pdf", jpg, 0)
	key := h.session().Scratch.Pages[0].Key
	h.press("重新发送")
	if _, err := h.files.Get(context.Background(), key); err == nil {
		t.Error("a declined photo was kept")
	}
	h.upload(conversation.InputDocument, "x.pdf", "application/pdf", jpg, 0)
	h.press("转换为 PDF")
	if _, err := h.files.Get(context.Background(), key); err == nil {
		t.Error("a converted photo was kept")
	}
}

// A file announced within 10 MiB that turns out larger is refused for its
// size, not taken for a failed download.
func TestFileLargerThanAnnounced(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	data := append(conversationtest.PDF("x"), bytes.Repeat([]byte("\n"), domain.MaxAttachmentSize)...)
	h.send(conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{
		FileID: "big", FileName: "big.pdf", Size: 2048, Data: data,
	}})
	h.expectSay("文件超过 10MB")
	if says(h.last, "下载失败") {
		t.Error("a large file was reported as a failed download")
	}
	// What the transport does once getFile tells the real size: Size is
	// corrected and nothing downloaded.
	h.send(conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{
		FileID: "big", FileName: "big.pdf", Size: domain.MaxAttachmentSize + 1,
	}})
	h.expectSay("文件超过 10MB")
	h.expectState(conversation.StAttCatalog)
	if strings.Contains(texts(h.last), "下载失败") {
		t.Error("a large file was reported as a failed download")
	}
}
