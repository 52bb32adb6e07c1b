package domain

import (
	"bytes"
	"image"
	_ "image/jpeg" // decoders for DecodeConfig
	_ "image/png"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// MaxImagePixels bounds an image turned into a PDF (a decompression bomb
// declares huge dimensions in a small file).
const MaxImagePixels = 40_000_000

// IsImage reports whether data starts like a JPEG or PNG file.
func IsImage(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}) || bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n"))
}

// ImageToPDF turns one JPEG or PNG image (a photographed licence, say) into
// a one-page A4 PDF. It refuses anything else, images over the size limit
// and images of more than MaxImagePixels.
func ImageToPDF(data []byte) (pdf []byte, err error) {
	const field = FieldAttachment
	if err := CheckPDFSize(int64(len(data))); err != nil {
		return nil, err
	}
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
	defer func() {
		if r := recover(); r != nil {
			pdf, err = nil, Errorf(CodeInvalid, field, "image.broken", "image import panic: %v", r)
		}
	}()
	var out bytes.Buffer
	if err := importImage(&out, bytes.NewReader(data), model.NewDefaultConfiguration()); err != nil {
		return nil, Errorf(CodeInvalid, field, "image.broken", "%v", err)
	}
	return out.Bytes(), nil
}
