package vault_test

import (
	"bytes"
	"testing"

	"pixelpals/internal/vault"
)

// TestPurposeKey: one key per version and purpose, stable, unrelated to
// the others and to the leak guard's keys; none for an unknown version.
func TestPurposeKey(t *testing.T) {
	k1, _ := vault.NewKey(1, bytes.Repeat([]byte{1}, 32))
	k2, _ := vault.NewKey(2, bytes.Repeat([]byte{2}, 32))
	ring, err := vault.NewRing(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	a1, ok1 := ring.PurposeKey(1, "unsubscribe")
	again, _ := ring.PurposeKey(1, "unsubscribe")
	a2, ok2 := ring.PurposeKey(2, "unsubscribe")
	b1, _ := ring.PurposeKey(1, "other")
	leak, _ := ring.LeakGuardKey(1, 1)
	if !ok1 || !ok2 || len(a1) != 32 || !bytes.Equal(a1, again) {
		t.Fatalf("purpose key: %v %v %d", ok1, ok2, len(a1))
	}
	for _, other := range [][]byte{a2, b1, leak} {
		if bytes.Equal(a1, other) {
			t.Fatal("two purposes, versions or the leak guard share a key")
		}
	}
	if _, ok := ring.PurposeKey(9, "unsubscribe"); ok {
		t.Fatal("a key for a version the ring does not have")
	}
}
