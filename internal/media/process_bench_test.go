package media

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// noisyPhoto is a w × h 4:2:0 JPEG at quality 90 like bench/media_test.go's
// photo: a gradient with sensor-like noise, which compresses as a real
// photo does (4 MB at 12 megapixels).
func noisyPhoto(w, h int, seed uint64) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(seed, 7))
	for y := range h {
		for x := range w {
			n := r.IntN(31) - 15
			img.Y[img.YOffset(x, y)] = uint8(max(0, min(255, x*255/w+n)))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+r.IntN(8)), uint8(150+r.IntN(8))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// BenchmarkProcessPhoto times the cleaning of one 12-megapixel photo
// (stored at MaxPhotoSide with its thumbnail) beside the decode alone,
// for profiling:
//
//	go test -run '^$' -bench ProcessPhoto -cpuprofile cpu.out ./internal/media/
func BenchmarkProcessPhoto(b *testing.B) {
	data := noisyPhoto(4000, 3000, 1)
	b.Run("process", func(b *testing.B) {
		p := NewProcessor(DefaultLimits)
		for b.Loop() {
			if _, err := p.Process(context.Background(), data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHalfJPEG times the half-size decode of the 12-megapixel
// photo beside image/jpeg's full decode.
func BenchmarkHalfJPEG(b *testing.B) {
	data := noisyPhoto(4000, 3000, 1)
	b.Run("half", func(b *testing.B) {
		for b.Loop() {
			if _, ok := halfJPEG(data); !ok {
				b.Fatal("left to image/jpeg")
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
