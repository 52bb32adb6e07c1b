package docsandbox

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// The test binary is also the worker (os.Executable).
func TestMain(m *testing.M) {
	MaybeServe()
	os.Exit(m.Run())
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newChecker(t *testing.T, opts Options) *Checker {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c := New(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// The worker gives the answers domain gives in this process.
func TestCheckerAgreesWithDomain(t *testing.T) {
	c := newChecker(t, Options{})
	ctx := context.Background()
	for _, data := range [][]byte{
		conversationtest.XRefBombPDF(0),
		[]byte("%PDF-1.7\n%%EOF"),
		[]byte("hello"),
	} {
		want, wantErr := domain.NewPDFAttachment(domain.AttachmentLicence, data)
		got, err := c.NewPDFAttachment(ctx, domain.AttachmentLicence, data)
		if got != want || domain.ErrorCode(err) != domain.ErrorCode(wantErr) || domain.ErrorReason(err) != domain.ErrorReason(wantErr) {
			t.Errorf("%q: got %+v, %v; domain says %+v, %v", data[:min(len(data), 9)], got, err, want, wantErr)
		}
	}
	if want, _ := domain.NewPDFAttachment(domain.AttachmentLicence, conversationtest.XRefBombPDF(0)); want.SHA256 == "" {
		t.Fatal("the test's valid PDF is not valid")
	}

	photo := conversationtest.Photo(conversationtest.PhotoSpec{W: 30, H: 40, Orientation: 6})
	pdf, err := c.ImagesToPDF(ctx, [][]byte{pngImage(t), photo})
	if err != nil {
		t.Fatal(err)
	}
	if pages, err := conversationtest.Pages(pdf); err != nil || len(pages) != 2 || !pages[1].Upright(conversationtest.PhotoSpec{W: 30, H: 40}) {
		t.Errorf("the worker's PDF: %d pages, %v; want the PNG, then the photo upright", len(pages), err)
	}
	if _, err := domain.NewPDFAttachment(domain.AttachmentCatalog, pdf); err != nil {
		t.Errorf("the converted images are not a valid PDF: %v", err)
	}
	_, err = c.ImagesToPDF(ctx, [][]byte{[]byte("\x89PNG\r\n\x1a\nbroken")})
	if domain.ErrorReason(err) != "image.broken" {
		t.Errorf("broken image: %v", err)
	}
	// The values a refusal's text shows come across too.
	_, err = c.ImagesToPDF(ctx, slices.Repeat([][]byte{photo}, domain.MaxImagePages+1))
	var de *domain.Error
	if !errors.As(err, &de) || de.Reason != "image.too_many" || de.Args["Max"] != "10" {
		t.Errorf("too many images: %v", err)
	}
	_, err = c.ImagesToPDF(ctx, [][]byte{photo, pngImage(t)[:20]})
	if !errors.As(err, &de) || de.Reason != "image.broken" {
		t.Errorf("a broken page: %v", err)
	}
}

// A decompression bomb costs the worker, not the bot: it is refused as
// broken, this process's heap does not grow by it, and the next check
// gets a new worker.
func TestCheckerRefusesDecompressionBomb(t *testing.T) {
	c := newChecker(t, Options{MemoryLimit: 96 << 20})
	ctx := context.Background()
	bomb := conversationtest.XRefBombPDF(256 << 20) // 256 KiB on the wire, 256 MiB inflated
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.NewPDFAttachment(ctx, domain.AttachmentLicence, bomb)
	runtime.ReadMemStats(&after)
	if domain.ErrorCode(err) != domain.CodeInvalid || domain.ErrorReason(err) != "pdf.broken" {
		t.Fatalf("bomb: %v, want it refused as pdf.broken", err)
	}
	t.Logf("refused: %v", err)
	if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > 64<<20 {
		t.Errorf("this process allocated %d MiB for the check", grown>>20)
	}
	att, err := c.NewPDFAttachment(ctx, domain.AttachmentLicence, conversationtest.XRefBombPDF(0))
	if err != nil || att.FileName != "营业执照.pdf" {
		t.Fatalf("after the bomb: %+v, %v", att, err)
	}
}

// A check that outlives its time kills the worker and refuses the file;
// the checker then works again.
func TestCheckerTimeout(t *testing.T) {
	c := newChecker(t, Options{Timeout: time.Nanosecond})
	_, err := c.NewPDFAttachment(context.Background(), domain.AttachmentLicence, conversationtest.XRefBombPDF(0))
	if domain.ErrorReason(err) != "pdf.broken" {
		t.Fatalf("got %v, want pdf.broken", err)
	}
	c.opts.Timeout = DefaultTimeout
	if _, err := c.NewPDFAttachment(context.Background(), domain.AttachmentLicence, conversationtest.XRefBombPDF(0)); err != nil {
		t.Fatalf("after a timeout: %v", err)
	}
}

// Nothing is wrong with the file when the checker cannot run it: the
// error is CodeUnavailable (the applicant is asked to try again).
func TestCheckerUnavailable(t *testing.T) {
	c := newChecker(t, Options{Path: "/nonexistent/regbot"})
	_, err := c.NewPDFAttachment(context.Background(), domain.AttachmentLicence, conversationtest.XRefBombPDF(0))
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("no worker: got %v, want CodeUnavailable", err)
	}

	c = newChecker(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.NewPDFAttachment(ctx, domain.AttachmentLicence, conversationtest.XRefBombPDF(0))
	if domain.ErrorCode(err) != domain.CodeUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want CodeUnavailable wrapping context.Canceled", err)
	}
}

// The limits leave room for the largest honest upload: a 10 MiB scan.
func TestCheckerAcceptsLargeScan(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3400, 2700))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	c := newChecker(t, Options{})
	ctx := context.Background()
	pdf, err := c.ImagesToPDF(ctx, [][]byte{jpg.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdf) < 8<<20 || len(pdf) > domain.MaxAttachmentSize {
		t.Fatalf("the scan is %d bytes, want 8 MiB to the 10 MiB limit", len(pdf))
	}
	if _, err := c.NewPDFAttachment(ctx, domain.AttachmentLicence, pdf); err != nil {
		t.Fatalf("a %d-byte scan: %v", len(pdf), err)
	}
}

// A worker that died between checks (killed by the kernel, say) is not
// the next file's fault: the check runs on a new worker.
func TestCheckerWorkerDiedBetweenChecks(t *testing.T) {
	c := newChecker(t, Options{})
	ctx := context.Background()
	if _, err := c.NewPDFAttachment(ctx, domain.AttachmentLicence, conversationtest.PDF("a")); err != nil {
		t.Fatal(err)
	}
	old := c.w.cmd.Process
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Wait(); err != nil { // reaped: its pipes are closed
		t.Fatal(err)
	}
	att, err := c.NewPDFAttachment(ctx, domain.AttachmentLicence, conversationtest.PDF("b"))
	if err != nil || att.FileName != "营业执照.pdf" {
		t.Fatalf("after the worker died: %+v, %v", att, err)
	}
	if c.w == nil || c.w.cmd.Process.Pid == old.Pid {
		t.Error("no new worker")
	}
}

// A PNG is decoded whole: one too large for the worker's memory is refused
// as too large (the applicant is asked to shrink it), not as broken.
func TestCheckerImageTooLargeForMemory(t *testing.T) {
	c := newChecker(t, Options{})
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 4000, 5000))); err != nil { // 20 Mpixel
		t.Fatal(err)
	}
	_, err := c.ImagesToPDF(context.Background(), [][]byte{b.Bytes()})
	if domain.ErrorCode(err) != domain.CodeInvalid || domain.ErrorReason(err) != "image.too_large" {
		t.Fatalf("got %v, want image.too_large", err)
	}
}

// A 12-megapixel phone photo stored sideways is turned upright within the
// worker's default memory: decoded, turned plane by plane, encoded again.
func TestCheckerTurnsPhonePhoto(t *testing.T) {
	spec := conversationtest.PhotoSpec{W: 3024, H: 4032, Orientation: 6}
	c := newChecker(t, Options{})
	pdf, err := c.ImagesToPDF(context.Background(), [][]byte{conversationtest.Photo(spec)})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := conversationtest.Pages(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || !pages[0].Upright(spec) {
		t.Errorf("the photo is not an upright page: %d pages, the first %d×%d", len(pages), pages[0].W, pages[0].H)
	}
}
