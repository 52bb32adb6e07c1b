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
// the message id (0: the next one) and the album it belongs to ("": none).
func (h *harness) upload(kind conversation.InputKind, name, mime string, data []byte, msgID int, group string) []conversation.Reply {
	h.t.Helper()
	return h.send(conversation.Input{Kind: kind, MessageID: msgID, MediaGroupID: group, Document: &conversation.Document{
		FileID: fmt.Sprintf("file-%d-%s", msgID, name), FileName: name, MIMEType: mime, Size: int64(len(data)), Data: data,
	}})
}

func (h *harness) photo(spec conversationtest.PhotoSpec, msgID int, group string) []conversation.Reply {
	h.t.Helper()
	return h.upload(conversation.InputPhoto, "photo.jpg", "image/jpeg", conversationtest.Photo(spec), msgID, group)
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
			h.upload(conversation.InputDocument, tt.name, tt.mime, tt.data, 0, "")
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
	h.upload(conversation.InputDocument, "licence.pdf", "application/pdf", jpg, 0, "")
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
		h.upload(conversation.InputDocument, "IMG_1234.JPG", "image/jpeg", conversationtest.Photo(spec), 0, "")
		h.press("转换为 PDF")
		if _, pages := h.stored(domain.AttachmentCatalog); len(pages) != 1 || !pages[0].Upright(spec) {
			t.Errorf("orientation %d: the page is %d×%d, not the photo upright", o, pages[0].W, pages[0].H)
		}
	}
}

// The photos of an album (one media group id) become one PDF, a page per
// photo in message order, whatever order they arrive in; the question
// counts them as they come.
func TestAlbumBecomesOnePDF(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	specs := map[int]conversationtest.PhotoSpec{
		501: {W: 60, H: 90, Color: red},
		502: {W: 60, H: 90, Color: green, Orientation: 6},
		503: {W: 90, H: 60, Color: blue, Orientation: 3},
	}
	for i, id := range []int{503, 501, 502} {
		h.photo(specs[id], id, "album-1")
		h.expectState(conversation.StAttCatImg)
		h.expectSay(fmt.Sprintf("已收到这组照片中的 %d 张", i+1))
	}
	if n := len(h.session().Scratch.Pages); n != 3 {
		t.Fatalf("%d pages waiting, want 3", n)
	}
	h.press("转换为 PDF")
	h.expectSay("已生成文件：准入目录.pdf（共 3 页）")
	h.expectState(conversation.StAttLicence)
	at, pages := h.stored(domain.AttachmentCatalog)
	if at.FileName != "准入目录.pdf" || len(pages) != 3 {
		t.Fatalf("stored %q with %d pages, want 准入目录.pdf with 3", at.FileName, len(pages))
	}
	for i, id := range []int{501, 502, 503} {
		if !pages[i].Upright(specs[id]) {
			t.Errorf("page %d is not photo %d upright", i+1, id)
		}
	}
}

// A photo of the album delivered again (a replica crashed after storing
// it, Telegram sent it once more) stays one page.
func TestAlbumPhotoDeliveredAgain(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	spec := conversationtest.PhotoSpec{W: 40, H: 60, Color: red}
	h.photo(spec, 601, "album-2")
	h.photo(spec, 601, "album-2") // the same message, as another update
	h.photo(conversationtest.PhotoSpec{W: 40, H: 60, Color: blue}, 602, "album-2")
	h.expectSay("已收到这组照片中的 2 张")
	h.press("转换为 PDF")
	if _, pages := h.stored(domain.AttachmentCatalog); len(pages) != 2 {
		t.Errorf("%d pages, want 2", len(pages))
	}
}

// A photo of an album that arrives after the album was converted (the
// applicant was quick, or the photo was delivered late) joins its PDF, in
// its place, on whatever question is asked by then; once the document is
// replaced, a late photo is not used, and the applicant is told either way.
func TestAlbumLatePhoto(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	specs := map[int]conversationtest.PhotoSpec{
		701: {W: 60, H: 90, Color: red},
		702: {W: 60, H: 90, Color: green},
		703: {W: 60, H: 90, Color: blue},
	}
	h.photo(specs[701], 701, "album-3")
	h.photo(specs[703], 703, "album-3")
	h.press("转换为 PDF")
	h.expectState(conversation.StAttLicence)
	before, _ := h.stored(domain.AttachmentCatalog)

	h.photo(specs[702], 702, "album-3")
	h.expectSay("又收到这组照片中的一张，已加入“准入目录文件”，现共 3 页")
	h.expectSay("营业执照") // and the question again
	h.expectState(conversation.StAttLicence)
	at, pages := h.stored(domain.AttachmentCatalog)
	if len(pages) != 3 || at.SHA256 == before.SHA256 {
		t.Fatalf("%d pages after the late photo, want 3 in a new PDF", len(pages))
	}
	for i, id := range []int{701, 702, 703} {
		if !pages[i].Upright(specs[id]) {
			t.Errorf("page %d is not photo %d", i+1, id)
		}
	}
	if _, err := h.files.Get(context.Background(), before.BlobKey); err == nil {
		t.Error("the PDF replaced by the late photo's was kept")
	}
	// The late photo delivered again changes nothing.
	h.photo(specs[702], 702, "album-3")
	if _, pages := h.stored(domain.AttachmentCatalog); len(pages) != 3 {
		t.Errorf("%d pages after the late photo came again, want 3", len(pages))
	}

	// The licence as an album too, then the catalog replaced by a PDF: a
	// late photo of the catalog's album is not used.
	h.photo(specs[701], 801, "album-4")
	h.photo(specs[702], 802, "album-4")
	h.press("转换为 PDF")
	h.expectState(conversation.StMktAccount)
	for i := 0; i < 6 && h.state() != conversation.StAttCatalog; i++ {
		h.cmd("back")
	}
	h.expectState(conversation.StAttCatalog)
	h.doc("目录.pdf", conversationtest.PDF("catalog"))
	h.photo(conversationtest.PhotoSpec{W: 60, H: 90}, 704, "album-3")
	h.expectSay("这张照片属于之前发送的一组照片")
	if s := h.session(); func() string { at, _ := s.App.Attachment(domain.AttachmentCatalog); return at.SHA256 }() != sha256hex(conversationtest.PDF("catalog")) {
		t.Error("a late photo changed a replaced document")
	}
	// The licence's album still takes its late photos.
	h.photo(specs[703], 803, "album-4")
	h.expectSay("已加入“营业执照”，现共 3 页")
}

// An album cannot make a PDF of more than 10 pages or 10 MiB; a file
// among its photos is left out; each refusal keeps what was gathered.
func TestAlbumLimits(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	for i := 0; i < domain.MaxImagePages; i++ {
		h.photo(conversationtest.PhotoSpec{W: 20, H: 30}, 900+i, "big")
	}
	h.photo(conversationtest.PhotoSpec{W: 20, H: 30}, 950, "big")
	h.expectSay("一个 PDF 最多 10 页")
	h.upload(conversation.InputDocument, "p.pdf", "application/pdf", conversationtest.PDF("p"), 951, "big")
	h.expectSay("这组照片中有一个文件不是 JPG 或 PNG 图片")
	h.expectState(conversation.StAttCatImg)
	if n := len(h.session().Scratch.Pages); n != domain.MaxImagePages {
		t.Fatalf("%d pages kept, want %d", n, domain.MaxImagePages)
	}

	h = newHarness(t, conversation.Config{})
	h.toAttachments()
	big := append(conversationtest.Photo(conversationtest.PhotoSpec{W: 20, H: 30}), make([]byte, 4<<20)...)
	for i := 0; i < 3; i++ {
		h.upload(conversation.InputPhoto, "photo.jpg", "image/jpeg", big, 960+i, "heavy")
	}
	h.expectSay("这 3 张图片合起来超过 10MB")
	if n := len(h.session().Scratch.Pages); n != 2 {
		t.Fatalf("%d pages kept, want 2", n)
	}
}

// The photos kept for a conversion are deleted once they are not needed:
// a single photo's when it is converted, an album's when the application
// is submitted, any photo's when the applicant declines.
func TestUploadedPhotosDeleted(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toAttachments()
	jpg := conversationtest.Photo(conversationtest.PhotoSpec{W: 40, H: 60, Color: red})
	h.upload(conversation.InputDocument, "x.pdf", "application/pdf", jpg, 0, "")
	key := h.session().Scratch.Pages[0].Key
	h.press("重新发送")
	if _, err := h.files.Get(context.Background(), key); err == nil {
		t.Error("a declined photo was kept")
	}
	h.upload(conversation.InputDocument, "x.pdf", "application/pdf", jpg, 0, "")
	h.press("转换为 PDF")
	if _, err := h.files.Get(context.Background(), key); err == nil {
		t.Error("a converted photo was kept")
	}
	h.photo(conversationtest.PhotoSpec{W: 40, H: 60, Color: blue}, 1001, "a")
	h.photo(conversationtest.PhotoSpec{W: 40, H: 60, Color: green}, 1002, "a")
	h.press("转换为 PDF")
	albumKeys := h.session().Albums[0].Pages
	for _, p := range albumKeys {
		if _, err := h.files.Get(context.Background(), p.Key); err != nil {
			t.Fatal("an album's photo was deleted before the application was submitted")
		}
	}
	h.text(account1)
	h.text(queryPW)
	h.press("9000000101")
	h.press("生成用电单元")
	h.press("大工业用电")
	h.press("非高耗能")
	h.press("没有了")
	h.press("提交")
	h.expectState(conversation.StSubmitted)
	for _, p := range albumKeys {
		if _, err := h.files.Get(context.Background(), p.Key); err == nil {
			t.Error("an album's photo was kept after the submission")
		}
	}
	if len(h.session().Albums) != 0 {
		t.Error("the session keeps the albums after the submission")
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
