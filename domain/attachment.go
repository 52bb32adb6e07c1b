package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// MaxAttachmentSize is the platform's limit for one file (10 MiB).
const MaxAttachmentSize = 10 << 20

// CheckPDFSize rejects a file whose announced size is over the limit, so
// that it is not even downloaded.
func CheckPDFSize(size int64) error {
	if size > MaxAttachmentSize {
		return invalid(FieldAttachment, "pdf.too_large")
	}
	return nil
}

// NewPDFAttachment validates an uploaded document (really a PDF: magic bytes
// and a parse; unencrypted; at most 10 MiB) and returns the attachment,
// stored under the document's own name (营业执照.pdf): a file is judged by
// its content, and the name it came with says nothing the reviewers need
// (scan0001.pdf, or x.pdf for a photo). BlobKey is left to the caller.
// A hostile file can make the parse allocate gigabytes (pdfcpu decodes some
// streams up to a fixed 512 MiB each): the bot runs it in a child process
// with a memory limit (adapters/docsandbox).
func NewPDFAttachment(kind AttachmentKind, data []byte) (att Attachment, err error) {
	if err := CheckPDFSize(int64(len(data))); err != nil {
		return Attachment{}, err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\r\n "), []byte("%PDF-")) {
		return Attachment{}, invalid(FieldAttachment, "pdf.not_pdf")
	}
	// pdfcpu repairs a cut-off file silently (it rebuilds the xref), and
	// the reviewer would get a file with pages missing. Readers look for
	// %%EOF in the last 1024 bytes; so do we, ignoring padding.
	tail := bytes.TrimRight(data, "\x00\t\n\f\r ")
	if !bytes.Contains(tail[max(0, len(tail)-1024):], []byte("%%EOF")) {
		return Attachment{}, Errorf(CodeInvalid, FieldAttachment, "pdf.broken", "no %%%%EOF at the end: truncated?")
	}
	defer func() {
		// pdfcpu recovers only its own panics; a hostile file must not crash us.
		if r := recover(); r != nil {
			att, err = Attachment{}, Errorf(CodeInvalid, FieldAttachment, "pdf.broken", "pdf parse panic: %v", r)
		}
	}()
	// Read and validate only: optimising would rewrite the whole file for
	// nothing, as the upload is stored as it came.
	ctx, err := readAndValidate(bytes.NewReader(data), model.NewDefaultConfiguration())
	switch {
	case errors.Is(err, pdfcpu.ErrWrongPassword), errors.Is(err, pdfcpu.ErrPermissionDenied),
		errors.Is(err, pdfcpu.ErrOwnerPasswordRequired), errors.Is(err, pdfcpu.ErrEncrypted):
		// A user (open) password: pdfcpu cannot even read it.
		return Attachment{}, Errorf(CodeInvalid, FieldAttachment, "pdf.encrypted", "%v", err)
	case err != nil:
		return Attachment{}, Errorf(CodeInvalid, FieldAttachment, "pdf.broken", "%v", err)
	case ctx.Encrypt != nil || ctx.E != nil:
		// An empty user password: pdfcpu reads and validates it happily, but
		// the file is still encrypted (owner password, permissions).
		return Attachment{}, invalid(FieldAttachment, "pdf.encrypted")
	}
	if ctx.PageCount < 1 {
		return Attachment{}, Errorf(CodeInvalid, FieldAttachment, "pdf.broken", "no pages")
	}
	sum := sha256.Sum256(data)
	return Attachment{
		Kind:     kind,
		FileName: kind.FileName(),
		Size:     int64(len(data)),
		SHA256:   hex.EncodeToString(sum[:]),
	}, nil
}

// FileName is the name a document of kind is stored and sent under: the
// platform's name of the document with a lowercase ".pdf" (准入目录.pdf,
// 营业执照.pdf).
func (k AttachmentKind) FileName() string {
	switch k {
	case AttachmentCatalog:
		return "准入目录.pdf"
	case AttachmentLicence:
		return "营业执照.pdf"
	}
	return string(k) + ".pdf"
}
