package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/internal/devstack"
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

// TestMaliciousFiles sends hostile files at the first document question,
// end to end: each gets a clear error, the question stays, nothing is
// stored, and a proper PDF afterwards goes through.
func TestMaliciousFiles(t *testing.T) {
	w := newWorld(t)
	w.boot()
	ctx := context.Background()
	if err := devstack.LoadSampleCatalog(ctx, w.main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range registrationSteps(w)[:32] { // up to the catalog file question
		step()
	}
	blobs := func() int {
		conn, err := pgx.Connect(ctx, w.cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	stored := blobs()

	for _, tt := range []struct {
		name, file, mime string
		data             []byte
		want             string
	}{
		{"wrong magic", "目录.pdf", "application/pdf", []byte("MZ\x90\x00 an executable, named .pdf"), "这不是 PDF"},
		{"html as pdf", "目录.pdf", "application/pdf", []byte("<html><script>alert(1)</script></html>"), "这不是 PDF"},
		{"over 10 MiB", "big.pdf", "application/pdf", append(conversationtest.PDF("x"), make([]byte, 11<<20)...), "10MB"},
		{"4 million nested arrays", "bomb.pdf", "application/pdf", nestedPDF(4_000_000), "已损坏"},
		{"huge object streams", "objstm.pdf", "application/pdf", hugeObjectStreamPDF(), "已损坏"},
		// 1 MiB that pdfcpu inflates to 1 GiB: the document checker's worker
		// dies of it, not the bot (adapters/docsandbox).
		{"xref stream inflating to 1 GiB", "inflate.pdf", "application/pdf", conversationtest.XRefBombPDF(1 << 30), "已损坏"},
		{"truncated", "cut.pdf", "application/pdf", conversationtest.PDF("catalog")[:200], "已损坏"},
		{"100000×100000 png", "scan.png", "image/png", hugePNG(t, 100000, 100000), "图片尺寸过大"},
	} {
		var mem0 runtime.MemStats
		runtime.ReadMemStats(&mem0)
		before := w.snapshot(w.user.ID)
		w.tg.SendDocument(w.user, tt.file, tt.mime, tt.data)
		if tt.mime == "image/png" { // images are converted on request
			w.await(w.user.ID, before, "转换为一页 PDF")
			before = w.snapshot(w.user.ID)
			w.press("转换为 PDF", "")
		}
		got := w.await(w.user.ID, before, tt.want)
		if strings.Contains(got.Text, "营业执照") {
			t.Errorf("%s: moved on: %q", tt.name, got.Text)
		}
		// The bot (this process) does not pay for what a file makes the
		// parser allocate; parsed here, the 1 GiB bomb costs over 2 GiB.
		var mem1 runtime.MemStats
		runtime.ReadMemStats(&mem1)
		if grown := mem1.TotalAlloc - mem0.TotalAlloc; grown > 256<<20 {
			t.Errorf("%s: the bot allocated %d MiB", tt.name, grown>>20)
		}
	}
	if n := blobs(); n != stored {
		t.Errorf("blobs: %d after the hostile files, want %d", n, stored)
	}
	w.document("准入目录.pdf", conversationtest.PDF("catalog"), "营业执照")
	if n := blobs(); n != stored+1 {
		t.Errorf("blobs: %d after a good PDF, want %d", n, stored+1)
	}
	// Every file that reached the checker (all but the one over 10 MiB,
	// refused from its announced size) is counted for the operator.
	body := scrapeMetrics(t, w.main.Metrics)
	for _, want := range []string{
		`regbot_document_check_duration_seconds_count{result="refused"} 7`,
		`regbot_document_check_duration_seconds_count{result="accepted"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

}
