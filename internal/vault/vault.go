// Package vault encrypts the passwords kept by the game-login keeper.
//
// A Ring holds versioned AES-256 keys. Seal encrypts with AES-256-GCM under
// the newest key and a fresh random 96-bit nonce; the ciphertext starts with
// the 4-byte big-endian key version so that Open can pick the right key after
// a rotation. The caller passes associated data (see AssociatedData) that
// binds the ciphertext to its database row, so a ciphertext copied onto
// another row fails to open. docs/security.md describes the scheme, key
// handling and rotation for operators.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
)

// NonceSize is the length of the GCM nonce stored in the iv column.
const NonceSize = 12

const (
	prefixSize = 4  // big-endian key version in front of the sealed bytes
	tagSize    = 16 // GCM authentication tag
)

// Errors returned by Open and KeyVersionOf. They are wrapped with detail
// (never key material or plaintext); test them with errors.Is.
var (
	// ErrUnknownKeyVersion means the ciphertext names a key version that is
	// not in the ring, e.g. an old key was removed before rotation finished.
	ErrUnknownKeyVersion = errors.New("vault: unknown key version")
	// ErrMalformed means the ciphertext or nonce has an impossible length.
	ErrMalformed = errors.New("vault: malformed ciphertext")
	// ErrDecrypt means authentication failed: the ciphertext, nonce or
	// associated data was altered, belongs to another row, or the key with
	// that version number is not the one that sealed it.
	ErrDecrypt = errors.New("vault: decryption failed")
)

// Ring is an immutable set of versioned keys. It is safe for concurrent use.
// Its String, GoString, Format and LogValue methods show versions only.
type Ring struct {
	newest   uint32
	versions []uint32 // ascending
	aeads    map[uint32]cipher.AEAD
	// macs are per-version subkeys of the leak guard, derived from the
	// keys (never the keys themselves): LeakGuardKey.
	macs map[uint32][]byte
}

// NewRing builds a ring from keys. Versions must be distinct and positive,
// and no two versions may share the same key bytes (a copy-paste slip that
// would make rotation a no-op).
func NewRing(keys ...Key) (*Ring, error) {
	r, err := newRing(keys)
	if err != nil {
		return nil, fmt.Errorf("vault: key ring: %w", err)
	}
	return r, nil
}

func newRing(keys []Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("empty")
	}
	r := &Ring{aeads: make(map[uint32]cipher.AEAD, len(keys)), macs: make(map[uint32][]byte, len(keys))}
	seen := make(map[[KeySize]byte]uint32, len(keys))
	for _, k := range keys {
		if k.Version == 0 || k.secret == nil {
			return nil, errors.New("key not made by NewKey")
		}
		if _, dup := r.aeads[k.Version]; dup {
			return nil, fmt.Errorf("duplicate key version %d", k.Version)
		}
		if other, dup := seen[*k.secret]; dup {
			return nil, fmt.Errorf("versions %d and %d have identical key bytes", other, k.Version)
		}
		seen[*k.secret] = k.Version
		block, err := aes.NewCipher(k.secret[:])
		if err != nil {
			return nil, fmt.Errorf("key version %d: %w", k.Version, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key version %d: %w", k.Version, err)
		}
		r.aeads[k.Version] = aead
		mac := hmac.New(sha256.New, k.secret[:])
		mac.Write([]byte("pixelpals leak-guard subkey v1"))
		r.macs[k.Version] = mac.Sum(nil)
		r.versions = append(r.versions, k.Version)
		r.newest = max(r.newest, k.Version)
	}
	slices.Sort(r.versions)
	return r, nil
}

// LeakGuardKey is the HMAC key of one kept password's leak-guard
// fingerprint: derived from key version's subkey and the credential's id,
// so equal passwords of two credentials have unrelated fingerprints. ok is
// false when the ring has no such version.
func (r *Ring) LeakGuardKey(version uint32, credentialID int64) (key []byte, ok bool) {
	sub, ok := r.macs[version]
	if !ok {
		return nil, false
	}
	mac := hmac.New(sha256.New, sub)
	mac.Write(binary.BigEndian.AppendUint64(nil, uint64(credentialID)))
	return mac.Sum(nil), true
}

// Newest returns the key version that Seal uses.
func (r *Ring) Newest() uint32 { return r.newest }

// Versions returns the ring's key versions in ascending order.
func (r *Ring) Versions() []uint32 { return slices.Clone(r.versions) }

// Seal encrypts plaintext under the newest key with a fresh random nonce.
// ciphertext is the 4-byte big-endian key version followed by the GCM output
// (sealed bytes and tag); nonce is stored separately (the iv column). The
// version prefix is authenticated together with ad.
func (r *Ring) Seal(plaintext, ad []byte) (ciphertext, nonce []byte, err error) {
	aead, ok := r.aeads[r.newest]
	if !ok {
		return nil, nil, errors.New("vault: seal: key ring is empty")
	}
	nonce = make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("vault: seal: read nonce: %w", err)
	}
	ciphertext = make([]byte, prefixSize, prefixSize+len(plaintext)+tagSize)
	binary.BigEndian.PutUint32(ciphertext, r.newest)
	ciphertext = aead.Seal(ciphertext, nonce, plaintext, fullAD(ciphertext[:prefixSize], ad))
	return ciphertext, nonce, nil
}

// Open authenticates and decrypts a ciphertext made by Seal with the same
// associated data. On any failure it returns a nil plaintext and an error
// wrapping ErrMalformed, ErrUnknownKeyVersion or ErrDecrypt.
func (r *Ring) Open(ciphertext, nonce, ad []byte) ([]byte, error) {
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("%w: nonce is %d bytes, want %d", ErrMalformed, len(nonce), NonceSize)
	}
	v, err := r.KeyVersionOf(ciphertext)
	if err != nil {
		return nil, err
	}
	plaintext, err := r.aeads[v].Open(nil, nonce, ciphertext[prefixSize:], fullAD(ciphertext[:prefixSize], ad))
	if err != nil {
		// crypto/cipher's error says nothing more; keep ours stable.
		return nil, fmt.Errorf("%w (key version %d)", ErrDecrypt, v)
	}
	return plaintext, nil
}

// KeyVersionOf returns the key version a ciphertext was sealed with, without
// decrypting it (rotation reads the same 4-byte prefix in SQL to find rows
// not yet on Newest). A
// ciphertext too short to hold a prefix and tag is ErrMalformed. If the
// version is not in the ring the error wraps ErrUnknownKeyVersion and, unlike
// other errors, the version is still returned so that it can be reported.
func (r *Ring) KeyVersionOf(ciphertext []byte) (uint32, error) {
	if len(ciphertext) < prefixSize+tagSize {
		return 0, fmt.Errorf("%w: ciphertext is %d bytes, want at least %d", ErrMalformed, len(ciphertext), prefixSize+tagSize)
	}
	v := binary.BigEndian.Uint32(ciphertext)
	if _, ok := r.aeads[v]; !ok {
		return v, fmt.Errorf("%w: %d (ring has %v)", ErrUnknownKeyVersion, v, r.versions)
	}
	return v, nil
}

// fullAD is the GCM additional data: the version prefix, then the caller's
// AD. The prefix has a fixed length, so the concatenation is unambiguous.
func fullAD(prefix, ad []byte) []byte {
	out := make([]byte, 0, len(prefix)+len(ad))
	return append(append(out, prefix...), ad...)
}

// adDomain separates our associated data from any other use of the same keys.
const adDomain = "pixelpals/game_credentials/v1"

// AssociatedData binds a ciphertext to its game_credentials row. Each field
// is length-prefixed (strings with a 4-byte big-endian length, the profile ID
// as a fixed 8 bytes), so distinct rows can never encode to the same bytes:
// ("ab", "c") and ("a", "bc") differ. The strings are used byte for byte, so
// callers must pass exactly the values stored in the row; changing the game
// name or username means opening with the old AD and sealing with the new.
func AssociatedData(profileID int64, gameName, username string) []byte {
	out := make([]byte, 0, 4+len(adDomain)+8+4+len(gameName)+4+len(username))
	out = appendString(out, adDomain)
	out = binary.BigEndian.AppendUint64(out, uint64(profileID))
	out = appendString(out, gameName)
	return appendString(out, username)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// String describes the ring without key material, e.g.
// "vault.Ring{versions:[1 2], newest:2}".
func (r *Ring) String() string {
	if r == nil {
		return "vault.Ring(nil)"
	}
	return fmt.Sprintf("vault.Ring{versions:%v, newest:%d}", r.versions, r.newest)
}

// GoString returns the same redacted form as String, for %#v.
func (r *Ring) GoString() string { return r.String() }

// Format makes every fmt verb produce the redacted form.
func (r *Ring) Format(f fmt.State, verb rune) { formatRedacted(f, r.String()) }

// LogValue keeps slog from reflecting over the ring.
func (r *Ring) LogValue() slog.Value {
	if r == nil {
		return slog.StringValue(r.String())
	}
	return slog.GroupValue(
		slog.Any("versions", r.Versions()),
		slog.Uint64("newest", uint64(r.newest)),
	)
}
