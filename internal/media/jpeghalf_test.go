package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math"
	"os"
	"testing"
)

// The files in testdata/half are one 203 × 157 picture (odd sides, so
// edge blocks are partial) with stripes, tiles and noise, written by
// other encoders than Go's, which writes only 4:2:0 without restart
// markers: libvips 8.14 (r420: 4:2:0, a restart marker every 3 MCUs;
// r444: 4:4:4, every 5; prog: progressive) and libjpeg-turbo 2.1's cjpeg
// (s422: 4:2:2, every 2 MCUs; s440: 4:4:0; opt420: optimised Huffman
// tables; gray).
func halfFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/half/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// planePSNR compares the w × h top-left samples of two planes.
func planePSNR(a []uint8, as int, b []uint8, bs int, w, h int) (psnr float64, worst int) {
	var sum float64
	for y := range h {
		for x := range w {
			d := int(a[y*as+x]) - int(b[y*bs+x])
			sum += float64(d * d)
			worst = max(worst, d, -d)
		}
	}
	if sum == 0 {
		return math.Inf(1), 0
	}
	return 10 * math.Log10(255*255/(sum/float64(w*h))), worst
}

// TestHalfJPEGFoldedIsTheBoxes: with every frequency folded as the
// 2 × 2 box folds it (lowWeights(true)), the half-size decode is
// image/jpeg's full decode averaged in 2 × 2 boxes, the path it
// replaces, for every layout it takes and through restart markers: the
// same size and subsampling, and each sample within 6 levels (the two
// inverse transforms round and clamp at different points; measured at
// most 5, above 54 dB PSNR). This checks the transform itself; what is
// used drops the folded frequencies instead (next test).
func TestHalfJPEGFoldedIsTheBoxes(t *testing.T) {
	folded := lowWeights(true)
	compareHalf(t, &folded, func(name, plane string, psnr float64, worst int) {
		if worst > 6 || psnr < 50 {
			t.Errorf("%s %s: %.1f dB, at worst %d levels from the full decode boxed; want within 6", name, plane, psnr, worst)
		}
	})
}

// TestHalfJPEGTaperedIsNearTheBoxes: the weights in use differ from the
// boxes only by the detail above half the sampling rate, which the boxes
// fold back in and the taper drops: luma and chroma within 30 dB PSNR of
// the boxes (measured 32.9–66 dB: the stripes and noise are that detail).
func TestHalfJPEGTaperedIsNearTheBoxes(t *testing.T) {
	compareHalf(t, &taperWeights, func(name, plane string, psnr float64, worst int) {
		if psnr < 30 {
			t.Errorf("%s %s: %.1f dB from the full decode boxed, want at least 30", name, plane, psnr)
		}
	})
}

// compareHalf half-decodes the fixtures and two Go-encoded photos with w
// and calls check with each plane's PSNR against image/jpeg's decode
// averaged in 2 × 2 boxes.
func compareHalf(t *testing.T, w *freqWeights, check func(name, plane string, psnr float64, worst int)) {
	files := map[string][]byte{"go-noisy-1001x763": noisyPhoto(1001, 763, 2), "go-scene-1600x1200": scene(1600, 1200)}
	for _, n := range []string{"r420.jpg", "r444.jpg", "s422.jpg", "s440.jpg", "opt420.jpg"} {
		files[n] = halfFixture(t, n)
	}
	for name, data := range files {
		d := &halfDecoder{data: data, weights: w}
		if err := d.decode(); err != nil {
			t.Errorf("%s: left to image/jpeg", name)
			continue
		}
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		half, want := d.img, boxYCbCr(full.(*image.YCbCr), 2)
		if half.Rect != want.Rect || half.SubsampleRatio != want.SubsampleRatio {
			t.Errorf("%s: %v %v, want %v %v", name, half.Rect, half.SubsampleRatio, want.Rect, want.SubsampleRatio)
			continue
		}
		w, h := want.Rect.Dx(), want.Rect.Dy()
		cw, ch := chromaSize(want)
		for _, p := range []struct {
			name         string
			got, want    []uint8
			gs, ws, w, h int
		}{
			{"Y", half.Y, want.Y, half.YStride, want.YStride, w, h},
			{"Cb", half.Cb, want.Cb, half.CStride, want.CStride, cw, ch},
			{"Cr", half.Cr, want.Cr, half.CStride, want.CStride, cw, ch},
		} {
			psnr, worst := planePSNR(p.got, p.gs, p.want, p.ws, p.w, p.h)
			t.Logf("%s %s: %.1f dB, at worst %d levels", name, p.name, psnr, worst)
			check(name, p.name, psnr, worst)
		}
	}
}

// TestHalfJPEGFlatIsExact: a block with only its DC is one value, the
// one image/jpeg decodes every sample of it to.
func TestHalfJPEGFlatIsExact(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 77
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 140, 90
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	half, ok := halfJPEG(b.Bytes())
	full, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
	if !ok || err != nil {
		t.Fatalf("half ok %v, full %v", ok, err)
	}
	f := full.(*image.YCbCr)
	for y := range 24 {
		for x := range 32 {
			g, w := half.YCbCrAt(x, y), f.YCbCrAt(2*x, 2*y)
			if g != w {
				t.Fatalf("(%d, %d): %v, want %v", x, y, g, w)
			}
		}
	}
}

// TestHalfJPEGLeavesTheRestToImageJPEG: what the decoder does not take,
// or a stream that is short or out of step, is left to image/jpeg (which
// then decodes or refuses it), never half decoded.
func TestHalfJPEGLeavesTheRestToImageJPEG(t *testing.T) {
	r420 := halfFixture(t, "r420.jpg")
	wrongRestart := bytes.Clone(r420)
	i := bytes.Index(wrongRestart, []byte{0xFF, 0xD1})
	wrongRestart[i+1] = 0xD4
	cases := map[string][]byte{
		"progressive":       halfFixture(t, "prog.jpg"),
		"grey":              halfFixture(t, "gray.jpg"),
		"truncated":         r420[:len(r420)*2/3],
		"cut before EOI":    r420[:len(r420)-2],
		"wrong restart":     wrongRestart,
		"no start of image": r420[2:],
		"empty":             nil,
	}
	for name, data := range cases {
		if _, ok := halfJPEG(data); ok {
			t.Errorf("%s: half decoded", name)
		}
	}
}

// FuzzHalfJPEG: whatever the bytes, the decoder does not panic (called
// here without halfJPEG's recover, which is only the last line of
// defence), and what it decodes image/jpeg decodes too, at twice the
// size: it takes nothing image/jpeg would refuse.
func FuzzHalfJPEG(f *testing.F) {
	for _, n := range []string{"r420.jpg", "r444.jpg", "s422.jpg", "s440.jpg", "opt420.jpg"} {
		f.Add(halfFixture(f, n))
	}
	s440 := halfFixture(f, "s440.jpg")
	f.Add(withTables23(s440))
	f.Add(withEOBRuns(s440))
	f.Add(emptyScanJPEG(64))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 1<<22 {
			return
		}
		d := &halfDecoder{data: data, weights: &taperWeights}
		if d.decode() != nil {
			return
		}
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("half decoded what image/jpeg refuses: %v", err)
		}
		if b := full.Bounds(); d.img.Rect != image.Rect(0, 0, (b.Dx()+1)/2, (b.Dy()+1)/2) {
			t.Fatalf("half decoded at %v, full at %v", d.img.Rect, b)
		}
	})
}

// editSegments returns a copy of data, a JPEG, with edit applied in place
// to the payload of each segment up to and including the scan header.
func editSegments(data []byte, edit func(marker byte, seg []byte)) []byte {
	out := bytes.Clone(data)
	for pos := 2; pos+4 <= len(out); {
		marker, n := out[pos+1], int(binary.BigEndian.Uint16(out[pos+2:]))
		edit(marker, out[pos+4:pos+2+n])
		if marker == 0xDA {
			break
		}
		pos += 2 + n
	}
	return out
}

// TestHalfJPEGBaselineTablesZeroAndOne: a baseline (SOF0) frame uses
// Huffman tables 0 and 1 only (T.81 Table B.5), and image/jpeg refuses
// tables 2 and 3 there: the half decoder must not take such a file.
func TestHalfJPEGBaselineTablesZeroAndOne(t *testing.T) {
	data := withTables23(halfFixture(t, "s440.jpg"))
	if _, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
		t.Fatal("image/jpeg decodes Huffman tables 2 and 3 in a baseline frame")
	}
	if _, ok := halfJPEG(data); ok {
		t.Error("half decoded a file image/jpeg refuses")
	}
}

// TestHalfJPEGLeavesEOBRunsToImageJPEG: an AC code of run r (1..14) and
// size 0 is an end-of-band run in a progressive scan; image/jpeg reads
// it so in a baseline one too (r more bits, then skips that many blocks'
// AC), so the half decoder, which would take it as a plain end of block,
// must leave the file to image/jpeg instead of decoding another picture
// (or one image/jpeg refuses).
func TestHalfJPEGLeavesEOBRunsToImageJPEG(t *testing.T) {
	data := withEOBRuns(halfFixture(t, "s440.jpg"))
	if _, ok := halfJPEG(data); ok {
		_, err := jpeg.Decode(bytes.NewReader(data))
		t.Errorf("half decoded a baseline scan with end-of-band runs (image/jpeg: %v)", err)
	}
}

// TestHalfJPEGStopsWhereTheDataEnds: a scan that ends (here at once)
// long before its last block goes to image/jpeg without the rest of the
// picture being decoded from the zeros fed past the end: a few hundred
// bytes claiming the largest picture allowed cost no more than its
// header.
func TestHalfJPEGStopsWhereTheDataEnds(t *testing.T) {
	data := emptyScanJPEG(1024)
	d := &halfDecoder{data: data, weights: &taperWeights}
	if err := d.decode(); err == nil {
		t.Fatal("half decoded a scan with no data")
	}
	if last := d.img.Y[(d.img.Rect.Dy()-1)*d.img.YStride]; last != 0 {
		t.Errorf("the last row was decoded (%d) from the zeros past the data's end", last)
	}
}

// emptyScanJPEG is a side × side baseline JPEG whose scan has no data:
// its tables give each block's DC and end of block a 1-bit code.
func emptyScanJPEG(side int) []byte {
	data := []byte{0xFF, 0xD8, 0xFF, 0xDB, 0, 67, 0}
	data = append(data, bytes.Repeat([]byte{1}, 64)...)
	data = append(data, 0xFF, 0xC0, 0, 17, 8, byte(side>>8), byte(side), byte(side>>8), byte(side), 3,
		1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)
	for _, class := range []byte{0x00, 0x10} { // one 1-bit code each: DC 0, AC end of block
		data = append(data, 0xFF, 0xC4, 0, 20, class, 1)
		data = append(data, make([]byte, 15+1)...)
	}
	return append(data, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 63, 0, 0xFF, 0xD9)
}

// withTables23 is data, a JPEG with one Huffman table a segment, using
// tables 2 and 3 instead of 0 and 1.
func withTables23(data []byte) []byte {
	return editSegments(data, func(marker byte, seg []byte) {
		switch marker {
		case 0xC4: // one table a segment in this file: 0 → 2, 1 → 3
			seg[0] |= 2
		case 0xDA:
			for i := range 3 {
				seg[2+2*i] |= 0x22
			}
		}
	})
}

// withEOBRuns is data, a JPEG, with the end-of-block value of its AC
// tables made an end-of-band run of 2 or 3 blocks.
func withEOBRuns(data []byte) []byte {
	return editSegments(data, func(marker byte, seg []byte) {
		if marker == 0xC4 && seg[0]>>4 == 1 { // an AC table: its EOB → EOB1
			seg[17+bytes.IndexByte(seg[17:], 0x00)] = 0x10
		}
	})
}
