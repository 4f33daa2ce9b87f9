// Package password hashes and verifies passwords with Argon2id, storing them
// in the PHC string format ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash").
//
// Hashing is deliberately expensive in memory, so a Hasher bounds how many
// hashes run at once: a burst of logins queues instead of exhausting memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are the Argon2id cost parameters.
type Params struct {
	Memory  uint32 // memory cost in KiB
	Time    uint32 // number of passes over the memory
	Threads uint8  // degree of parallelism
	SaltLen uint32 // salt length in bytes
	KeyLen  uint32 // derived key length in bytes
}

// DefaultParams are OWASP's minimum recommendation for Argon2id
// (19 MiB, two passes, one thread).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits on the parameters we accept, both for our own hashes and for hashes
// read back from storage. They stop a corrupted or hostile stored hash from
// making a single verification allocate gigabytes or run for minutes.
const (
	maxMemory  = 1 << 20 // KiB, 1 GiB
	maxTime    = 16
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// Validate reports whether p is within the limits this package accepts.
func (p Params) Validate() error {
	if why := p.check(); why != "" {
		return errors.New("password: invalid params: " + why)
	}
	return nil
}

// check returns why p is outside the accepted limits, or "".
func (p Params) check() string {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Sprintf("threads %d outside 1..%d", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		// Argon2 needs at least 8 KiB per lane.
		return fmt.Sprintf("memory %d KiB outside %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Sprintf("time %d outside 1..%d", p.Time, maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Sprintf("salt length %d outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Sprintf("key length %d outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return ""
}

// Hasher hashes and verifies passwords with fixed parameters. It is safe for
// concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{} // one slot per hash allowed to run at once

	dummyOnce sync.Once
	dummy     string // hash no password matches; see DummyVerify
}

// NewHasher returns a Hasher that creates hashes with p and runs at most
// maxConcurrent Argon2 computations at a time. A maxConcurrent below 1 means
// runtime.GOMAXPROCS(0). NewHasher panics if p is invalid: parameters are
// configuration, and a service must not start with unusable ones.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	if maxConcurrent < 1 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: p, sem: make(chan struct{}, maxConcurrent)}
}

// Hash returns the PHC-encoded Argon2id hash of password with a fresh random
// salt. It waits for a free hashing slot; if ctx ends first it returns
// ctx.Err().
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)

	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC-encoded hash. needsRehash
// is true when the password matched but the hash was made with parameters
// other than h's, so the caller should store a fresh Hash. A hash that cannot
// be parsed, or whose parameters are outside the accepted limits, yields an
// error wrapping ErrMalformedHash. If ctx ends while waiting for a hashing
// slot, Verify returns ctx.Err().
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	cur := h.params
	needsRehash = p.Memory != cur.Memory || p.Time != cur.Time ||
		p.Threads != cur.Threads || p.KeyLen != cur.KeyLen
	return true, needsRehash, nil
}

// DummyVerify does the work of a failed Verify against a hash made with h's
// parameters. Call it when a login name is unknown so that the answer takes
// as long as for a known name with a wrong password.
func (h *Hasher) DummyVerify(ctx context.Context, password string) {
	h.dummyOnce.Do(func() {
		// The dummy needs the right shape and cost, not a real preimage:
		// random key bytes mean no password matches it.
		salt := make([]byte, h.params.SaltLen)
		key := make([]byte, h.params.KeyLen)
		rand.Read(salt)
		rand.Read(key)
		h.dummy = encode(h.params, salt, key)
	})
	_, _, _ = h.Verify(ctx, password, h.dummy)
}

// derive runs Argon2id with p once a hashing slot is free.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	// Checked first because select picks at random when both cases are ready.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.sem }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}
