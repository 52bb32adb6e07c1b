package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	got, err := NewPDFAttachment(AttachmentLicence, "营业执照.PDF", pdf)
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
		_, err := NewPDFAttachment(AttachmentCatalog, "x.pdf", tt.data)
		checkErr(t, tt.name, err, tt.reason)
	}
}

// At exactly the limit a file is still checked as a PDF, not refused for size.
func TestNewPDFAttachmentAtLimit(t *testing.T) {
	pdf := minimalPDF()
	data := append(pdf, bytes.Repeat([]byte("\n"), MaxAttachmentSize-len(pdf))...)
	at, err := NewPDFAttachment(AttachmentCatalog, "catalog.pdf", data)
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

func TestStoredPDFName(t *testing.T) {
	long := string(bytes.Repeat([]byte("长"), 100))
	tests := []struct {
		kind       AttachmentKind
		name, want string
	}{
		{AttachmentLicence, "营业执照.PDF", "营业执照.pdf"},
		{AttachmentLicence, "../../etc/passwd", "passwd.pdf"},
		{AttachmentLicence, "", "licence.pdf"},
		{AttachmentLicence, "a.Pdf", "a.pdf"},
		{AttachmentCatalog, "准入目录.pdf", "准入目录.pdf"},
		{AttachmentCatalog, `C:\Users\张三\Desktop\目录.pdf`, "目录.pdf"},
		{AttachmentCatalog, "scan.jpg", "scan.jpg.pdf"},
		{AttachmentCatalog, ".pdf", "catalog.pdf"},
		{AttachmentCatalog, "..", "catalog.pdf"},
		{AttachmentCatalog, "dir/", "dir.pdf"},
		{AttachmentCatalog, " a b .pdf ", "a b.pdf"},
		{AttachmentCatalog, `a:b*c?"d<e>f|.pdf`, "abcdef.pdf"},
		{AttachmentCatalog, "a\x00b\nc.pdf", "abc.pdf"},
		{AttachmentCatalog, "invoice\u202efdp.exe", "invoicefdp.exe.pdf"}, // right-to-left override
		{AttachmentCatalog, "\x01\x02.pdf", "catalog.pdf"},
		{AttachmentCatalog, long + ".pdf", long[:80*3] + ".pdf"},
		{AttachmentCatalog, "a.pdf.pdf", "a.pdf.pdf"},
	}
	for _, tt := range tests {
		if got := StoredPDFName(tt.kind, tt.name); got != tt.want {
			t.Errorf("StoredPDFName(%q, %q) = %q, want %q", tt.kind, tt.name, got, tt.want)
		}
	}
}
