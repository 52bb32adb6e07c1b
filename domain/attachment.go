package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// MaxAttachmentSize is the platform's limit for one file (10 MiB).
const MaxAttachmentSize = 10 << 20

func init() {
	// Without this pdfcpu writes a config directory under the user's home
	// on first use, which fails on read-only file systems.
	api.DisableConfigDir()
}

// CheckPDFSize rejects a file whose announced size is over the limit, so
// that it is not even downloaded.
func CheckPDFSize(size int64) error {
	if size > MaxAttachmentSize {
		return invalid("attachment", "pdf.too_large")
	}
	return nil
}

// NewPDFAttachment validates an uploaded document (really a PDF: magic bytes
// and a parse; unencrypted; at most 10 MiB) and returns the attachment with
// a stored name that ends in lowercase ".pdf". BlobKey is left to the caller.
func NewPDFAttachment(kind AttachmentKind, name string, data []byte) (att Attachment, err error) {
	if err := CheckPDFSize(int64(len(data))); err != nil {
		return Attachment{}, err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\r\n "), []byte("%PDF-")) {
		return Attachment{}, invalid("attachment", "pdf.not_pdf")
	}
	defer func() {
		// pdfcpu recovers only its own panics; a hostile file must not crash us.
		if r := recover(); r != nil {
			att, err = Attachment{}, Errorf(CodeInvalid, "attachment", "pdf.broken", "pdf parse panic: %v", r)
		}
	}()
	conf := model.NewDefaultConfiguration()
	ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
	if err != nil {
		return Attachment{}, Errorf(CodeInvalid, "attachment", "pdf.broken", "%v", err)
	}
	if ctx.Encrypt != nil || ctx.XRefTable.Encrypt != nil {
		return Attachment{}, invalid("attachment", "pdf.encrypted")
	}
	sum := sha256.Sum256(data)
	return Attachment{
		Kind:     kind,
		FileName: StoredPDFName(kind, name),
		Size:     int64(len(data)),
		SHA256:   hex.EncodeToString(sum[:]),
	}, nil
}

// StoredPDFName returns a safe file name ending in lowercase ".pdf": the
// user's base name without directories or control characters, or the kind
// when nothing usable is left.
func StoredPDFName(kind AttachmentKind, name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if ext := path.Ext(base); strings.EqualFold(ext, ".pdf") {
		base = base[:len(base)-len(ext)]
	}
	var b strings.Builder
	for _, r := range base {
		if r < ' ' || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			continue
		}
		b.WriteRune(r)
	}
	base = strings.TrimSpace(b.String())
	if base == "" || base == "." || base == ".." {
		base = string(kind)
	}
	for utf8.RuneCountInString(base) > 80 {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return fmt.Sprintf("%s.pdf", base)
}
