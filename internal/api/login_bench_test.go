package api_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// BenchmarkLogin logs in through the real HTTP API with the production
// Argon2id parameters (m=19 MiB, t=2, p=1) and reports the median latency
// and logins per second. Run: go test -run='^$' -bench=Login ./internal/api/
func BenchmarkLogin(b *testing.B) {
	env := apitest.New(b, apitest.Options{RealHashing: true})
	fam := env.Family(env.Admin(), 0)
	body := map[string]string{"login": fam.Parent.Login, "password": fam.Parent.Password}

	b.Run("clients=1", func(b *testing.B) {
		c := env.Anonymous()
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if r := c.Do("POST", "/auth/login", body); r.Status != 200 {
				b.Fatalf("login: %d %s", r.Status, r.Body)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	})

	// RunParallel runs par × GOMAXPROCS concurrent clients.
	for _, par := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("clients=%d", par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(par)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				c := env.Anonymous()
				for pb.Next() {
					t0 := time.Now()
					if r := c.Do("POST", "/auth/login", body); r.Status != 200 {
						b.Errorf("login: %d %s", r.Status, r.Body)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			})
			elapsed := time.Since(start)
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "logins/s")
			}
		})
	}
}
