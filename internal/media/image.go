package media

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"

	"pixelpals/internal/domain"
)

// jpegQuality is what re-encoded photos are saved at: indistinguishable
// from the upload on a phone screen, and smaller than most cameras'.
const jpegQuality = 88

// image checks the header's dimensions against the limits before decoding
// anything, decodes, applies the EXIF orientation and encodes anew: PNG
// and JPEG keep their format, GIF and WebP become PNG (first frame). The
// encoders write no metadata, and bytes after the image's end are never
// read, so EXIF, GPS, XMP, ICC, text chunks and trailing data are gone.
func (p *Processor) image(data []byte, f Format) (Result, error) {
	src := data
	var frame *webpFrame
	if f == formatWebP {
		var err error
		if src, frame, err = webpFirstFrame(data); err != nil {
			return Result{}, broken(f, err.Error())
		}
	}
	cfg, err := decodeConfig(src, f)
	if err != nil {
		return Result{}, broken(f, "unreadable header")
	}
	canvasW, canvasH := cfg.Width, cfg.Height
	if frame != nil {
		canvasW, canvasH = frame.canvasW, frame.canvasH
	}
	if err := p.checkSize(canvasW, canvasH); err != nil {
		return Result{}, err
	}
	if err := p.checkSize(cfg.Width, cfg.Height); err != nil {
		return Result{}, err
	}
	img, err := decodeImage(src, f)
	if err != nil {
		return Result{}, broken(f, "the image data does not decode")
	}
	if b := img.Bounds(); b.Dx() != canvasW || b.Dy() != canvasH || b.Min != (image.Point{}) {
		// A GIF's first frame may cover part of its screen, an animated
		// WebP's first frame part of its canvas: place it on the full one.
		canvas := image.NewRGBA(image.Rect(0, 0, canvasW, canvasH))
		at := b.Min
		if frame != nil {
			at = image.Pt(frame.x, frame.y)
		}
		draw.Draw(canvas, image.Rectangle{Min: at, Max: at.Add(b.Size())}, img, b.Min, draw.Src)
		img = canvas
	}
	img = orient(img, exifOrientation(data, f))

	var buf bytes.Buffer
	out := Result{Kind: KindImage, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	if f == formatJPEG {
		out.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	} else {
		out.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	}
	if err != nil {
		return Result{}, broken(f, "the image cannot be re-encoded")
	}
	out.Data = buf.Bytes()
	return out, nil
}

func (p *Processor) checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return domain.Invalid("file", "the image has no pixels")
	}
	if w > p.limits.MaxSide || h > p.limits.MaxSide || int64(w)*int64(h) > p.limits.MaxPixels {
		return domain.Errorf(domain.CodeTooLarge, "the image is %d × %d pixels; at most %d pixels a side and %d in all are accepted",
			w, h, p.limits.MaxSide, p.limits.MaxPixels)
	}
	return nil
}

// decodeConfig reads only the header, with the decoder of the sniffed
// format (never another registered one).
func decodeConfig(data []byte, f Format) (image.Config, error) {
	r := bytes.NewReader(data)
	switch f {
	case formatPNG:
		return png.DecodeConfig(r)
	case formatJPEG:
		return jpeg.DecodeConfig(r)
	case formatGIF:
		return gif.DecodeConfig(r)
	}
	return webp.DecodeConfig(r)
}

func decodeImage(data []byte, f Format) (image.Image, error) {
	r := bytes.NewReader(data)
	switch f {
	case formatPNG:
		return png.Decode(r)
	case formatJPEG:
		return jpeg.Decode(r)
	case formatGIF:
		return gif.Decode(r) // the first frame only
	}
	return webp.Decode(r)
}

// orient turns img upright per an EXIF orientation (1..8; anything else
// leaves it as it is).
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // the ones that turn by a quarter swap the sides
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // upside down
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored upside down
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // needs a quarter turn clockwise
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // needs a quarter turn anticlockwise
				sx, sy = w-1-y, x
			}
			copy(dst.Pix[dst.PixOffset(x, y):][:4], src.Pix[src.PixOffset(sx, sy):][:4])
		}
	}
	return dst
}
