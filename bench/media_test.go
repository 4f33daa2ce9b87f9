package bench

// Media: uploads of 4 MB phone-sized JPEGs (12 megapixels) through the
// real HTTP API at 1 and 8 concurrent uploaders, beside raw INSERTs of the
// same bytes at the same concurrency, with the process's peak RSS for
// each; then downloads of a stored photo beside raw SELECTs of its bytes.
//
//	go test -run='^$' -bench=Media -benchtime=3x ./bench/

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// photo is a 4000 × 3000 JPEG of about 4 MB: a gradient with sensor-like
// noise, which compresses as a real photo does. Variant v differs in its
// noise, so no two variants are the same bytes (no deduplication).
func photo(v int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(uint64(v), 7))
	for y := range 3000 {
		for x := range 4000 {
			n := r.IntN(31) - 15
			img.Y[img.YOffset(x, y)] = uint8(max(0, min(255, x*255/4000+n)))
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

// resetPeakRSS returns freed memory to the OS and makes VmHWM start again
// from the current RSS (Linux), which it returns in MiB: the baseline of
// the test process (the photos, the database pool, the client).
func resetPeakRSS() float64 {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return procStatus("VmRSS:")
}

// peakRSS is the process's peak resident set since the last reset, in MiB.
func peakRSS() float64 { return procStatus("VmHWM:") }

func procStatus(field string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// parallel runs n workers, each doing per jobs, and returns the elapsed time.
func parallel(b *testing.B, n, per int, job func(worker, i int) error) time.Duration {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n*per)
	start := time.Now()
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if err := job(w, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return elapsed
}

func BenchmarkMediaUpload(b *testing.B) {
	const total = 16 // uploads per round, whatever the concurrency
	photos := make([][]byte, total)
	for i := range photos {
		photos[i] = photo(i)
	}
	b.Logf("photo: %.1f MB, 4000 × 3000", float64(len(photos[0]))/(1<<20))
	env := apitest.New(b)
	admin := env.Admin()
	ctx := context.Background()
	if _, err := env.DB.Pool.Exec(ctx, `CREATE TABLE raw_blobs (id serial PRIMARY KEY, data bytea NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(ctx, `ALTER TABLE raw_blobs ALTER COLUMN data SET STORAGE EXTERNAL`); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 8} {
		kids := make([]*apitest.Client, n)
		for i := range kids {
			kids[i] = env.Family(admin, 1).Child()
		}
		b.Run(fmt.Sprintf("uploaders=%d", n), func(b *testing.B) {
			var api, raw, rss, base []float64
			for b.Loop() {
				for _, t := range []string{"messages", "media", "media_blobs", "raw_blobs"} {
					env.DB.Pool.Exec(ctx, "DELETE FROM "+t)
				}
				base = append(base, resetPeakRSS())
				d := parallel(b, n, total/n, func(w, i int) error {
					r := kids[w].Upload("p.jpg", "image/jpeg", photos[w*(total/n)+i])
					if r.Status != 201 {
						return fmt.Errorf("upload: %d %s", r.Status, r.Body)
					}
					return nil
				})
				api, rss = append(api, total/d.Seconds()), append(rss, peakRSS())
				d = parallel(b, n, total/n, func(w, i int) error {
					_, err := env.DB.Pool.Exec(ctx, `INSERT INTO raw_blobs (data) VALUES ($1)`, photos[w*(total/n)+i])
					return err
				})
				raw = append(raw, total/d.Seconds())
			}
			b.ReportMetric(median(api), "uploads/s")
			b.ReportMetric(median(raw), "raw-inserts/s")
			b.ReportMetric(median(rss), "peak-RSS-MiB")
			b.ReportMetric(median(base), "base-RSS-MiB")
		})
	}
}

func BenchmarkMediaDownload(b *testing.B) {
	env := apitest.New(b)
	kid := env.Family(env.Admin(), 1).Child()
	r := kid.Upload("p.jpg", "image/jpeg", photo(0))
	if r.Status != 201 {
		b.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var m struct {
		ID   int64
		Size int
	}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const n, per = 8, 8
	var api, raw []float64
	for b.Loop() {
		d := parallel(b, n, per, func(int, int) error {
			if r := kid.Do("GET", fmt.Sprintf("/media/%d", m.ID), nil); r.Status != 200 || len(r.Body) != m.Size {
				return fmt.Errorf("download: %d, %d bytes", r.Status, len(r.Body))
			}
			return nil
		})
		api = append(api, float64(n*per*m.Size)/(1<<20)/d.Seconds())
		d = parallel(b, n, per, func(int, int) error {
			var data []byte
			return env.DB.Pool.QueryRow(ctx, `SELECT data FROM media_blobs LIMIT 1`).Scan(&data)
		})
		raw = append(raw, float64(n*per*m.Size)/(1<<20)/d.Seconds())
	}
	b.Logf("stored photo: %.1f MB", float64(m.Size)/(1<<20))
	b.ReportMetric(median(api), "MiB/s")
	b.ReportMetric(median(raw), "raw-select-MiB/s")
}
