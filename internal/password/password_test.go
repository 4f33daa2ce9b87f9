package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fastParams keep tests quick; DefaultParams are exercised once.
var fastParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func mustHash(t testing.TB, h *Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("Hash(%q): %v", pw, err)
	}
	return enc
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, p := range []Params{fastParams, DefaultParams} {
		h := NewHasher(p, 2)
		enc := mustHash(t, h, "correct horse")
		if _, _, _, err := decode(enc); err != nil {
			t.Fatalf("decode(%q): %v", enc, err)
		}
		ok, rehash, err := h.Verify(ctx, "correct horse", enc)
		if err != nil || !ok || rehash {
			t.Errorf("params %+v: Verify(right) = %v, %v, %v; want true, false, nil", p, ok, rehash, err)
		}
		ok, rehash, err = h.Verify(ctx, "correct horsf", enc)
		if err != nil || ok || rehash {
			t.Errorf("params %+v: Verify(wrong) = %v, %v, %v; want false, false, nil", p, ok, rehash, err)
		}
	}
}

func TestDefaultFormat(t *testing.T) {
	enc := mustHash(t, NewHasher(DefaultParams, 1), "pw")
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(enc, prefix) {
		t.Fatalf("hash %q lacks prefix %q", enc, prefix)
	}
	parts := strings.Split(enc, "$")
	// 16-byte salt and 32-byte key in unpadded base64.
	if len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Errorf("salt/key lengths = %d/%d, want 22/43 in %q", len(parts[4]), len(parts[5]), enc)
	}
}

func TestSaltsDiffer(t *testing.T) {
	h := NewHasher(fastParams, 1)
	if a, b := mustHash(t, h, "pw"), mustHash(t, h, "pw"); a == b {
		t.Errorf("two hashes of the same password are equal: %q", a)
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	old := mustHash(t, NewHasher(fastParams, 1), "pw")
	tests := []struct {
		name   string
		change func(*Params)
		want   bool
	}{
		{"same", func(*Params) {}, false},
		{"memory", func(p *Params) { p.Memory = 128 }, true},
		{"time", func(p *Params) { p.Time = 2 }, true},
		{"threads", func(p *Params) { p.Threads = 2 }, true},
		{"keylen", func(p *Params) { p.KeyLen = 16 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fastParams
			tt.change(&p)
			ok, rehash, err := NewHasher(p, 1).Verify(ctx, "pw", old)
			if err != nil || !ok || rehash != tt.want {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash.
			if ok, rehash, err := NewHasher(p, 1).Verify(ctx, "nope", old); err != nil || ok || rehash {
				t.Errorf("a wrong password: ok %v, rehash %v, err %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

// The reference implementation's test vector (phc-winner-argon2 src/test.c):
// a hash we did not produce must verify.
func TestKnownVector(t *testing.T) {
	const enc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	h := NewHasher(fastParams, 1)
	ok, rehash, err := h.Verify(context.Background(), "password", enc)
	if err != nil || !ok || !rehash {
		t.Errorf("Verify(known vector) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestMalformed(t *testing.T) {
	h := NewHasher(fastParams, 1)
	valid := mustHash(t, h, "pw")
	parts := strings.Split(valid, "$")
	salt, key := parts[4], parts[5]
	with := func(alg, ver, params, s, k string) string {
		return strings.Join([]string{"", alg, ver, params, s, k}, "$")
	}
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"dollar only", "$"},
		{"no leading dollar", strings.TrimPrefix(valid, "$")},
		{"trailing dollar", valid + "$"},
		{"too long", valid + strings.Repeat("A", 600)},
		{"argon2i", with("argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"argon2d", with("argon2d", "v=19", "m=64,t=1,p=1", salt, key)},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"version 16", with("argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"no version", with("argon2id", "m=64,t=1,p=1", salt, key, "")},
		{"version junk", with("argon2id", "v=19x", "m=64,t=1,p=1", salt, key)},
		{"params order", with("argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"params missing", with("argon2id", "v=19", "m=64,t=1", salt, key)},
		{"params extra", with("argon2id", "v=19", "m=64,t=1,p=1,x=1", salt, key)},
		{"params empty number", with("argon2id", "v=19", "m=,t=1,p=1", salt, key)},
		{"params negative", with("argon2id", "v=19", "m=-64,t=1,p=1", salt, key)},
		{"params plus", with("argon2id", "v=19", "m=+64,t=1,p=1", salt, key)},
		{"params leading zero", with("argon2id", "v=19", "m=064,t=1,p=1", salt, key)},
		{"params hex", with("argon2id", "v=19", "m=0x40,t=1,p=1", salt, key)},
		{"params spaces", with("argon2id", "v=19", "m=64, t=1, p=1", salt, key)},
		{"m=0", with("argon2id", "v=19", "m=0,t=1,p=1", salt, key)},
		{"m below 8p", with("argon2id", "v=19", "m=15,t=1,p=2", salt, key)},
		{"m max uint32", with("argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key)},
		{"m overflow uint32", with("argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key)},
		{"m just over 1GiB", with("argon2id", "v=19", "m=1048577,t=1,p=1", salt, key)},
		{"t=0", with("argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"t=17", with("argon2id", "v=19", "m=64,t=17,p=1", salt, key)},
		{"t huge", with("argon2id", "v=19", "m=64,t=4294967295,p=1", salt, key)},
		{"p=0", with("argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"p=17", with("argon2id", "v=19", "m=256,t=1,p=17", salt, key)},
		{"p=256", with("argon2id", "v=19", "m=4096,t=1,p=256", salt, key)},
		{"salt not base64", with("argon2id", "v=19", "m=64,t=1,p=1", "!!!!!!!!!!!!", key)},
		{"salt padded", with("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"salt with newline", with("argon2id", "v=19", "m=64,t=1,p=1", salt[:4]+"\n"+salt[4:], key)},
		{"key with carriage return", with("argon2id", "v=19", "m=64,t=1,p=1", salt, key[:4]+"\r"+key[4:])},
		{"salt url alphabet", with("argon2id", "v=19", "m=64,t=1,p=1", "c29tZX_hbHQ-c29tZQ", key)},
		{"salt too short", with("argon2id", "v=19", "m=64,t=1,p=1", "c29tZQ", key)},
		{"salt empty", with("argon2id", "v=19", "m=64,t=1,p=1", "", key)},
		{"key not base64", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "*"+key[1:])},
		{"key non-canonical bits", with("argon2id", "v=19", "m=64,t=1,p=1", salt, key[:len(key)-1]+"B")},
		{"key too short", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "AAAA")},
		{"key empty", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ok, rehash, err := h.Verify(context.Background(), "pw", tt.enc)
			if !errors.Is(err, ErrMalformedHash) || ok || rehash {
				t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrMalformedHash", tt.enc, ok, rehash, err)
			}
			// Rejected before hashing, so it must be near-instant.
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("rejecting took %v", d)
			}
		})
	}
}

func TestHashWaitsForSlot(t *testing.T) {
	h := NewHasher(fastParams, 1)
	valid := mustHash(t, h, "pw")
	h.sem <- struct{}{} // hold the only slot

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with canceled ctx = %v, want context.Canceled", err)
	}
	if _, _, err := h.Verify(ctx, "pw", valid); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with canceled ctx = %v, want context.Canceled", err)
	}

	// A live context waits until the slot frees up, then succeeds.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while slot held = %v, want context.DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "pw")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash finished while the slot was held: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	<-h.sem
	if err := <-done; err != nil {
		t.Errorf("Hash after slot freed: %v", err)
	}
}

func TestConcurrentVerifyReleasesSlots(t *testing.T) {
	h := NewHasher(fastParams, 2)
	enc := mustHash(t, h, "pw")
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			ok, _, err := h.Verify(context.Background(), "pw", enc)
			if err == nil && !ok {
				err = errors.New("verify failed")
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(h.sem); n != 0 {
		t.Errorf("%d slots still held after all verifications", n)
	}
}

func TestDummyVerify(t *testing.T) {
	h := NewHasher(fastParams, 1)
	h.DummyVerify(context.Background(), "pw")
	first := h.dummy
	p, _, _, err := decode(first)
	if err != nil {
		t.Fatalf("dummy hash %q: %v", first, err)
	}
	if p != fastParams {
		t.Errorf("dummy params = %+v, want %+v", p, fastParams)
	}
	h.DummyVerify(context.Background(), "other")
	if h.dummy != first {
		t.Error("dummy hash recomputed")
	}
	if ok, _, err := h.Verify(context.Background(), "", h.dummy); ok || err != nil {
		t.Errorf("empty password against the dummy hash: ok %v, err %v", ok, err)
	}
}

func TestDummyVerifyTakesAsLongAsVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	ctx := context.Background()
	h := NewHasher(DefaultParams, 1)
	enc := mustHash(t, h, "right")
	h.DummyVerify(ctx, "warm up")

	const n = 5
	timeIt := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range n {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	wrong := timeIt(func() {
		if ok, _, err := h.Verify(ctx, "wrong", enc); ok || err != nil {
			t.Errorf("wrong password: ok %v, err %v", ok, err)
		}
	})
	dummy := timeIt(func() { h.DummyVerify(ctx, "wrong") })
	// Same work, so the fastest runs should be within a loose factor.
	if dummy < wrong/2 || dummy > wrong*2 {
		t.Errorf("DummyVerify %v vs wrong-password Verify %v", dummy, wrong)
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	bad := []Params{
		{},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 2 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want error", p)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", p)
				}
			}()
			NewHasher(p, 1)
		}()
	}
	if err := DefaultParams.Validate(); err != nil {
		t.Errorf("DefaultParams invalid: %v", err)
	}
}
