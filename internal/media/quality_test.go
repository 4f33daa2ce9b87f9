package media

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// scene is a w × h 4:2:0 JPEG at quality 92 with what photos hold: a
// smooth sky, hard-edged shapes in other colours, thin lines, a fine
// grating and sensor noise.
func scene(w, h int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(3, 4))
	for y := range h {
		for x := range w {
			v := 60 + 120*float64(y)/float64(h) // the sky's gradient
			switch {
			case (x/97+y/89)%5 == 0: // tiles with hard edges
				v = 30
			case x%61 < 2: // thin lines
				v = 230
			case y > h*2/3: // a grating of a 9-pixel period
				v += 40 * math.Sin(float64(x+y)*2*math.Pi/9)
			}
			v += r.NormFloat64() * 4
			img.Y[img.YOffset(x, y)] = uint8(max(0, min(255, v)))
			if x%2 == 0 && y%2 == 0 {
				c := img.COffset(x, y)
				img.Cb[c], img.Cr[c] = uint8(110+x*40/w), uint8(160-y*50/h)
			}
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestPhotoQualityAgainstReference: a photo shrunk by the plane boxes (a
// 3200 × 1200 photo halves to 1600 × 600) and one by the tent filter
// (2400 × 900 to 2048 × 768), then stored at photoQuality, keep their
// luma within 35 dB PSNR of the same decoded photo resized by
// Catmull-Rom, whose support x/image/draw widens to the shrink (nothing
// aliases). Measured on this scene: 35.5 dB with the boxes and 36.4 with
// the tent; the tent alone gave 35.8 on the first before the boxes; the
// reference itself encoded at quality 80 scores 38.4–39.1 (the JPEG's own
// loss, which no resize avoids); a nearest-neighbour shrink, which
// aliases the grating and the noise, scores 24.6. 35 dB (an RMS
// difference of 4.5 levels of 255, most of it the JPEG's and the
// sensor noise's) keeps the stored photo as close to a careful resize
// as the filter we had.
func TestPhotoQualityAgainstReference(t *testing.T) {
	for _, c := range []struct{ w, h, dw, dh int }{{3200, 1200, 1600, 600}, {2400, 900, 2048, 768}} {
		data := scene(c.w, c.h)
		r := mustProcess(t, data)
		if r.Width != c.dw || r.Height != c.dh {
			t.Errorf("%d×%d stored at %d×%d, want %d×%d", c.w, c.h, r.Width, r.Height, c.dw, c.dh)
		}
		c.dw, c.dh = r.Width, r.Height
		got := lumaOf(t, r.Data)
		orig := lumaOf(t, data)
		ref := image.NewGray(image.Rect(0, 0, c.dw, c.dh))
		xdraw.CatmullRom.Scale(ref, ref.Bounds(), orig, orig.Bounds(), xdraw.Src, nil)
		p := psnr(got, ref, 2)
		var enc bytes.Buffer
		if err := jpeg.Encode(&enc, ref, &jpeg.Options{Quality: photoQuality}); err != nil {
			t.Fatal(err)
		}
		refBack, _ := jpeg.Decode(&enc)
		floor := psnr(refBack.(*image.Gray), ref, 2)
		t.Logf("%d×%d → %d×%d: %.1f dB, the reference at quality %d %.1f dB", c.w, c.h, c.dw, c.dh, p, photoQuality, floor)
		if p < 35 {
			t.Errorf("%d×%d → %d×%d: luma PSNR %.1f dB against Catmull-Rom, want at least 35", c.w, c.h, c.dw, c.dh, p)
		}
	}
}

// lumaOf decodes a JPEG and returns its luma plane as a gray picture.
func lumaOf(t *testing.T, data []byte) *image.Gray {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	y, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded %T, want YCbCr", img)
	}
	return &image.Gray{Pix: y.Y, Stride: y.YStride, Rect: y.Rect}
}

// psnr is the peak signal-to-noise ratio of a against b in dB, leaving
// out border pixels at each edge (where filters differ in how they
// extend the picture).
func psnr(a, b *image.Gray, border int) float64 {
	r := a.Bounds().Inset(border)
	var sum float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := float64(a.GrayAt(x, y).Y) - float64(b.GrayAt(x, y).Y)
			sum += d * d
		}
	}
	mse := sum / float64(r.Dx()*r.Dy())
	return 10 * math.Log10(255*255/mse)
}

// TestBoxPlaneAverages: whole boxes and the boxes cut by the right and
// bottom edges average what they hold, rounded.
func TestBoxPlaneAverages(t *testing.T) {
	// 5 × 3, stride 6 (the last column of each row is not the plane's).
	src := []uint8{
		10, 20, 30, 41, 100, 255,
		30, 40, 50, 60, 201, 255,
		7, 8, 9, 10, 11, 255,
	}
	dst := make([]uint8, 3*2)
	boxPlane(src, 5, 3, 6, dst, 3, 2, 3, 2)
	// (10+20+30+40)/4, (30+41+50+60)/4 = 45.25, (100+201)/2 = 150.5;
	// the bottom row's pairs and lone 11.
	want := []uint8{25, 45, 151, 8, 10, 11}
	if !bytes.Equal(dst, want) {
		t.Errorf("boxed %v, want %v", dst, want)
	}
}

// TestAverageBoxesExact: the multiply that stands for a division rounds
// as the division does, for every sum of every box of up to 64 samples
// and for sums at the edges of the largest boxes it takes.
func TestAverageBoxesExact(t *testing.T) {
	check := func(k, rows int, s uint32) {
		n := uint32(k * rows)
		out := make([]uint8, 1)
		averageBoxes(out, []uint32{s}, k, k, rows)
		if want := uint8((s + n/2) / n); out[0] != want {
			t.Fatalf("k %d, rows %d, sum %d: %d, want %d", k, rows, s, out[0], want)
		}
	}
	for k := 1; k <= 8; k++ {
		for rows := 1; rows <= k; rows++ {
			for s := range uint32(255*k*rows + 1) {
				check(k, rows, s)
			}
		}
	}
	for _, k := range []int{40, 63, 64} {
		n := uint32(k * k)
		for v := range uint32(256) {
			for _, s := range []uint32{v*n - min(v*n, n/2+1), v*n - min(v*n, n/2), v*n + n/2 - 1, v*n + n/2} {
				if s <= 255*n {
					check(k, k, s)
				}
			}
		}
	}
}
