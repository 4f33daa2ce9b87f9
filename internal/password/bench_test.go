package password

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkHashDefault is the latency of one login's hash at DefaultParams.
func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel is login throughput with one hashing slot per CPU.
func BenchmarkVerifyParallel(b *testing.B) {
	h := NewHasher(DefaultParams, runtime.GOMAXPROCS(0))
	ctx := context.Background()
	enc := mustHash(b, h, "correct horse battery staple")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ok, _, err := h.Verify(ctx, "correct horse battery staple", enc)
			if err != nil || !ok {
				b.Errorf("Verify = %v, %v", ok, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
