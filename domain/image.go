package domain

import (
	"bytes"
	"encoding/binary"
	"image"
	_ "image/jpeg" // decoders for DecodeConfig
	_ "image/png"
	"io"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// MaxImagePixels bounds each image turned into a PDF page (a decompression
// bomb declares huge dimensions in a small file).
const MaxImagePixels = 40_000_000

// MaxImagePages bounds the pages of a PDF made of images: the photos of an
// album (Telegram sends at most 10 at once).
const MaxImagePages = 10

// IsImage reports whether data starts like a JPEG or PNG file: the images
// that ImagesToPDF converts.
func IsImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) || bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n"))
}

// UnconvertibleImage refuses an image that ImagesToPDF cannot convert (an
// iPhone's HEIC photo sent as a file, a WebP, GIF, BMP or TIFF picture),
// judged by its first bytes, with reason "image.format" naming its format.
// It returns nil for anything else.
func UnconvertibleImage(data []byte) error {
	if f := otherImageFormat(data); f != "" {
		return invalidWith(FieldAttachment, "image.format", "Format", f)
	}
	return nil
}

// otherImageFormat names the format of an image other than JPEG and PNG,
// or returns "".
func otherImageFormat(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		// ISO base media: the brand says which.
		switch string(data[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "HEIC"
		case "avif", "avis":
			return "AVIF"
		}
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "WebP"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "GIF"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "TIFF"
	case len(data) >= 18 && string(data[:2]) == "BM":
		// "BM" alone is too weak: the DIB header's size must be one of
		// the known ones.
		switch binary.LittleEndian.Uint32(data[14:]) {
		case 12, 40, 52, 56, 64, 108, 124:
			return "BMP"
		}
	}
	return ""
}

// ImagesToPDF turns JPEG or PNG images (a photographed licence, or the
// photos of a multi-page document) into a PDF of one page per image, in
// order, each page the size of its image. A photo whose EXIF data says it
// is stored turned or mirrored becomes an upright page. It refuses
// anything else, more than MaxImagePages images, images of more than
// MaxImagePixels, and images or a result over MaxAttachmentSize.
func ImagesToPDF(images [][]byte) (pdf []byte, err error) {
	const field = FieldAttachment
	if err := CheckImages(images); err != nil {
		return nil, err
	}
	for _, data := range images {
		if !IsImage(data) {
			return nil, invalid(field, "image.unsupported")
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, Errorf(CodeInvalid, field, "image.broken", "%v", err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
			return nil, invalid(field, "image.too_large")
		}
	}
	defer func() {
		if r := recover(); r != nil {
			pdf, err = nil, Errorf(CodeInvalid, field, "image.broken", "image import panic: %v", r)
		}
	}()
	pages := make([]io.Reader, len(images))
	for i, data := range images {
		if data[0] == 0xFF { // a JPEG
			if data, err = uprightJPEG(data); err != nil {
				return nil, Errorf(CodeInvalid, field, "image.broken", "image %d: %v", i+1, err)
			}
		}
		pages[i] = bytes.NewReader(data)
	}
	var out bytes.Buffer
	if err := importImages(&out, pages, model.NewDefaultConfiguration()); err != nil {
		return nil, Errorf(CodeInvalid, field, "image.broken", "%v", err)
	}
	if CheckPDFSize(int64(out.Len())) != nil {
		return nil, imagesTooLarge(len(images))
	}
	return out.Bytes(), nil
}

// CheckImages refuses, without reading them, images that ImagesToPDF
// would refuse for their number or size: none, more than MaxImagePages,
// or more than MaxAttachmentSize together (an upright JPEG is embedded as
// it is, so its PDF is larger still; a turned one is re-encoded at about
// its size).
func CheckImages(images [][]byte) error {
	sizes := make([]int, len(images))
	for i, data := range images {
		sizes[i] = len(data)
	}
	return CheckImageSizes(sizes)
}

// CheckImageSizes is CheckImages for images of the given sizes: a check
// before they are stored.
func CheckImageSizes(sizes []int) error {
	switch {
	case len(sizes) == 0:
		return Errorf(CodeInvalid, FieldAttachment, "image.broken", "no image")
	case len(sizes) > MaxImagePages:
		return invalidWith(FieldAttachment, "image.too_many", "Max", strconv.Itoa(MaxImagePages))
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	if CheckPDFSize(int64(total)) != nil {
		return imagesTooLarge(len(sizes))
	}
	return nil
}

// imagesTooLarge refuses images whose PDF would be over the size limit.
func imagesTooLarge(n int) error {
	if n > 1 {
		return invalidWith(FieldAttachment, "image.pages_too_large", "Pages", strconv.Itoa(n))
	}
	return invalid(FieldAttachment, "pdf.too_large")
}
