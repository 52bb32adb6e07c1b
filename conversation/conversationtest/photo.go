package conversationtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// PhotoSpec describes a phone photo of a page: Color fills it, with a black
// square at its top left as a person sees it (upright, W×H pixels). The
// JPEG stores it as a camera held at Orientation (1–8, EXIF) does: turned
// or mirrored, with the EXIF tag saying how to turn it back.
type PhotoSpec struct {
	W, H        int
	Color       color.RGBA // white when zero
	Orientation int        // 0 or 1: stored upright, without EXIF
}

// Photo returns the JPEG of a PhotoSpec.
func Photo(p PhotoSpec) []byte {
	if p.Color == (color.RGBA{}) {
		p.Color = color.RGBA{255, 255, 255, 255}
	}
	o := max(p.Orientation, 1)
	sw, sh := p.W, p.H
	if o >= 5 {
		sw, sh = p.H, p.W
	}
	mark := max(min(p.W, p.H)/4, 1)
	img := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for sy := 0; sy < sh; sy++ {
		for sx := 0; sx < sw; sx++ {
			// Where the stored pixel shows once turned upright, by the
			// EXIF definition of each orientation (its 0th row and 0th
			// column are the visual …).
			var x, y int
			switch o {
			case 1: // top, left
				x, y = sx, sy
			case 2: // top, right
				x, y = sw-1-sx, sy
			case 3: // bottom, right
				x, y = sw-1-sx, sh-1-sy
			case 4: // bottom, left
				x, y = sx, sh-1-sy
			case 5: // left, top
				x, y = sy, sx
			case 6: // right, top
				x, y = sh-1-sy, sx
			case 7: // right, bottom
				x, y = sh-1-sy, sw-1-sx
			case 8: // left, bottom
				x, y = sy, sw-1-sx
			}
			c := p.Color
			if x < mark && y < mark {
				c = color.RGBA{0, 0, 0, 255}
			}
			img.SetRGBA(sx, sy, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	if p.Orientation == 0 {
		return b.Bytes()
	}
	return withOrientation(b.Bytes(), o)
}

// withOrientation inserts an EXIF APP1 segment with the Orientation tag
// after the JPEG's SOI marker (little-endian TIFF, IFD0 only).
func withOrientation(jpg []byte, o int) []byte {
	le := binary.LittleEndian
	tiff := le.AppendUint32([]byte("II*\x00"), 8)
	tiff = le.AppendUint16(tiff, 1)      // one entry
	tiff = le.AppendUint16(tiff, 0x0112) // Orientation
	tiff = le.AppendUint16(tiff, 3)      // SHORT
	tiff = le.AppendUint32(tiff, 1)
	tiff = le.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0)
	tiff = le.AppendUint32(tiff, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// Page is a page of a PDF as a reader sees it: its size in points and the
// image it shows (the PDFs made of photos show one image a page).
type Page struct {
	W, H  int
	Image image.Image
}

// Pages returns the pages of a PDF made of images, in order.
func Pages(pdf []byte) ([]Page, error) {
	conf := model.NewDefaultConfiguration()
	dims, err := api.PageDims(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, fmt.Errorf("page sizes: %w", err)
	}
	raw, err := api.ExtractImagesRaw(bytes.NewReader(pdf), nil, conf)
	if err != nil {
		return nil, fmt.Errorf("extract images: %w", err)
	}
	if len(raw) != len(dims) {
		return nil, fmt.Errorf("%d pages, %d with images", len(dims), len(raw))
	}
	pages := make([]Page, len(dims))
	for i, d := range dims {
		pages[i].W, pages[i].H = int(d.Width), int(d.Height)
		if len(raw[i]) != 1 {
			return nil, fmt.Errorf("page %d shows %d images", i+1, len(raw[i]))
		}
		for _, m := range raw[i] {
			if pages[i].Image, _, err = image.Decode(m); err != nil {
				return nil, fmt.Errorf("page %d: decode its %s image: %w", i+1, m.FileType, err)
			}
		}
	}
	return pages, nil
}

// Upright reports whether a page shows a Photo of colour c upright: as wide
// and tall as the photo, the black square at the top left and c in the
// other corners.
func (p Page) Upright(spec PhotoSpec) bool {
	if spec.Color == (color.RGBA{}) {
		spec.Color = color.RGBA{255, 255, 255, 255}
	}
	b := p.Image.Bounds()
	if p.W != spec.W || p.H != spec.H || b.Dx() != spec.W || b.Dy() != spec.H {
		return false
	}
	mark := max(min(spec.W, spec.H)/4, 1)
	at := func(x, y int) color.Color { return p.Image.At(b.Min.X+x, b.Min.Y+y) }
	return Near(at(mark/2, mark/2), color.RGBA{0, 0, 0, 255}) &&
		Near(at(spec.W-1-mark/2, mark/2), spec.Color) &&
		Near(at(mark/2, spec.H-1-mark/2), spec.Color) &&
		Near(at(spec.W-1-mark/2, spec.H-1-mark/2), spec.Color)
}

// Near reports whether two colours are alike, as JPEG keeps them.
func Near(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := func(x, y uint32) bool { x, y = x>>8, y>>8; return x < y+48 && y < x+48 }
	return d(r1, r2) && d(g1, g2) && d(b1, b2)
}
