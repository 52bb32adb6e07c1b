package conversationtest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
)

// PDF returns a small, valid one-page PDF whose page shows text (ASCII).
// The cross-reference table is computed, so PDF parsers accept it.
func PDF(text string) []byte {
	content := fmt.Sprintf("BT /F1 18 Tf 72 720 Td (%s) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
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

// XRefBombPDF is a one-page PDF 1.5 whose cross-reference stream inflates
// to its five entries followed by pad zero bytes: pdfcpu decodes it whole
// (up to its fixed 512 MiB limit), whatever the configuration says.
func XRefBombPDF(pad int) []byte {
	var b bytes.Buffer
	off := []int{0}
	b.WriteString("%PDF-1.5\n")
	off = append(off, b.Len())
	b.WriteString("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	off = append(off, b.Len())
	b.WriteString("2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n")
	off = append(off, b.Len())
	b.WriteString("3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<<>>>>\nendobj\n")
	x := b.Len()
	off = append(off, x)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	for i, o := range off {
		typ := byte(1)
		if i == 0 {
			typ = 0
		}
		_ = binary.Write(zw, binary.BigEndian, struct {
			T   byte
			Off uint32
			Gen uint16
		}{typ, uint32(o), 0})
	}
	zero := make([]byte, 1<<20)
	for n := pad; n > 0; n -= len(zero) {
		_, _ = zw.Write(zero[:min(n, len(zero))])
	}
	_ = zw.Close()
	fmt.Fprintf(&b, "4 0 obj\n<</Type/XRef/Size 5/W[1 4 2]/Root 1 0 R/Filter/FlateDecode/Length %d>>\nstream\n", z.Len())
	b.Write(z.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x)
	return b.Bytes()
}
