package media

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"pixelpals/internal/media/mediatest"
)

// TestLargePhotoStoredAt2048WithThumbnail: a photo larger than
// MaxPhotoSide is stored at MaxPhotoSide on its long edge and upright,
// its thumbnail at ThumbSide, and neither carries the metadata.
func TestLargePhotoStoredAt2048WithThumbnail(t *testing.T) {
	// 4096 × 2400 taken sideways (orientation 6): upright 2400 × 4096,
	// so 1200 × 2048 stored and 188 × 320 for the thumbnail.
	r := mustProcess(t, mediatest.JPEGWithGPS(4096, 2400, 6))
	if r.ContentType != "image/jpeg" || r.Width != 1200 || r.Height != 2048 {
		t.Fatalf("stored %s %d×%d, want image/jpeg 1200×2048", r.ContentType, r.Width, r.Height)
	}
	if r.Thumb == nil || r.Thumb.ContentType != "image/jpeg" || r.Thumb.Width != 188 || r.Thumb.Height != 320 {
		t.Fatalf("thumbnail %+v, want image/jpeg 188×320", thumbSummary(r.Thumb))
	}
	for name, data := range map[string][]byte{"stored": r.Data, "thumbnail": r.Thumb.Data} {
		for _, m := range jpegMarkers(t, data) {
			if m >= 0xE0 && m <= 0xEF || m == 0xFE {
				t.Errorf("%s: marker %#x (APPn or comment) survived", name, m)
			}
		}
		for _, s := range []string{"Exif", "http://ns.adobe.com", mediatest.Secret} {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s: %q survived", name, s)
			}
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := img.Bounds()
		// Turned a quarter clockwise: the red quarter is top right.
		if !redAt(img, b.Dx()*3/4, b.Dy()/4) || redAt(img, b.Dx()/4, b.Dy()/4) || redAt(img, b.Dx()*3/4, b.Dy()*3/4) {
			t.Errorf("%s (%v): not turned a quarter clockwise", name, b)
		}
	}
}

func thumbSummary(t *Thumbnail) any {
	if t == nil {
		return nil
	}
	return struct {
		Type string
		W, H int
	}{t.ContentType, t.Width, t.Height}
}

// TestLargePNGBecomesSmallerPNG: other formats are bounded the same way
// and their thumbnail is a PNG without the text chunks.
func TestLargePNGBecomesSmallerPNG(t *testing.T) {
	r := mustProcess(t, mediatest.PNGWithText(3000, 1000, 1))
	if r.ContentType != "image/png" || r.Width != 2048 || r.Height != 683 {
		t.Fatalf("stored %s %d×%d, want image/png 2048×683", r.ContentType, r.Width, r.Height)
	}
	if r.Thumb == nil || r.Thumb.ContentType != "image/png" || r.Thumb.Width != 320 || r.Thumb.Height != 107 {
		t.Fatalf("thumbnail %+v, want image/png 320×107", thumbSummary(r.Thumb))
	}
	for _, c := range pngChunkTypes(t, r.Thumb.Data) {
		if c != "IHDR" && c != "IDAT" && c != "IEND" {
			t.Errorf("thumbnail chunk %s", c)
		}
	}
	img, err := png.Decode(bytes.NewReader(r.Thumb.Data))
	if err != nil {
		t.Fatal(err)
	}
	if !redAt(img, 40, 13) || redAt(img, 240, 13) || redAt(img, 40, 90) {
		t.Errorf("thumbnail does not show the red top-left quarter")
	}
}

// TestSmallImageIsItsOwnThumbnail: an image no larger than ThumbSide
// keeps its size and gets no second copy.
func TestSmallImageIsItsOwnThumbnail(t *testing.T) {
	r := mustProcess(t, mediatest.JPEGWithGPS(320, 200, 1))
	if r.Width != 320 || r.Height != 200 || r.Thumb != nil {
		t.Fatalf("got %d×%d, thumbnail %+v; want 320×200 and none", r.Width, r.Height, thumbSummary(r.Thumb))
	}
	r = mustProcess(t, mediatest.JPEGWithGPS(2048, 100, 1))
	if r.Width != 2048 || r.Height != 100 || r.Thumb == nil || r.Thumb.Width != 320 || r.Thumb.Height != 16 {
		t.Fatalf("got %d×%d, thumbnail %+v; want 2048×100 and 320×16", r.Width, r.Height, thumbSummary(r.Thumb))
	}
}

// TestUprightScaledEveryOrientation: the one-pass turn and shrink puts
// the red quarter where orient alone puts it, for all eight.
func TestUprightScaledEveryOrientation(t *testing.T) {
	src := mediatest.Quadrants(400, 200)
	for o := 1; o <= 8; o++ {
		want := orient(src, o)
		got := uprightScaled(src, o, 100)
		wb, gb := want.Bounds(), got.Bounds()
		if gb.Dx()*4 != wb.Dx() || gb.Dy()*4 != wb.Dy() {
			t.Fatalf("orientation %d: %v, want a quarter of %v", o, gb, wb)
		}
		for _, p := range []image.Point{{1, 1}, {3, 1}, {1, 3}, {3, 3}} {
			wx, wy := wb.Dx()*p.X/4, wb.Dy()*p.Y/4
			gx, gy := gb.Dx()*p.X/4, gb.Dy()*p.Y/4
			if redAt(want, wx, wy) != redAt(got, gx, gy) {
				t.Errorf("orientation %d: at (%d,%d) red=%v, orient says %v", o, gx, gy, redAt(got, gx, gy), redAt(want, wx, wy))
			}
		}
	}
}

func TestBoxShrinkAverages(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 5, 2))
	for x := range 5 {
		for y := range 2 {
			v := uint8(0)
			if (x+y)%2 == 0 {
				v = 200
			}
			src.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	out := boxShrink(src, 2)
	if b := out.Bounds(); b.Dx() != 3 || b.Dy() != 1 {
		t.Fatalf("bounds %v, want 3×1", b)
	}
	// Two full 2×2 blocks of half 200, and a 1×2 edge block of 200 and 0.
	for x, want := range []uint8{100, 100, 100} {
		if c := out.RGBAAt(x, 0); c.R != want || c.A != 255 {
			t.Errorf("pixel %d = %v, want %d", x, c, want)
		}
	}
}

// TestShrinkYCbCr: the planes' tent filter keeps a flat colour exactly
// and a left-to-right ramp a ramp, in every subsampling it takes.
func TestShrinkYCbCr(t *testing.T) {
	for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440} {
		src := image.NewYCbCr(image.Rect(0, 0, 1001, 601), r)
		for y := range 601 {
			for x := range 1001 {
				src.Y[src.YOffset(x, y)] = uint8(x * 255 / 1000)
			}
		}
		for i := range src.Cb {
			src.Cb[i], src.Cr[i] = 90, 200
		}
		out, ok := shrinkYCbCr(src, 333, 200)
		if !ok || out.Bounds() != image.Rect(0, 0, 333, 200) || out.SubsampleRatio != r {
			t.Fatalf("%v: %v %v", r, ok, out)
		}
		for i := range out.Cb {
			if out.Cb[i] != 90 || out.Cr[i] != 200 {
				t.Fatalf("%v: chroma %d, %d at %d", r, out.Cb[i], out.Cr[i], i)
			}
		}
		for _, y := range []int{0, 100, 199} {
			for x := range 333 {
				want := float64(x) * 255 / 332
				if got := float64(out.Y[out.YOffset(x, y)]); got < want-4 || got > want+4 {
					t.Fatalf("%v: Y(%d,%d) = %v, want about %.0f", r, x, y, got, want)
				}
			}
		}
	}
	if _, ok := shrinkYCbCr(image.NewYCbCr(image.Rect(0, 0, 40, 40), image.YCbCrSubsampleRatio411), 10, 10); ok {
		t.Errorf("4:1:1 shrunk")
	}
}

// TestOrientYCbCrMovesEverySample: turned on its planes, every pixel of
// the upright picture has the luma and the chroma of the source pixel
// orient's map names, for each orientation and subsampling (a quarter
// turn swapping 4:2:2 and 4:4:0); sides that are not whole chroma
// samples are left to the RGBA turn.
func TestOrientYCbCrMovesEverySample(t *testing.T) {
	const w, h = 6, 4
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440}
	swapped := map[image.YCbCrSubsampleRatio]image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444: image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420: image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio422: image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio440: image.YCbCrSubsampleRatio422}
	for _, ratio := range ratios {
		src := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
		for i := range src.Y {
			src.Y[i] = byte(i)
		}
		for i := range src.Cb {
			src.Cb[i], src.Cr[i] = byte(100+i), byte(200-i)
		}
		for o := 2; o <= 8; o++ {
			dst, ok := orientYCbCr(src, o)
			if !ok {
				t.Fatalf("%v orientation %d: not turned", ratio, o)
			}
			want := ratio
			if o >= 5 {
				want = swapped[ratio]
			}
			if dst.SubsampleRatio != want {
				t.Errorf("%v orientation %d: %v, want %v", ratio, o, dst.SubsampleRatio, want)
			}
			for y := range dst.Rect.Dy() {
				for x := range dst.Rect.Dx() {
					sx, sy := orientedFrom(o, x, y, w, h)
					if got, want := dst.YCbCrAt(x, y), src.YCbCrAt(sx, sy); got != want {
						t.Fatalf("%v orientation %d: (%d,%d) is %v, want %v from (%d,%d)", ratio, o, x, y, got, want, sx, sy)
					}
				}
			}
		}
	}
	odd := image.NewYCbCr(image.Rect(0, 0, 5, 4), image.YCbCrSubsampleRatio420)
	if _, ok := orientYCbCr(odd, 6); ok {
		t.Errorf("a 4:2:0 picture 5 wide was turned on its planes")
	}
}
