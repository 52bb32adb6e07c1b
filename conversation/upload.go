package conversation

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"

	"github.com/regbot/regbot/domain"
)

// The two documents (准入目录, 营业执照) arrive as files or photos. A file
// is judged by its content, never by its name or MIME type: a PDF is
// checked and kept under the document's own name; a JPEG or PNG picture
// (a photo, or a file called x.pdf) becomes a page to convert once the
// applicant agrees; any other picture or file is refused with the reason.
//
// An album (several photos sent at once) is one document of several
// pages. Telegram delivers its photos as separate messages with the same
// media group id, possibly out of order and to different replicas; each
// one is stored and added to the session's pages under its message id, in
// the session's compare-and-set write, so a redelivered photo replaces its
// page instead of adding one, and a crash loses nothing that was
// answered. The pages are converted in message order. A photo that
// arrives after its album was converted joins the PDF (Session.Albums).

// attachment reads a document of kind into the draft (see above). An
// image is kept as a page and the user is asked whether to convert the
// pages into a PDF (evConfirm).
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
		if g := t.in.MediaGroupID; g != "" && g == t.s.Scratch.Group {
			t.say("album.mixed") // a file among the photos being gathered
			return evStay, nil
		}
		if err := domain.UnconvertibleImage(doc.Data); err != nil {
			return evNone, err
		}
		att, err := t.e.d.Documents.NewPDFAttachment(t.ctx, kind, doc.Data)
		if err != nil {
			return evNone, err
		}
		if err := t.s.App.CheckAttachment(att); err != nil {
			return evNone, err // the other document sent again
		}
		return saveAttachment(t, att, doc.Data, doc.FileID, nil)
	}
}

// converting reports whether st asks to convert pages into a PDF.
func converting(st State) bool { return st == StAttCatImg || st == StAttLicImg }

// addPage keeps the input's image as a page to convert: another page of
// the album being gathered, or the first of a new set (replacing pages
// waiting from another picture).
func addPage(t *turn) (Event, error) {
	sc := &t.s.Scratch
	g := t.in.MediaGroupID
	if !converting(t.s.State) || g == "" || g != sc.Group {
		t.discardPages(sc.Pages)
		*sc = Scratch{Group: g}
	}
	data := t.in.Document.Data
	page := Page{MessageID: t.in.MessageID, Size: len(data)}
	pages := withPage(sc.Pages, page)
	if err := checkPages(pages); err != nil {
		return evNone, err
	}
	key, err := t.e.d.Files.Put(t.ctx, data)
	if err != nil {
		return evNone, err
	}
	page.Key = key
	sc.Pages = withPage(sc.Pages, page)
	return evConfirm, nil
}

// withPage returns pages with p in message order, in place of a page of
// the same message (the same photo delivered again).
func withPage(pages []Page, p Page) []Page {
	out := slices.DeleteFunc(slices.Clone(pages), func(q Page) bool { return q.MessageID == p.MessageID })
	i, _ := slices.BinarySearchFunc(out, p.MessageID, func(q Page, id int) int { return q.MessageID - id })
	return slices.Insert(out, i, p)
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

// saveAttachment stores a checked PDF as the draft's document; album, if
// not nil, is the album it was made of.
func saveAttachment(t *turn, att domain.Attachment, data []byte, fileID string, album *Album) (Event, error) {
	key, err := t.e.d.Files.Put(t.ctx, data)
	if err != nil {
		return evNone, err
	}
	att.BlobKey, att.FileID = key, fileID
	t.s.App.SetAttachment(att)
	t.discardPages(t.s.Scratch.Pages)
	// An album converted into the document before no longer makes it:
	// its photos go, its group stays, so that a late photo of it is
	// recognised (and not used) rather than taken for a new document.
	for i := range t.s.Albums {
		if a := &t.s.Albums[i]; a.Kind == att.Kind {
			t.discardPages(a.Pages)
			a.Pages, a.SHA256 = nil, ""
		}
	}
	if album != nil {
		album.SHA256 = att.SHA256
		t.s.Albums = slices.DeleteFunc(t.s.Albums, func(a Album) bool { return a.Kind == album.Kind })
		t.s.Albums = append(t.s.Albums, *album)
	}
	t.s.Scratch = Scratch{}
	if album != nil && len(album.Pages) > 1 {
		t.say("att.saved_pages", "FileName", att.FileName, "Pages", len(album.Pages))
	} else {
		t.say("att.saved", "FileName", att.FileName)
	}
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
	text := t.e.text(t.s, "att.convert", "Document", documentLabel(t, kind))
	if sc := &t.s.Scratch; sc.Group != "" {
		text = t.e.text(t.s, "att.convert_album", "Document", documentLabel(t, kind), "Pages", len(sc.Pages))
	}
	return Reply{Text: text, Buttons: [][]Button{{
		btn(t, t.e.text(t.s, "att.convert_yes"), "yes"), btn(t, t.e.text(t.s, "att.convert_no"), "no"),
	}}}
}

// handleConvert turns the kept pages into a PDF once the user agrees; a
// new file or photo instead is read as an answer to the attachment
// question (another photo of the album being gathered is added to it).
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
		att.SourceSHA256 = imagesSHA256(images)
		if err := t.s.App.CheckAttachment(att); err != nil { // the other document's photos again
			t.discardPages(pages)
			*sc = Scratch{}
			t.sayRefusal(err)
			return evRetry, nil
		}
		var album *Album
		if sc.Group != "" {
			album = &Album{Group: sc.Group, Kind: kind, Pages: pages}
		}
		return saveAttachment(t, att, pdf, "", album)
	}
}

// imagesSHA256 is the SHA-256 of the photos a document is made from, as
// domain.Attachment.SourceSHA256 holds it: of the one photo, or of the
// photos' SHA-256s in order.
func imagesSHA256(images [][]byte) string {
	if len(images) == 1 {
		sum := sha256.Sum256(images[0])
		return hex.EncodeToString(sum[:])
	}
	h := sha256.New()
	for _, img := range images {
		sum := sha256.Sum256(img)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))
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

// lateAlbum returns the index of the converted album the input is a
// photo of, or -1.
func lateAlbum(s *Session, in Input) int {
	if in.MediaGroupID == "" || in.Kind != InputPhoto && in.Kind != InputDocument {
		return -1
	}
	return slices.IndexFunc(s.Albums, func(a Album) bool { return a.Group == in.MediaGroupID })
}

// latePage adds a photo of an album that was converted already to its
// document, whatever the question is now, and asks the question again.
func (e *Engine) latePage(t *turn, i int) error {
	a := &t.s.Albums[i]
	doc := t.in.Document
	switch att, ok := t.s.App.Attachment(a.Kind); {
	case slices.ContainsFunc(a.Pages, func(p Page) bool { return p.MessageID == t.in.MessageID }):
		// A page already: delivered again.
	case !ok || att.SHA256 != a.SHA256:
		t.say("album.late_replaced", "Document", documentLabel(t, a.Kind))
	case doc == nil:
		t.say("att.photo")
	case domain.CheckPDFSize(doc.Size) != nil || domain.CheckPDFSize(int64(len(doc.Data))) != nil:
		t.say("pdf.too_large")
	case doc.Data == nil:
		t.say("att.resend")
	case t.in.Kind != InputPhoto && !domain.IsImage(doc.Data):
		t.say("album.mixed")
	default:
		page := Page{MessageID: t.in.MessageID, Size: len(doc.Data)}
		pages := withPage(a.Pages, page)
		if err := checkPages(pages); err != nil {
			return e.answerError(t, err)
		}
		key, err := e.d.Files.Put(t.ctx, doc.Data)
		if err != nil {
			return e.answerError(t, err)
		}
		page.Key = key
		pages = withPage(a.Pages, page)
		images, err := pageImages(t, pages)
		if err != nil {
			return e.answerError(t, err)
		}
		pdf, err := e.d.Documents.ImagesToPDF(t.ctx, images)
		if err != nil {
			t.discard = append(t.discard, key)
			return e.answerError(t, err)
		}
		att, err := e.d.Documents.NewPDFAttachment(t.ctx, a.Kind, pdf)
		if err != nil {
			t.discard = append(t.discard, key)
			return e.answerError(t, err)
		}
		att.SourceSHA256 = imagesSHA256(images)
		if att.BlobKey, err = e.d.Files.Put(t.ctx, pdf); err != nil {
			return e.answerError(t, err)
		}
		if old, ok := t.s.App.Attachment(a.Kind); ok {
			t.discard = append(t.discard, old.BlobKey)
		}
		t.s.App.SetAttachment(att)
		a.Pages, a.SHA256 = pages, att.SHA256
		t.say("album.late", "Document", documentLabel(t, a.Kind), "Pages", len(pages))
	}
	e.prompt(t)
	return nil
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
	for _, a := range t.s.Albums {
		for _, p := range a.Pages {
			kept[p.Key] = true
		}
	}
	var out []string
	for _, k := range t.discard {
		if k != "" && !kept[k] && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// uploadKeys are the files of the pages a session keeps (waiting to be
// converted, or of converted albums).
func uploadKeys(s *Session) []string {
	var keys []string
	for _, p := range s.Scratch.Pages {
		keys = append(keys, p.Key)
	}
	for _, a := range s.Albums {
		for _, p := range a.Pages {
			keys = append(keys, p.Key)
		}
	}
	if converting(s.State) && s.Scratch.Pending != "" {
		keys = append(keys, s.Scratch.Pending)
	}
	return keys
}
