package domain

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
	"image/jpeg"
)

// A phone stores a photo as its sensor saw it and records in the JPEG's
// EXIF data how to turn it upright (the Orientation tag, 1–8). Viewers
// honour the tag; a PDF page does not, so a photo taken in portrait would
// show sideways. ImagesToPDF therefore turns such a photo upright first.

// exifOrientation returns the EXIF Orientation (1–8) of a JPEG, or 1 (as
// stored) when it has none or it cannot be read. It reads the markers up to
// the first scan, and in the first APP1 "Exif" segment IFD0 only.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD8 || marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // no length
			i += 2
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image: no EXIF before it
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure (EXIF's
// body), or returns 1.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for k := 0; k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// Type SHORT (3), count 1: the value is in the first two bytes of
		// the value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 1
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}

// orientation maps a pixel of the upright image back to the stored one:
// for EXIF orientation o and a stored image of w×h pixels, the upright
// pixel (x, y) is the stored pixel at(x, y). Orientations 5–8 swap the
// sides (the upright image is h×w).
func orientation(o, w, h int) (at func(x, y int) (int, int), swap bool) {
	switch o {
	case 2: // mirrored left to right
		return func(x, y int) (int, int) { return w - 1 - x, y }, false
	case 3: // turned 180°
		return func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }, false
	case 4: // mirrored top to bottom
		return func(x, y int) (int, int) { return x, h - 1 - y }, false
	case 5: // mirrored along the main diagonal
		return func(x, y int) (int, int) { return y, x }, true
	case 6: // stored turned 90° anticlockwise: turn it 90° clockwise
		return func(x, y int) (int, int) { return y, h - 1 - x }, true
	case 7: // mirrored along the other diagonal
		return func(x, y int) (int, int) { return w - 1 - y, h - 1 - x }, true
	case 8: // stored turned 90° clockwise: turn it 90° anticlockwise
		return func(x, y int) (int, int) { return w - 1 - y, x }, true
	}
	return func(x, y int) (int, int) { return x, y }, false
}

// plane copies a w×h byte plane (stride stride) into dst (stride
// dstStride), applying orientation o.
func plane(dst []byte, dstStride int, src []byte, stride, w, h, o int) {
	at, swap := orientation(o, w, h)
	ow, oh := w, h
	if swap {
		ow, oh = h, w
	}
	for y := 0; y < oh; y++ {
		row := dst[y*dstStride : y*dstStride+ow]
		for x := range row {
			sx, sy := at(x, y)
			row[x] = src[sy*stride+sx]
		}
	}
}

// transposedRatio is the chroma subsampling of a YCbCr image whose sides
// are swapped; ok is false for the ratios that have no transposed form.
func transposedRatio(r image.YCbCrSubsampleRatio) (image.YCbCrSubsampleRatio, bool) {
	switch r {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
		return r, true
	case image.YCbCrSubsampleRatio422:
		return image.YCbCrSubsampleRatio440, true
	case image.YCbCrSubsampleRatio440:
		return image.YCbCrSubsampleRatio422, true
	}
	return r, false
}

// upright returns img turned upright for EXIF orientation o (2–8), plane
// by plane for the forms image/jpeg decodes to (grey and YCbCr, as phones
// write them), through RGBA otherwise. The result has its origin at 0, 0.
func upright(img image.Image, o int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	_, swap := orientation(o, w, h)
	ow, oh := w, h
	if swap {
		ow, oh = h, w
	}
	switch src := img.(type) {
	case *image.Gray:
		if b.Min == (image.Point{}) {
			dst := image.NewGray(image.Rect(0, 0, ow, oh))
			plane(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, o)
			return dst
		}
	case *image.YCbCr:
		ratio := src.SubsampleRatio
		ok := true
		if swap {
			ratio, ok = transposedRatio(ratio)
		}
		if ok && b.Min == (image.Point{}) {
			dst := image.NewYCbCr(image.Rect(0, 0, ow, oh), ratio)
			plane(dst.Y, dst.YStride, src.Y, src.YStride, w, h, o)
			// The chroma planes cover the image as the luma plane does,
			// at their own resolution: turned the same way.
			cw, ch := chromaSize(src)
			plane(dst.Cb, dst.CStride, src.Cb, src.CStride, cw, ch, o)
			plane(dst.Cr, dst.CStride, src.Cr, src.CStride, cw, ch, o)
			return dst
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	at, _ := orientation(o, w, h)
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			sx, sy := at(x, y)
			copy(dst.Pix[y*dst.Stride+4*x:y*dst.Stride+4*x+4], rgba.Pix[sy*rgba.Stride+4*sx:])
		}
	}
	return dst
}

// chromaSize is the size of a 0-origin YCbCr image's chroma planes.
func chromaSize(m *image.YCbCr) (w, h int) {
	w, h = m.Rect.Dx(), m.Rect.Dy()
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// uprightJPEG returns a JPEG turned upright as its EXIF orientation says,
// re-encoded without EXIF; a JPEG stored upright is returned as it is.
func uprightJPEG(data []byte) ([]byte, error) {
	o := exifOrientation(data)
	if o == 1 {
		return data, nil
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(data))
	// Near the quality phones store photos at: a page stays legible.
	if err := jpeg.Encode(&out, upright(img, o), &jpeg.Options{Quality: 92}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
