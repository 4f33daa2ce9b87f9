package bench

// Media: uploads of 4 MB phone-sized JPEGs (12 megapixels) through the
// real HTTP API at 1 and 8 concurrent uploaders, stored at ≤ 2048 px with a
// thumbnail, beside `vipsthumbnail --size 2048` of the same files at the
// same concurrency (issue 24's anchor; skipped with a message when
// libvips-tools is missing: scripts/setup --bench installs it) and raw
// INSERTs of the same bytes, with the process's peak RSS for each and the
// bytes stored per photo before (the whole photo re-encoded, as uploads
// were until migration 00022) and after; then downloads of a stored photo
// beside raw SELECTs of its bytes.
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
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	files := photoFiles(b, photos)
	vips, err := exec.LookPath("vipsthumbnail")
	if err != nil {
		b.Logf("vipsthumbnail is missing (scripts/setup --bench installs libvips-tools): no anchor")
	}
	b.Logf("stored before (the whole photo re-encoded at quality 88): %.0f KB", float64(wholeReencoded(b, photos[0]))/1000)
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
			var api, raw, rss, base, vipsRate, vipsRSS, stored, cpu, vipsCPU, load, cores, vipsCores []float64
			for b.Loop() {
				load = append(load, loadAverage())
				for _, t := range []string{"messages", "media", "media_blobs", "raw_blobs"} {
					env.DB.Pool.Exec(ctx, "DELETE FROM "+t)
				}
				base = append(base, resetPeakRSS())
				cpu0 := cpuSeconds(syscall.RUSAGE_SELF)
				d := parallel(b, n, total/n, func(w, i int) error {
					r := kids[w].Upload("p.jpg", "image/jpeg", photos[w*(total/n)+i])
					if r.Status != 201 {
						return fmt.Errorf("upload: %d %s", r.Status, r.Body)
					}
					return nil
				})
				api, rss = append(api, total/d.Seconds()), append(rss, peakRSS())
				cpu = append(cpu, (cpuSeconds(syscall.RUSAGE_SELF)-cpu0)/total)
				cores = append(cores, cpu[len(cpu)-1]*api[len(api)-1])
				stored = append(stored, storedPerPhoto(b, env))
				if vips != "" {
					var worst atomic.Int64
					vcpu0 := cpuSeconds(syscall.RUSAGE_CHILDREN)
					d = parallel(b, n, total/n, func(w, i int) error {
						kb, err := vipsThumbnail(vips, files[w*(total/n)+i])
						if kb > worst.Load() {
							worst.Store(kb)
						}
						return err
					})
					vipsRate, vipsRSS = append(vipsRate, total/d.Seconds()), append(vipsRSS, float64(worst.Load())/1024)
					vipsCPU = append(vipsCPU, (cpuSeconds(syscall.RUSAGE_CHILDREN)-vcpu0)/total)
					vipsCores = append(vipsCores, vipsCPU[len(vipsCPU)-1]*vipsRate[len(vipsRate)-1])
				}
				d = parallel(b, n, total/n, func(w, i int) error {
					_, err := env.DB.Pool.Exec(ctx, `INSERT INTO raw_blobs (data) VALUES ($1)`, photos[w*(total/n)+i])
					return err
				})
				raw = append(raw, total/d.Seconds())
			}
			b.ReportMetric(median(api), "uploads/s")
			b.ReportMetric(median(stored)/1000, "stored-KB/photo")
			if len(vipsRate) > 0 {
				b.ReportMetric(median(vipsRate), "vips/s")
				// How many times vipsthumbnail's time one upload takes
				// (issue 24: at most 1.5).
				b.ReportMetric(median(vipsRate)/median(api), "x-vips-time")
				b.ReportMetric(median(vipsRSS), "vips-peak-RSS-MiB")
				b.ReportMetric(median(vipsCPU), "vips-cpu-s/photo")
				b.ReportMetric(median(cpu)/median(vipsCPU), "x-vips-cpu")
				// How much of the machine each side got while it ran:
				// on a loaded one, eight vipsthumbnail processes get
				// more than our two decode slots (docs/benchmarks.md).
				b.ReportMetric(median(vipsCores), "vips-cores-used")
			}
			b.ReportMetric(median(cpu), "cpu-s/upload")
			b.ReportMetric(median(cores), "cores-used")
			b.ReportMetric(median(load), "load")
			b.ReportMetric(median(raw), "raw-inserts/s")
			b.ReportMetric(median(rss), "peak-RSS-MiB")
			b.ReportMetric(median(base), "base-RSS-MiB")
		})
	}
}

// cpuSeconds is the user and system CPU time of who (RUSAGE_SELF: this
// process, server and client, without PostgreSQL; RUSAGE_CHILDREN: the
// children waited for, here vipsthumbnail under GNU time). On a shared
// machine the wall-clock ratio also measures how much of the machine each
// side got; the CPU ratio does not.
func cpuSeconds(who int) float64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(who, &u); err != nil {
		return 0
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}

// loadAverage is the machine's one-minute load average (Linux), the
// other tenants' share of the 2 cores while a round runs.
func loadAverage() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	l, _ := strconv.ParseFloat(f[0], 64)
	return l
}

// photoFiles writes photos to files for vipsthumbnail.
func photoFiles(b *testing.B, photos [][]byte) []string {
	dir := b.TempDir()
	files := make([]string, len(photos))
	for i, p := range photos {
		files[i] = filepath.Join(dir, fmt.Sprintf("p%d.jpg", i))
		if err := os.WriteFile(files[i], p, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return files
}

// vipsThumbnail shrinks file as issue 24 measured it, metadata stripped
// and at our quality for shrunk photos (media.photoQuality), and returns the process's peak RSS in KiB
// (0 without GNU time: a child this process starts directly reports the
// benchmark's own peak, inherited through the shared address space it
// is started from).
func vipsThumbnail(vips, file string) (int64, error) {
	out := strings.TrimSuffix(file, ".jpg") + "-vips.jpg"
	args := []string{vips, file, "--size", "2048", "-o", out + "[Q=80,strip]"}
	gnuTime, err := exec.LookPath("time")
	if err == nil {
		args = append([]string{gnuTime, "-f", "maxrss=%M"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("vipsthumbnail: %w: %s", err, msg)
	}
	var kb int64
	if i := bytes.LastIndex(msg, []byte("maxrss=")); i >= 0 {
		kb, _ = strconv.ParseInt(strings.TrimSpace(string(msg[i+len("maxrss="):])), 10, 64)
	}
	return kb, nil
}

// wholeReencoded is what a photo was stored as before photos were
// bounded to 2048 px: decoded and encoded whole at quality 88.
func wholeReencoded(b *testing.B, data []byte) int {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 88}); err != nil {
		b.Fatal(err)
	}
	return out.Len()
}

// storedPerPhoto is the mean of what a stored photo takes: the image and
// its thumbnail.
func storedPerPhoto(b *testing.B, env *apitest.Env) float64 {
	var n float64
	err := env.DB.Pool.QueryRow(context.Background(),
		`SELECT coalesce(avg(size + coalesce(octet_length(thumb_data), 0)), 0)::float8 FROM media_blobs`).Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return n
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
