package vault

import (
	"crypto/hmac"
	"crypto/sha256"
)

// PurposeKey is a key for one purpose besides the keeper's (e.g. signing
// unsubscribe links), derived from key version's subkey so that the
// server keeps no secret of its own for it and a ring rotation rotates it
// too. Its input is longer than LeakGuardKey's 8 bytes, so the two never
// collide. ok is false when the ring has no such version.
func (r *Ring) PurposeKey(version uint32, purpose string) (key []byte, ok bool) {
	sub, ok := r.macs[version]
	if !ok {
		return nil, false
	}
	mac := hmac.New(sha256.New, sub)
	mac.Write([]byte("pixelpals purpose key v1: " + purpose))
	return mac.Sum(nil), true
}
