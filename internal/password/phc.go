package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is wrapped by errors for stored hashes that cannot be
// parsed or whose parameters are outside the accepted limits.
var ErrMalformedHash = errors.New("password: malformed hash")

// maxEncodedLen bounds the input decode looks at; a well-formed hash within
// our limits is far shorter.
const maxEncodedLen = 512

// b64 is the PHC encoding: standard alphabet, no padding. Strict rejects
// non-canonical trailing bits so each hash has exactly one encoding.
var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses "$argon2id$v=19$m=M,t=T,p=P$salt$key". The returned Params
// carry the salt and key lengths found in the string.
func decode(s string) (Params, []byte, []byte, error) {
	var p Params
	if len(s) > maxEncodedLen {
		return p, nil, nil, malformed("too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, malformed("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, malformed("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, malformed("unsupported version")
	}
	if err := parseParams(parts[3], &p); err != nil {
		return p, nil, nil, err
	}
	salt, ok := decodeB64(parts[4])
	if !ok {
		return p, nil, nil, malformed("salt is not base64")
	}
	key, ok := decodeB64(parts[5])
	if !ok {
		return p, nil, nil, malformed("key is not base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if why := p.check(); why != "" {
		return p, nil, nil, malformed(why)
	}
	return p, salt, key, nil
}

// decodeB64 decodes s, accepting only its canonical encoding.
func decodeB64(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	// The decoder skips '\r' and '\n'; a length check catches them.
	if err != nil || b64.EncodedLen(len(b)) != len(s) {
		return nil, false
	}
	return b, true
}

// parseParams parses exactly "m=M,t=T,p=P", in that order as we write it.
func parseParams(s string, p *Params) error {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return malformed("want m=,t=,p=")
	}
	vals := [3]uint64{}
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, found := strings.CutPrefix(fields[i], name)
		if !found {
			return malformed("want m=,t=,p=")
		}
		// PHC decimals have no sign and no leading zeros.
		if digits == "" || len(digits) > 1 && digits[0] == '0' {
			return malformed("bad number for " + name)
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return malformed("bad number for " + name)
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return malformed("too many threads")
	}
	p.Memory, p.Time, p.Threads = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	return nil
}

func malformed(why string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, why)
}
