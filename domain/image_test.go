package domain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"slices"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// withOrientation inserts an EXIF APP1 segment saying orientation o right
// after a JPEG's SOI marker, as a phone writes it: IFD0 with a few tags, the
// orientation among them (big- or little-endian TIFF).
func withOrientation(tb testing.TB, jpg []byte, o int, bigEndian bool) []byte {
	tb.Helper()
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	tiff := []byte("II*\x00")
	if bigEndian {
		bo, tiff = binary.BigEndian, []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8) // IFD0 right after the header
	entries := []struct {
		tag, typ uint16
		count    uint32
		value    []byte
	}{
		{0x010F, 2, 4, []byte("ACME")}, // Make, ASCII, fits in the value field
		{0x0112, 3, 1, bo.AppendUint16(nil, uint16(o))},
		{0x0131, 2, 4, []byte("cam\x00")}, // Software
	}
	tiff = bo.AppendUint16(tiff, uint16(len(entries)))
	for _, e := range entries {
		tiff = bo.AppendUint16(tiff, e.tag)
		tiff = bo.AppendUint16(tiff, e.typ)
		tiff = bo.AppendUint32(tiff, e.count)
		v := make([]byte, 4)
		copy(v, e.value)
		tiff = append(tiff, v...)
	}
	tiff = bo.AppendUint32(tiff, 0) // no IFD1
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1}, binary.BigEndian.AppendUint16(nil, uint16(len(seg)+2))...)
	app1 = append(app1, seg...)
	if !bytes.HasPrefix(jpg, []byte{0xFF, 0xD8}) {
		tb.Fatal("not a JPEG")
	}
	return append(append([]byte{0xFF, 0xD8}, app1...), jpg[2:]...)
}

// The upright picture of the tests: a portrait page, white, with a red
// square at its top left, a blue one at its top right and a green one at
// its bottom left. Any turn or mirror moves at least one of them.
const (
	pageW, pageH = 64, 96
	mark         = 16
)

var (
	red   = color.RGBA{220, 20, 20, 255}
	blue  = color.RGBA{20, 20, 220, 255}
	green = color.RGBA{20, 200, 20, 255}
	white = color.RGBA{255, 255, 255, 255}
)

type corner int

const (
	topLeft corner = iota
	topRight
	bottomLeft
	bottomRight
)

// storedCorners says, for each EXIF orientation, at which corner of the
// stored image the upright picture's top left, top right and bottom left
// are: the tag's definition ("the 0th row is the visual …, the 0th column
// the visual …"), written out independently of the code under test.
var storedCorners = map[int][3]corner{
	1: {topLeft, topRight, bottomLeft},     // 0th row top, 0th column left
	2: {topRight, topLeft, bottomRight},    // row top, column right
	3: {bottomRight, bottomLeft, topRight}, // row bottom, column right
	4: {bottomLeft, bottomRight, topLeft},  // row bottom, column left
	5: {topLeft, bottomLeft, topRight},     // row left, column top
	6: {bottomLeft, topLeft, bottomRight},  // row right, column top
	7: {bottomRight, topRight, bottomLeft}, // row right, column bottom
	8: {topRight, bottomRight, topLeft},    // row left, column bottom
}

// storedPhoto paints the picture as a camera with orientation o stores it
// (sideways for 5–8) and returns it as a JPEG tagged with o.
func storedPhoto(tb testing.TB, o int, bigEndian bool) []byte {
	tb.Helper()
	w, h := pageW, pageH
	if o >= 5 {
		w, h = pageH, pageW
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(white), image.Point{}, draw.Src)
	for i, c := range []color.Color{red, blue, green} {
		x, y := 0, 0
		switch storedCorners[o][i] {
		case topRight:
			x = w - mark
		case bottomLeft:
			y = h - mark
		case bottomRight:
			x, y = w-mark, h-mark
		}
		draw.Draw(img, image.Rect(x, y, x+mark, y+mark), image.NewUniform(c), image.Point{}, draw.Src)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return withOrientation(tb, b.Bytes(), o, bigEndian)
}

// pdfPages returns the size of each page of a PDF and the image it shows.
func pdfPages(tb testing.TB, pdf []byte) ([]image.Point, []image.Image) {
	tb.Helper()
	conf := model.NewDefaultConfiguration()
	dims, err := api.PageDims(bytes.NewReader(pdf), conf)
	if err != nil {
		tb.Fatalf("page sizes: %v", err)
	}
	raw, err := api.ExtractImagesRaw(bytes.NewReader(pdf), nil, conf)
	if err != nil {
		tb.Fatalf("extract images: %v", err)
	}
	if len(raw) != len(dims) {
		tb.Fatalf("%d pages, %d with images", len(dims), len(raw))
	}
	sizes := make([]image.Point, len(dims))
	imgs := make([]image.Image, len(dims))
	for i, d := range dims {
		sizes[i] = image.Pt(int(d.Width), int(d.Height))
		if len(raw[i]) != 1 {
			tb.Fatalf("page %d shows %d images", i+1, len(raw[i]))
		}
		for _, m := range raw[i] {
			img, _, err := image.Decode(m)
			if err != nil {
				tb.Fatalf("page %d: decode %s image: %v", i+1, m.FileType, err)
			}
			imgs[i] = img
		}
	}
	return sizes, imgs
}

// near reports whether two colours are alike, as JPEG keeps them.
func near(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := func(x, y uint32) bool { return x>>8 < y>>8+48 && y>>8 < x>>8+48 }
	return d(r1, r2) && d(g1, g2) && d(b1, b2)
}

// checkUpright fails unless img is the upright picture.
func checkUpright(t *testing.T, name string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != pageW || b.Dy() != pageH {
		t.Errorf("%s: the page's image is %d×%d, want %d×%d (portrait)", name, b.Dx(), b.Dy(), pageW, pageH)
		return
	}
	at := func(x, y int) color.Color { return img.At(b.Min.X+x, b.Min.Y+y) }
	for _, p := range []struct {
		what string
		x, y int
		want color.Color
	}{
		{"top left", mark / 2, mark / 2, red},
		{"top right", pageW - mark/2, mark / 2, blue},
		{"bottom left", mark / 2, pageH - mark/2, green},
		{"bottom right", pageW - mark/2, pageH - mark/2, white},
		{"middle", pageW / 2, pageH / 2, white},
	} {
		if got := at(p.x, p.y); !near(got, p.want) {
			t.Errorf("%s: %s is %v, want %v", name, p.what, got, p.want)
		}
	}
}

// A phone photo becomes an upright page whatever its EXIF orientation.
func TestImagesToPDFHonoursOrientation(t *testing.T) {
	for o := 1; o <= 8; o++ {
		for _, bigEndian := range []bool{false, true} {
			name := fmt.Sprintf("orientation %d, big-endian %v", o, bigEndian)
			jpg := storedPhoto(t, o, bigEndian)
			if got := exifOrientation(jpg); got != o {
				t.Fatalf("%s: exifOrientation = %d", name, got)
			}
			pdf, err := ImagesToPDF([][]byte{jpg})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sizes, imgs := pdfPages(t, pdf)
			if len(imgs) != 1 || sizes[0] != image.Pt(pageW, pageH) {
				t.Errorf("%s: pages %v, want one of %d×%d", name, sizes, pageW, pageH)
				continue
			}
			checkUpright(t, name, imgs[0])
		}
	}
}

// An image without EXIF, a PNG and a JPEG whose EXIF has no orientation
// stay as they are: a JPEG is embedded byte for byte.
func TestImagesToPDFLeavesUprightImages(t *testing.T) {
	plain := storedPhoto(t, 1, false)
	noExif := append([]byte{0xFF, 0xD8}, plain[2+2+int(binary.BigEndian.Uint16(plain[4:])):]...)
	if exifOrientation(noExif) != 1 {
		t.Fatal("noExif has an orientation")
	}
	pdf, err := ImagesToPDF([][]byte{noExif})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, noExif) {
		t.Error("a JPEG stored upright was re-encoded")
	}
	_, imgs := pdfPages(t, pdf)
	checkUpright(t, "no EXIF", imgs[0])

	img, _ := jpeg.Decode(bytes.NewReader(noExif))
	var p bytes.Buffer
	if err := png.Encode(&p, toRGBA(img)); err != nil { // 8 bits a channel, as pdfcpu extracts them
		t.Fatal(err)
	}
	pdf, err = ImagesToPDF([][]byte{p.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	_, imgs = pdfPages(t, pdf)
	checkUpright(t, "PNG", imgs[0])
}

// The YCbCr planes are turned plane by plane (no conversion to RGB): for
// every subsampling a JPEG decoder gives, and every orientation, the
// result is the picture turned through RGBA, pixel for pixel.
func TestUprightYCbCr(t *testing.T) {
	const w, h = 8, 6 // even: a mirrored subsampled plane lines up exactly
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		src := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
		for i := range src.Y {
			src.Y[i] = byte(i * 37)
		}
		for i := range src.Cb {
			src.Cb[i], src.Cr[i] = byte(i*53), byte(255-i*29)
		}
		for o := 1; o <= 8; o++ {
			turned := upright(src, o)
			_, planar := turned.(*image.YCbCr)
			// 4:1:1 and 4:1:0 have no form with the sides swapped.
			noTranspose := ratio == image.YCbCrSubsampleRatio411 || ratio == image.YCbCrSubsampleRatio410
			if planar == (noTranspose && o >= 5) {
				t.Fatalf("%v, orientation %d: turned as %T", ratio, o, turned)
			}
			got, want := toRGBA(turned), upright(toRGBA(src), o).(*image.RGBA)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Fatalf("%v, orientation %d: %v differs from %v turned through RGBA", ratio, o, got.Rect, want.Rect)
			}
		}
	}
}

func toRGBA(img image.Image) *image.RGBA {
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	return rgba
}

// Grey photos are turned as grey planes.
func TestUprightGray(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(src.Pix, []byte{1, 2, 3, 4, 5, 6}) // 1 2 3 / 4 5 6
	for o, want := range map[int][]byte{
		1: {1, 2, 3, 4, 5, 6},
		2: {3, 2, 1, 6, 5, 4},
		3: {6, 5, 4, 3, 2, 1},
		4: {4, 5, 6, 1, 2, 3},
		5: {1, 4, 2, 5, 3, 6},
		6: {4, 1, 5, 2, 6, 3},
		7: {6, 3, 5, 2, 4, 1},
		8: {3, 6, 2, 5, 1, 4},
	} {
		got := upright(src, o).(*image.Gray)
		if !bytes.Equal(got.Pix, want) {
			t.Errorf("orientation %d: %v, want %v", o, got.Pix, want)
		}
	}
}

// Broken or odd EXIF data reads as "stored upright", never as a turn.
func TestExifOrientationMalformed(t *testing.T) {
	good := storedPhoto(t, 6, false)
	for name, data := range map[string][]byte{
		"not a JPEG":        []byte("\x89PNG\r\n\x1a\n"),
		"empty":             nil,
		"SOI only":          {0xFF, 0xD8},
		"segment too long":  {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'},
		"not Exif":          {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'X', 'M', 'P', 0, 0, 0},
		"bad byte order":    append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10}, []byte("Exif\x00\x00XX*\x00\x08\x00\x00\x00")...),
		"IFD out of range":  append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10}, []byte("Exif\x00\x00II*\x00\xFF\x00\x00\x00")...),
		"cut in the middle": good[:30],
		"orientation 9":     bytes.Replace(good, []byte{0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0}, []byte{0x12, 0x01, 3, 0, 1, 0, 0, 0, 9, 0}, 1),
		"orientation LONG":  bytes.Replace(good, []byte{0x12, 0x01, 3, 0}, []byte{0x12, 0x01, 4, 0}, 1),
		"after the scan":    append([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02}, good[2:]...),
	} {
		if o := exifOrientation(data); o != 1 {
			t.Errorf("%s: orientation %d, want 1", name, o)
		}
	}
}

// The photos of an album become one PDF, a page per photo in the order
// given, each page upright.
func TestImagesToPDFPages(t *testing.T) {
	pages := [][]byte{storedPhoto(t, 6, false), storedPhoto(t, 1, true), storedPhoto(t, 3, false)}
	// Tell the pages apart by size: the second is wider.
	wide := image.NewRGBA(image.Rect(0, 0, 2*pageW, pageH))
	draw.Draw(wide, wide.Rect, image.NewUniform(white), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, wide, nil); err != nil {
		t.Fatal(err)
	}
	pages[1] = b.Bytes()
	pdf, err := ImagesToPDF(pages)
	if err != nil {
		t.Fatal(err)
	}
	sizes, imgs := pdfPages(t, pdf)
	want := []image.Point{{pageW, pageH}, {2 * pageW, pageH}, {pageW, pageH}}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("pages %v, want %v", sizes, want)
	}
	checkUpright(t, "page 1", imgs[0])
	checkUpright(t, "page 3", imgs[2])
	if _, err := NewPDFAttachment(AttachmentLicence, pdf); err != nil {
		t.Errorf("the album's PDF is not a valid attachment: %v", err)
	}
}

func TestImagesToPDFRefuses(t *testing.T) {
	photo := storedPhoto(t, 1, false)
	big := bytes.Repeat([]byte{0}, MaxAttachmentSize/3)
	// A PNG header declaring 10000×10000 pixels, in a few bytes.
	ihdr := []byte("IHDR\x00\x00\x27\x10\x00\x00\x27\x10\x08\x00\x00\x00\x00")
	tooManyPixels := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	tooManyPixels = binary.BigEndian.AppendUint32(tooManyPixels, crc32.ChecksumIEEE(ihdr))
	for _, tt := range []struct {
		name   string
		images [][]byte
		reason string
		args   string
	}{
		{"nothing", nil, "image.broken", ""},
		{"a PDF", [][]byte{minimalPDF()}, "image.unsupported", ""},
		{"too many pages", slices.Repeat([][]byte{photo}, MaxImagePages+1), "image.too_many", "Max=10"},
		{"one over 10 MiB", [][]byte{append(photo, make([]byte, MaxAttachmentSize)...)}, "pdf.too_large", ""},
		{"three over 10 MiB together", [][]byte{append(photo, big...), append(photo, big...), append(photo, big...)}, "image.pages_too_large", "Pages=3"},
		{"too many pixels", [][]byte{photo, tooManyPixels}, "image.too_large", ""},
		{"broken", [][]byte{photo, photo[:40]}, "image.broken", ""},
	} {
		_, err := ImagesToPDF(tt.images)
		checkErrArgs(t, tt.name, err, tt.reason, tt.args)
	}
}

func TestUnconvertibleImage(t *testing.T) {
	bmp := append([]byte("BM"), make([]byte, 16)...)
	bmp[14] = 40
	for name, tt := range map[string]struct {
		data   []byte
		format string
	}{
		"HEIC":       {[]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "HEIC"},
		"HEIF":       {[]byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00"), "HEIC"},
		"AVIF":       {[]byte("\x00\x00\x00\x18ftypavif\x00\x00\x00\x00"), "AVIF"},
		"WebP":       {[]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), "WebP"},
		"GIF":        {[]byte("GIF89a\x01\x00"), "GIF"},
		"TIFF":       {[]byte("II*\x00\x08\x00\x00\x00"), "TIFF"},
		"BMP":        {bmp, "BMP"},
		"text BM":    {[]byte("BMW annual report, 2026 edition"), ""},
		"MP4 video":  {[]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"), ""},
		"JPEG":       {[]byte{0xFF, 0xD8, 0xFF, 0xE0}, ""},
		"PDF":        {minimalPDF(), ""},
		"Word (zip)": {[]byte("PK\x03\x04"), ""},
	} {
		err := UnconvertibleImage(tt.data)
		if tt.format == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		checkErrArgs(t, name, err, "image.format", "Format="+tt.format)
	}
}
