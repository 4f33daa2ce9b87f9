package media

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// Stored photos are at most MaxPhotoSide pixels on their long edge: a
// phone screen's width twice over, about a tenth of a 12-megapixel
// camera's bytes. Chats, the gallery and lists show the thumbnail, at
// most ThumbSide on its long edge (a chat bubble at 2× density).
const (
	MaxPhotoSide = 2048
	ThumbSide    = 320
)

// photoQuality is the JPEG quality of a photo shrunk to MaxPhotoSide:
// shrinking averages away what quality 88 (jpegQuality) keeps over it,
// and the bytes are 61% of 88's (bench/media_test.go's 12-megapixel
// photo at 2048 px: 433 KB against 706 KB; 332 KB with its thumbnail at
// 2000 px by the plane boxes, which average less of its noise away than
// the tent filter did; 308 KB decoded at half size, which drops the
// noise the boxes folded back), within issue 24's eighth of the 3.9 MB
// stored before. A photo that is not shrunk keeps jpegQuality.
const photoQuality = 80

// thumbQuality is a thumbnail's JPEG quality: it is seen small, and
// stays around 20 KB.
const thumbQuality = 80

// Thumbnail is the small copy of a cleaned image.
type Thumbnail struct {
	ContentType string
	Data        []byte
	Width       int
	Height      int
}

// fitWithin returns w × h scaled to at most side on its long edge (never
// up), each side at least 1.
func fitWithin(w, h, side int) (int, int) {
	long := max(w, h)
	if long <= side {
		return w, h
	}
	return max(1, (w*side+long/2)/long), max(1, (h*side+long/2)/long)
}

// photoSize is the size a w × h photo is shrunk to, to at most side on
// its long edge: its k × k boxes' ceil(w/k) × ceil(h/k), k the smallest
// factor that fits, when that keeps at least three quarters of side
// (1536 px, still 1.4 times a phone screen's width), since averaging
// boxes costs an addition a sample (shrinkYCbCr); else fitWithin's exact
// fit. A 12-megapixel 4000 × 3000 photo is stored at 2000 × 1500, a
// 24-megapixel 6000 × 4000 one at 2000 × 1334, a 3000 × 2000 one at
// 2048 × 1365.
func photoSize(w, h, side int) (int, int) {
	long := max(w, h)
	if k := (long + side - 1) / side; k >= 2 && (long+k-1)/k*4 >= side*3 {
		return (w + k - 1) / k, (h + k - 1) / k
	}
	return fitWithin(w, h, side)
}

// uprightScaled turns img upright per an EXIF orientation (orient) and
// shrinks it to at most side on its long edge, never making a full-size
// RGBA copy (48 MB for 12 megapixels).
//
// A JPEG's YCbCr planes are shrunk by shrinkYCbCr (planes.go) to
// photoSize, then turned (a few megapixels). Anything else is turned and
// shrunk in one bilinear pass, which writes one RGBA picture of the output's size:
// from a 12-megapixel picture to 2048 px it halves each side, where
// bilinear's two taps cover every source pixel and nothing aliases; a
// 24-megapixel one (2.9×) skips a third of its pixels, below what a
// phone shows. Catmull-Rom took 18 times as long (Transform: 7-9 s
// against 0.4 s for 12 MP, docs/media.md), and its separable Scale holds
// a float64 buffer of 196 MB.
func uprightScaled(img image.Image, o, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if o >= 5 && o <= 8 {
		w, h = h, w
	}
	dw, dh := fitWithin(w, h, side)
	if dw == w && dh == h {
		return orient(img, o)
	}
	if y, ok := img.(*image.YCbCr); ok {
		// Shrunk in its own orientation, then turned (a few
		// megapixels, nearest-neighbour: exact).
		sw, sh := photoSize(b.Dx(), b.Dy(), side)
		if small, ok := shrinkYCbCr(y, sw, sh); ok {
			return orient(small, o)
		}
	}
	s2d := orientation(o, b)
	sx, sy := float64(dw)/float64(w), float64(dh)/float64(h)
	s2d[0], s2d[1], s2d[2] = s2d[0]*sx, s2d[1]*sx, s2d[2]*sx
	s2d[3], s2d[4], s2d[5] = s2d[3]*sy, s2d[4]*sy, s2d[5]*sy
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	xdraw.ApproxBiLinear.Transform(dst, s2d, img, b, xdraw.Src, nil)
	return dst
}

// thumbnail draws img (upright, at most MaxPhotoSide) at most ThumbSide
// on its long edge, or returns nil when img is that small already (its
// full size is its thumbnail). A box average to about twice the target,
// then Catmull-Rom: sharp, and no aliasing from a 6× shrink; a YCbCr
// image by its planes' tent filter (shrinkYCbCr).
func thumbnail(img image.Image, asJPEG bool) (*Thumbnail, error) {
	b := img.Bounds()
	tw, th := fitWithin(b.Dx(), b.Dy(), ThumbSide)
	if tw == b.Dx() && th == b.Dy() {
		return nil, nil
	}
	var dst image.Image
	if y, ok := img.(*image.YCbCr); ok {
		if small, ok := shrinkYCbCr(y, tw, th); ok {
			dst = small
		}
	}
	if dst == nil {
		dst = sharpThumbnail(img, tw, th)
	}
	var buf bytes.Buffer
	t := &Thumbnail{ContentType: "image/png", Width: tw, Height: th}
	var err error
	if asJPEG {
		t.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: thumbQuality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst)
	}
	t.Data = buf.Bytes()
	return t, err
}

// sharpThumbnail draws img at tw × th: a box average to about twice
// that, then Catmull-Rom.
func sharpThumbnail(img image.Image, tw, th int) image.Image {
	b := img.Bounds()
	if f := max(b.Dx(), b.Dy()) / (2 * ThumbSide); f >= 2 {
		img = boxShrink(img, f)
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return dst
}

// boxShrink averages each f × f block of img (an RGBA, as uprightScaled
// returns; anything else is copied to one first) into one pixel; partial blocks at the right and bottom
// edges average what they hold.
func boxShrink(img image.Image, f int) *image.RGBA {
	src, ok := img.(*image.RGBA)
	if !ok {
		src = image.NewRGBA(img.Bounds())
		xdraw.Copy(src, src.Bounds().Min, img, img.Bounds(), xdraw.Src, nil)
	}
	b := src.Bounds()
	dw, dh := (b.Dx()+f-1)/f, (b.Dy()+f-1)/f
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	sums := make([]uint32, 4*dw)
	for dy := range dh {
		clear(sums)
		y0, y1 := b.Min.Y+dy*f, min(b.Min.Y+(dy+1)*f, b.Max.Y)
		for y := y0; y < y1; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, y) : src.PixOffset(b.Min.X, y)+4*b.Dx()]
			for x := 0; x < b.Dx(); x++ {
				s := sums[4*(x/f) : 4*(x/f)+4]
				p := row[4*x : 4*x+4]
				s[0] += uint32(p[0])
				s[1] += uint32(p[1])
				s[2] += uint32(p[2])
				s[3] += uint32(p[3])
			}
		}
		out := dst.Pix[dst.PixOffset(0, dy):]
		for dx := range dw {
			n := uint32((min((dx+1)*f, b.Dx()) - dx*f) * (y1 - y0))
			for c := range 4 {
				out[4*dx+c] = uint8((sums[4*dx+c] + n/2) / n)
			}
		}
	}
	return dst
}

// orientation is the affine map from img's bounds b to its upright
// picture per an EXIF orientation o (anything outside 2..8: identity).
func orientation(o int, b image.Rectangle) f64.Aff3 {
	w, h := float64(b.Dx()), float64(b.Dy())
	// [a b c; d e f] · (u, v, 1), (u, v) counted from the image's corner.
	var s2d f64.Aff3
	switch o {
	case 2: // mirrored
		s2d = f64.Aff3{-1, 0, w, 0, 1, 0}
	case 3: // upside down
		s2d = f64.Aff3{-1, 0, w, 0, -1, h}
	case 4: // mirrored upside down
		s2d = f64.Aff3{1, 0, 0, 0, -1, h}
	case 5: // transposed
		s2d = f64.Aff3{0, 1, 0, 1, 0, 0}
	case 6: // needs a quarter turn clockwise
		s2d = f64.Aff3{0, -1, h, 1, 0, 0}
	case 7: // transversed
		s2d = f64.Aff3{0, -1, h, -1, 0, w}
	case 8: // needs a quarter turn anticlockwise
		s2d = f64.Aff3{0, 1, 0, -1, 0, w}
	default:
		s2d = f64.Aff3{1, 0, 0, 0, 1, 0}
	}
	// The source's own coordinates start at b.Min.
	mx, my := float64(b.Min.X), float64(b.Min.Y)
	s2d[2] -= s2d[0]*mx + s2d[1]*my
	s2d[5] -= s2d[3]*mx + s2d[4]*my
	return s2d
}
