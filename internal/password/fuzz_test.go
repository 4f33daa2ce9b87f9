package password

import (
	"context"
	"errors"
	"testing"
)

// FuzzVerify checks that no stored-hash input makes Verify panic, and that
// whatever decodes is within our limits and re-encodes to the same string.
func FuzzVerify(f *testing.F) {
	h := NewHasher(fastParams, 1)
	f.Add("pw", mustHash(f, h, "pw"))
	f.Add("password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("", "")
	f.Add("x", "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2id$v=19$m=64,t=1,p=255$$")

	f.Fuzz(func(t *testing.T, password, encoded string) {
		p, salt, key, err := decode(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("decode(%q) error %v does not wrap ErrMalformedHash", encoded, err)
			}
			return
		}
		if why := p.check(); why != "" {
			t.Fatalf("decode(%q) accepted params outside limits: %s", encoded, why)
		}
		if got := encode(p, salt, key); got != encoded {
			t.Fatalf("decode(%q) re-encodes as %q", encoded, got)
		}
		// Valid but costly hashes would only slow the fuzzer down; the
		// parsing above is what untrusted input reaches.
		if p.Memory > 1024 || p.Time > 2 || p.Threads > 2 {
			return
		}
		if _, _, err := h.Verify(context.Background(), password, encoded); err != nil {
			t.Fatalf("Verify(%q) after successful decode: %v", encoded, err)
		}
	})
}
