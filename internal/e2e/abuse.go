package e2e

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
)

// hugePNG is a valid PNG whose header claims width × height pixels (the
// pixel data is that of a 1×1 image): a decompression bomb for anyone who
// decodes it without looking at the header first.
func hugePNG(t *testing.T, width, height uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// Signature (8), IHDR length (4), "IHDR" (4), then width and height.
	binary.BigEndian.PutUint32(b[16:], width)
	binary.BigEndian.PutUint32(b[20:], height)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// nestedPDF is a PDF-looking file whose catalog holds depth nested arrays,
// for parsers that recurse without a bound.
func nestedPDF(depth int) []byte {
	var b strings.Builder
	b.WriteString("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X ")
	b.WriteString(strings.Repeat("[", depth))
	b.WriteString(strings.Repeat("]", depth))
	b.WriteString(" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return []byte(b.String())
}

// hugeObjectStreamPDF is a PDF whose cross-reference stream claims 2^31
// objects and whose object stream claims a million objects.
func hugeObjectStreamPDF() []byte {
	return []byte("%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1000000 /First 4 /Length 8 >>\nstream\n1 0 2 0\nendstream\nendobj\n" +
		"2 0 obj\n<< /Type /XRef /Size 2147483647 /W [1 4 2] /Index [0 2147483647] /Root 3 0 R /Length 0 >>\nstream\n\nendstream\nendobj\n" +
		"startxref\n100\n%%EOF\n")
}
