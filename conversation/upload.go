package conversation

import (
	"errors"
	"slices"

	"github.com/regbot/regbot/domain"
)

// The two documents (准入目录, 营业执照) arrive as files or photos. A file
// is judged by its content, never by its name or MIME type: a PDF is
// checked and kept under the document's own name; a JPEG or PNG picture
// (a photo, or a file called x.pdf) becomes a page to convert once the
// applicant agrees; any other picture or file is refused with the reason.

// attachment reads a document of kind into the draft (see above). An
// image is kept as a page and the user is asked whether to convert it
// into a PDF (evConfirm).
func attachment(kind domain.AttachmentKind) func(*turn) (Event, error) {
	return func(t *turn) (Event, error) {
		doc := t.in.Document
		if doc == nil {
			t.say("att.photo")
			return evStay, nil
		}
		if err := domain.CheckPDFSize(doc.Size); err != nil {
			return evNone, err
		}
		if doc.Data == nil { // the transport could not download it
			t.say("att.resend")
			return evStay, nil
		}
		if err := domain.CheckPDFSize(int64(len(doc.Data))); err != nil {
			return evNone, err
		}
		if t.in.Kind == InputPhoto || domain.IsImage(doc.Data) {
			return addPage(t)
		}
		if err := domain.UnconvertibleImage(doc.Data); err != nil {
			return evNone, err
		}
		att, err := t.e.d.Documents.NewPDFAttachment(t.ctx, kind, doc.Data)
		if err != nil {
			return evNone, err
		}
		return saveAttachment(t, att, doc.Data, doc.FileID)
	}
}

// converting reports whether st asks to convert pages into a PDF.
func converting(st State) bool { return st == StAttCatImg || st == StAttLicImg }

// addPage keeps the input's image as the page to convert, in place of
// any waiting from another picture.
func addPage(t *turn) (Event, error) {
	sc := &t.s.Scratch
	t.discardPages(sc.Pages)
	*sc = Scratch{}
	data := t.in.Document.Data
	page := Page{MessageID: t.in.MessageID, Size: len(data)}
	if err := checkPages([]Page{page}); err != nil {
		return evNone, err
	}
	key, err := t.e.d.Files.Put(t.ctx, data)
	if err != nil {
		return evNone, err
	}
	page.Key = key
	sc.Pages = []Page{page}
	return evConfirm, nil
}

// checkPages refuses pages that cannot make one PDF, before they are
// stored: too many, or too large together.
func checkPages(pages []Page) error {
	sizes := make([]int, len(pages))
	for i, p := range pages {
		sizes[i] = p.Size
	}
	return domain.CheckImageSizes(sizes)
}

// pageImages reads the pages' images.
func pageImages(t *turn, pages []Page) ([][]byte, error) {
	images := make([][]byte, len(pages))
	for i, p := range pages {
		data, err := t.e.d.Files.Get(t.ctx, p.Key)
		if err != nil {
			return nil, err
		}
		images[i] = data
	}
	return images, nil
}

// saveAttachment stores a checked PDF as the draft's document.
func saveAttachment(t *turn, att domain.Attachment, data []byte, fileID string) (Event, error) {
	key, err := t.e.d.Files.Put(t.ctx, data)
	if err != nil {
		return evNone, err
	}
	att.BlobKey, att.FileID = key, fileID
	t.s.App.SetAttachment(att)
	t.discardPages(t.s.Scratch.Pages)
	t.s.Scratch = Scratch{}
	t.say("att.saved", "FileName", att.FileName)
	return evNext, nil
}

// documentLabel names the document of kind (label.attcat, label.attlic).
func documentLabel(t *turn, kind domain.AttachmentKind) string {
	if kind == domain.AttachmentLicence {
		return t.e.stateLabel(t.s, StAttLicence)
	}
	return t.e.stateLabel(t.s, StAttCatalog)
}

func promptConvert(t *turn) Reply {
	kind := domain.AttachmentCatalog
	if t.s.State == StAttLicImg {
		kind = domain.AttachmentLicence
	}
	return Reply{Text: t.e.text(t.s, "att.convert", "Document", documentLabel(t, kind)), Buttons: [][]Button{{
		btn(t, t.e.text(t.s, "att.convert_yes"), "yes"), btn(t, t.e.text(t.s, "att.convert_no"), "no"),
	}}}
}

// handleConvert turns the kept page into a PDF once the user agrees; a
// new file or photo instead is read as an answer to the attachment
// question.
func handleConvert(kind domain.AttachmentKind) func(*turn) (Event, error) {
	read := attachment(kind)
	return func(t *turn) (Event, error) {
		if t.in.Kind != InputButton {
			ev, err := read(t)
			if ev == evConfirm {
				return evStay, err
			}
			return ev, err
		}
		sc := &t.s.Scratch
		pages := sc.Pages
		if len(pages) == 0 && sc.Pending != "" {
			pages = []Page{{Key: sc.Pending}} // kept by an older version
		}
		if t.val != "yes" || len(pages) == 0 {
			t.discardPages(pages)
			*sc = Scratch{}
			return evRetry, nil
		}
		images, err := pageImages(t, pages)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			*sc = Scratch{}
			t.say("att.resend")
			return evRetry, nil
		}
		if err != nil {
			return evNone, err
		}
		pdf, err := t.e.d.Documents.ImagesToPDF(t.ctx, images)
		if domain.ErrorCode(err) == domain.CodeUnavailable {
			return evNone, err // not checked: the pages are kept, the applicant asked to try again
		}
		if err != nil {
			t.discardPages(pages)
			*sc = Scratch{}
			t.sayRefusal(err)
			return evRetry, nil
		}
		att, err := t.e.d.Documents.NewPDFAttachment(t.ctx, kind, pdf)
		if err != nil {
			return evNone, err
		}
		return saveAttachment(t, att, pdf, "")
	}
}

// sayRefusal tells the user why a file was refused, with the values the
// reason's text shows.
func (t *turn) sayRefusal(err error) {
	var de *domain.Error
	if errors.As(err, &de) && t.e.msg.Has(de.Reason) {
		t.say(de.Reason, de.ArgList()...)
		return
	}
	t.say("invalid.generic")
}

// discardPages has the pages' files deleted once the turn is saved,
// unless the session still refers to them.
func (t *turn) discardPages(pages []Page) {
	for _, p := range pages {
		t.discard = append(t.discard, p.Key)
	}
}

// garbage returns the files the turn discarded that the session no longer
// refers to.
func (t *turn) garbage() []string {
	if len(t.discard) == 0 {
		return nil
	}
	kept := map[string]bool{t.s.Scratch.Pending: true}
	for _, a := range t.s.App.Attachments {
		kept[a.BlobKey] = true
	}
	for _, p := range t.s.Scratch.Pages {
		kept[p.Key] = true
	}
	var out []string
	for _, k := range t.discard {
		if k != "" && !kept[k] && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// uploadKeys are the files of the pages a session keeps waiting to be
// converted.
func uploadKeys(s *Session) []string {
	var keys []string
	for _, p := range s.Scratch.Pages {
		keys = append(keys, p.Key)
	}
	if converting(s.State) && s.Scratch.Pending != "" {
		keys = append(keys, s.Scratch.Pending)
	}
	return keys
}
