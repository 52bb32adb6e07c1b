package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// minimalPDF returns a valid one-page PDF, written by hand with the xref
// offsets computed as it goes.
func minimalPDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
		"<< /Length 18 >>\nstream\n0 0 m 100 100 l S\nendstream",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// encryptedPDF encrypts minimalPDF with pdfcpu (AES-256).
func encryptedPDF(t testing.TB, userPW string) []byte {
	t.Helper()
	var out bytes.Buffer
	conf := model.NewAESConfiguration(userPW, "owner-secret", 256)
	if err := api.Encrypt(bytes.NewReader(minimalPDF()), &out, conf); err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	return out.Bytes()
}

func TestNewPDFAttachmentValid(t *testing.T) {
	pdf := minimalPDF()
	sum := sha256.Sum256(pdf)
	got, err := NewPDFAttachment(AttachmentLicence, pdf)
	if err != nil {
		t.Fatal(err)
	}
	want := Attachment{
		Kind:     AttachmentLicence,
		FileName: "营业执照.pdf",
		Size:     int64(len(pdf)),
		SHA256:   hex.EncodeToString(sum[:]),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewPDFAttachment (-want +got):\n%s", diff)
	}
}

func TestNewPDFAttachmentInvalid(t *testing.T) {
	pdf := minimalPDF()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	tooLarge := append(bytes.Repeat([]byte(" "), MaxAttachmentSize+1-len(pdf)), pdf...)
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"leading white space", append([]byte("\r\n "), pdf...), ""},
		{"png", png, "pdf.not_pdf"},
		{"empty", nil, "pdf.not_pdf"},
		{"text", []byte("hello, world"), "pdf.not_pdf"},
		{"header only", []byte("%PDF-1.7\n"), "pdf.broken"},
		{"garbage after header", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 256)...), "pdf.broken"},
		{"truncated", pdf[:len(pdf)/2], "pdf.broken"},
		{"truncated before %%EOF", pdf[:len(pdf)-4], "pdf.broken"},
		{"no pages", bytes.Replace(pdf, []byte("/Kids [3 0 R] /Count 1"), []byte("/Kids [] /Count 0     "), 1), "pdf.broken"},
		{"too large", tooLarge, "pdf.too_large"},
		{"encrypted, empty user password", encryptedPDF(t, ""), "pdf.encrypted"},
		{"encrypted, user password", encryptedPDF(t, "open-sesame"), "pdf.encrypted"},
	}
	for _, tt := range tests {
		_, err := NewPDFAttachment(AttachmentCatalog, tt.data)
		checkErr(t, tt.name, err, tt.reason)
	}
}

// At exactly the limit a file is still checked as a PDF, not refused for size.
func TestNewPDFAttachmentAtLimit(t *testing.T) {
	pdf := minimalPDF()
	data := append(pdf, bytes.Repeat([]byte("\n"), MaxAttachmentSize-len(pdf))...)
	at, err := NewPDFAttachment(AttachmentCatalog, data)
	if err != nil || at.Size != MaxAttachmentSize {
		t.Errorf("10 MiB PDF: size %d, err %v", at.Size, err)
	}
}

func TestCheckPDFSize(t *testing.T) {
	tests := []struct {
		size   int64
		reason string
	}{
		{0, ""},
		{MaxAttachmentSize, ""},
		{MaxAttachmentSize + 1, "pdf.too_large"},
		{1 << 40, "pdf.too_large"},
	}
	for _, tt := range tests {
		checkErr(t, fmt.Sprint(tt.size), CheckPDFSize(tt.size), tt.reason)
	}
}

// A document is stored under its own name, whatever the file was called.
func TestAttachmentFileName(t *testing.T) {
	for kind, want := range map[AttachmentKind]string{AttachmentCatalog: "准入目录.pdf", AttachmentLicence: "营业执照.pdf"} {
		at, err := NewPDFAttachment(kind, minimalPDF())
		if err != nil || at.FileName != want || kind.FileName() != want {
			t.Errorf("%s: stored as %q (%v), FileName() %q; want %q", kind, at.FileName, err, kind.FileName(), want)
		}
	}
	for _, kind := range RequiredAttachments {
		if name := kind.FileName(); !strings.HasSuffix(name, ".pdf") || strings.Count(name, ".") != 1 {
			t.Errorf("%s: file name %q", kind, name)
		}
	}
}
