package media

import (
	"context"
	"errors"
	"os"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/media/mediatest"
)

// FuzzProcess: whatever the bytes, Process answers with a cleaned file or
// a domain error (a 4xx), never a panic or an internal error, and a file
// it cleaned is accepted again as what it became.
func FuzzProcess(f *testing.F) {
	for _, seed := range [][]byte{
		mediatest.JPEGWithGPS(16, 8, 6), mediatest.PNGWithText(8, 8, 1), mediatest.AnimatedGIF(4, 4),
		mediatest.MP3(3), mediatest.WAV(1), mediatest.OggOpus(1), mediatest.WebM(1), mediatest.M4A(1),
		mediatest.BombPNG(100),
		// RIFF headers whose size is smaller than the form type they hold.
		[]byte("RIFF\x00\x00\x00\x00WAVE"), []byte("RIFF\x00\x00\x00\x00WEBP"),
		[]byte("RIFF\x02\x00\x00\x00WAVEfmt "),
	} {
		f.Add(seed)
	}
	for _, name := range []string{"testdata/still.webp", "testdata/animated.webp"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	l := DefaultLimits
	l.MaxPixels, l.MaxSide = 1<<20, 4096 // keep each run small
	p := NewProcessor(l)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := p.Process(context.Background(), data)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code == domain.CodeInternal {
				t.Fatalf("not a client error: %v", err)
			}
			return
		}
		if _, err := p.Process(context.Background(), r.Data); err != nil {
			t.Fatalf("the cleaned %s is refused: %v", r.ContentType, err)
		}
	})
}
