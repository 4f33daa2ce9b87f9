package vault

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
)

// KeySize is the length in bytes of every key in a ring (AES-256).
const KeySize = 32

// redacted stands in for key material wherever a Key or Ring is printed.
const redacted = "REDACTED"

// Key is one versioned 32-byte AES-256 key.
//
// The secret is unexported and held behind a pointer on purpose: fmt prints a
// nested pointer as an address, so even a Key buried in an unexported field
// of some other struct and printed with %v cannot spill its bytes into a log.
// Key also implements fmt.Formatter, fmt.GoStringer and slog.LogValuer so
// that printing it directly shows only its version.
type Key struct {
	Version uint32
	secret  *[KeySize]byte
}

// NewKey copies secret into a new Key. The version must be positive and the
// secret exactly 32 bytes and not all zeros (an all-zero key is a placeholder,
// not a key).
func NewKey(version uint32, secret []byte) (Key, error) {
	k, err := newKey(version, secret)
	if err != nil {
		return Key{}, fmt.Errorf("vault: %w", err)
	}
	return k, nil
}

func newKey(version uint32, secret []byte) (Key, error) {
	if version == 0 {
		return Key{}, errors.New("key version must be a positive integer")
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("key version %d: key must be %d bytes, got %d", version, KeySize, len(secret))
	}
	k := Key{Version: version, secret: new([KeySize]byte)}
	copy(k.secret[:], secret)
	if *k.secret == ([KeySize]byte{}) {
		return Key{}, fmt.Errorf("key version %d: key is all zeros", version)
	}
	return k, nil
}

// String returns a redacted description of the key.
func (k Key) String() string {
	return fmt.Sprintf("vault.Key{version:%d, secret:%s}", k.Version, redacted)
}

// GoString returns the same redacted form as String, for %#v.
func (k Key) GoString() string { return k.String() }

// Format makes every fmt verb (%x, %d, %q included, which would otherwise
// fall back to printing the struct) produce the redacted form.
func (k Key) Format(f fmt.State, verb rune) { formatRedacted(f, k.String()) }

// LogValue keeps slog from reflecting over the key.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("version", uint64(k.Version)),
		slog.String("secret", redacted),
	)
}

func formatRedacted(w io.Writer, s string) { _, _ = io.WriteString(w, s) }

// GenerateKeyLine returns a new random key as a ring entry "VERSION:BASE64",
// ready to be appended to PIXELPALS_VAULT_KEYS or a key file.
func GenerateKeyLine(version uint32) (string, error) {
	if version == 0 {
		return "", errors.New("vault: key version must be a positive integer")
	}
	var secret [KeySize]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", fmt.Errorf("vault: generate key: %w", err)
	}
	return strconv.FormatUint(uint64(version), 10) + ":" + base64.StdEncoding.EncodeToString(secret[:]), nil
}

// entry is one "VERSION:BASE64" item and where it came from, for errors.
type entry struct {
	text  string
	where string // "entry 2", "line 7"; never the text itself
}

// ParseRing parses a key ring spec: entries "VERSION:BASE64KEY" separated by
// commas and/or whitespace, each key standard base64 of exactly 32 bytes.
// The newest (highest) version seals; every version opens.
//
// Error messages name entries by position and version only; they never
// repeat the text of an entry, since that text may be key material.
func ParseRing(spec string) (*Ring, error) {
	var entries []entry
	for i, text := range splitEntries(spec) {
		entries = append(entries, entry{text: text, where: "entry " + strconv.Itoa(i+1)})
	}
	r, err := parseEntries(entries)
	if err != nil {
		return nil, fmt.Errorf("vault: key ring: %w", err)
	}
	return r, nil
}

func splitEntries(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

func parseEntries(entries []entry) (*Ring, error) {
	if len(entries) == 0 {
		return nil, errors.New("empty: no VERSION:BASE64KEY entries")
	}
	keys := make([]Key, 0, len(entries))
	for _, e := range entries {
		k, err := parseEntry(e)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return newRing(keys)
}

func parseEntry(e entry) (Key, error) {
	vs, b64, ok := strings.Cut(e.text, ":")
	if !ok {
		return Key{}, fmt.Errorf("%s: malformed, want VERSION:BASE64KEY", e.where)
	}
	// strconv's errors quote their input; ours must not, so they are dropped.
	v, err := strconv.ParseUint(vs, 10, 32)
	if err != nil || v == 0 {
		return Key{}, fmt.Errorf("%s: version must be a positive integer", e.where)
	}
	secret, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return Key{}, fmt.Errorf("%s (version %d): key is not valid standard base64", e.where, v)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Errorf("%s (version %d): key must decode to %d bytes, got %d", e.where, v, KeySize, len(secret))
	}
	k, err := newKey(uint32(v), secret)
	clear(secret)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", e.where, err)
	}
	return k, nil
}
