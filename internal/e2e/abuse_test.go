package e2e

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/internal/devstack"
)

// TestMaliciousFiles sends hostile files at the first document question,
// end to end: each gets a clear error, the question stays, nothing is
// stored, and a proper PDF afterwards goes through.
func TestMaliciousFiles(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	if err := devstack.LoadSampleCatalog(ctx, w.Main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range RegistrationSteps(w)[:31] { // up to the catalog file question
		step()
	}
	blobs := func() int {
		conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
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
		before := w.Snapshot(w.User.ID)
		w.TG.SendDocument(w.User, tt.file, tt.mime, tt.data)
		if tt.mime == "image/png" { // images are converted on request
			w.Await(w.User.ID, before, "转换为一页 PDF")
			before = w.Snapshot(w.User.ID)
			w.Press("转换为 PDF", "")
		}
		got := w.Await(w.User.ID, before, tt.want)
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
	w.Document("准入目录.pdf", conversationtest.PDF("catalog"), "营业执照")
	if n := blobs(); n != stored+1 {
		t.Errorf("blobs: %d after a good PDF, want %d", n, stored+1)
	}
	// Every file that reached the checker (all but the one over 10 MiB,
	// refused from its announced size) is counted for the operator.
	body := w.Metrics()
	for _, want := range []string{
		`regbot_document_check_duration_seconds_count{result="refused"} 7`,
		`regbot_document_check_duration_seconds_count{result="accepted"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

}
