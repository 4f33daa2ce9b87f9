package media

import (
	"context"
	"image"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"pixelpals/internal/media/mediatest"
)

// peakHeap runs f and returns the most heap it held above what was live
// before, sampled every millisecond.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base.HeapAlloc && m.HeapAlloc-base.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc - base.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}

// BenchmarkProcessPeakHeap reports the peak heap one upload at the
// default limits costs: a 12-megapixel phone photo, a 24-megapixel phone photo turned by its EXIF
// orientation, and a 16-bit PNG at the most pixels its budget allows.
//
//	go test -run '^$' -bench ProcessPeakHeap -benchtime 3x ./internal/media/
func BenchmarkProcessPeakHeap(b *testing.B) {
	photo := mediatest.JPEGWithGPS(6000, 4000, 6)
	phone := mediatest.JPEGWithGPS(4000, 3000, 1)
	deep := mediatest.PNG(image.NewRGBA64(image.Rect(0, 0, 4000, 3000)))
	for _, c := range []struct {
		name string
		data []byte
	}{{"jpeg-12MP", phone}, {"jpeg-24MP-turned", photo}, {"png16-12MP", deep}} {
		b.Run(c.name, func(b *testing.B) {
			p := NewProcessor(DefaultLimits)
			var worst uint64
			for b.Loop() {
				worst = max(worst, peakHeap(func() {
					if _, err := p.Process(context.Background(), c.data); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(worst)/(1<<20), "peak-MiB")
		})
	}
}
