package media

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"

	xdraw "golang.org/x/image/draw"
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
	if err := p.checkSize(canvasW, canvasH, 1); err != nil {
		return Result{}, err
	}
	if err := p.checkSize(cfg.Width, cfg.Height, decodedWeight(cfg.ColorModel)); err != nil {
		return Result{}, err
	}
	if f == formatJPEG && decodesAtHalf(cfg.Width, cfg.Height) {
		if half, ok := halfJPEG(data); ok {
			return encodeImage(uprightScaled(half, exifOrientation(data, f), MaxPhotoSide), f, photoQuality)
		}
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
	shrunk := max(canvasW, canvasH) > MaxPhotoSide
	img = uprightScaled(img, exifOrientation(data, f), MaxPhotoSide)
	quality := jpegQuality
	if shrunk {
		quality = photoQuality
	}
	return encodeImage(img, f, quality)
}

// decodesAtHalf tells whether a w × h JPEG is stored at half its size or
// less by an even box factor (photoSize, boxFactor: a 12-megapixel phone
// photo halves to 2000 × 1500), so that halfJPEG's decode at half size
// followed by the same pipeline gives the stored size the full decode
// would: the box pass of the rest, if any, halves too.
func decodesAtHalf(w, h int) bool {
	sw, sh := photoSize(w, h, MaxPhotoSide)
	k := boxFactor(w, h, sw, sh)
	return k >= 2 && k%2 == 0
}

// encodeImage encodes the cleaned image (a JPEG at quality) and its
// thumbnail: JPEG stays JPEG, anything else becomes PNG (it may be
// transparent or pixel art). The thumbnail is drawn and encoded beside
// the image's encoding: each is one core's sequential work, and both
// only read img.
func encodeImage(img image.Image, f Format, quality int) (Result, error) {
	type thumbResult struct {
		t   *Thumbnail
		err error
	}
	thumbDone := make(chan thumbResult, 1)
	go func() {
		t, err := thumbnail(img, f == formatJPEG)
		thumbDone <- thumbResult{t, err}
	}()
	out := Result{Kind: KindImage, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var err error
	if out.ContentType, out.Data, err = encodeWhole(img, f, quality); err != nil {
		<-thumbDone
		return Result{}, broken(f, "the image cannot be re-encoded")
	}
	t := <-thumbDone
	if t.err != nil {
		return Result{}, broken(f, "the thumbnail cannot be encoded")
	}
	out.Thumb = t.t
	return out, nil
}

// encodeWhole encodes img as a JPEG at quality when f is JPEG, else as a
// PNG, and returns its content type and bytes.
func encodeWhole(img image.Image, f Format, quality int) (string, []byte, error) {
	var buf bytes.Buffer
	if f == formatJPEG {
		// About a tenth of a byte a pixel at quality 80 for a photo: one
		// allocation instead of the buffer's doublings.
		buf.Grow(img.Bounds().Dx() * img.Bounds().Dy() / 8)
		err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
		return "image/jpeg", buf.Bytes(), err
	}
	err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	return "image/png", buf.Bytes(), err
}

// checkSize refuses an image whose sides or pixel count, each pixel
// counting weight times (decodedWeight), pass the limits.
func (p *Processor) checkSize(w, h int, weight int64) error {
	if w <= 0 || h <= 0 {
		return domain.Invalid("file", "the image has no pixels")
	}
	if w > p.limits.MaxSide || h > p.limits.MaxSide || int64(w)*int64(h)*weight > p.limits.MaxPixels {
		return domain.Errorf(domain.CodeTooLarge, "the image is %d × %d pixels; at most %d pixels a side and %d in all (half that at 16 bits a channel) are accepted",
			w, h, p.limits.MaxSide, p.limits.MaxPixels)
	}
	return nil
}

// decodedWeight is how many RGBA pixels (4 bytes) one pixel of an image
// decoded in color model m costs: 2 for 16 bits a channel (8 bytes),
// else 1 (YCbCr, gray and paletted images take less than RGBA, but their
// upright or re-composed copy is RGBA).
func decodedWeight(m color.Model) int64 {
	if m == color.RGBA64Model || m == color.NRGBA64Model {
		return 2
	}
	return 1
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
// leaves it as it is). A photo's YCbCr planes are turned as they are
// (orientYCbCr); anything else is read as it is (gray, 16-bit, ...) into
// one new RGBA picture: an upload costs its decoded form and one upright
// copy, never a third.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	if y, ok := img.(*image.YCbCr); ok {
		if out, ok := orientYCbCr(y, o); ok {
			return out
		}
	}
	b := img.Bounds()
	dw, dh := b.Dx(), b.Dy()
	if o >= 5 { // the ones that turn by a quarter swap the sides
		dw, dh = dh, dw
	}
	s2d := orientation(o, b)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// Nearest-neighbour on whole-pixel turns and mirrors moves each pixel
	// exactly, with fast paths for the decoders' image types.
	xdraw.NearestNeighbor.Transform(dst, s2d, img, b, xdraw.Src, nil)
	return dst
}
