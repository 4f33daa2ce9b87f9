package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"pixelpals/internal/leaknorm"
	"pixelpals/internal/vault"
)

func testRing(t testing.TB) *vault.Ring {
	t.Helper()
	line, err := vault.GenerateKeyLine(1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := vault.ParseRing(line)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// printOf builds the fingerprint WriteLeakFingerprint would keep.
func printOf(t testing.TB, ring *vault.Ring, id int64, password string) leakPrint {
	t.Helper()
	norm := leaknorm.Normalize(password)
	key, ok := ring.LeakGuardKey(1, id)
	if !ok {
		t.Fatal("no key")
	}
	rev := slices.Clone(norm)
	slices.Reverse(rev)
	return leakPrint{credentialID: id, gameName: fmt.Sprint("game", id), length: len(norm), fp: leakMAC(key, norm),
		fpRev: leakMAC(key, rev), mac: hmac.New(sha256.New, key)}
}

// leakOracle is the guard's plain definition: the normalized text holds
// the normalized password, forwards or reversed.
func leakOracle(text, password string) bool {
	norm := leaknorm.Normalize(password)
	rev := slices.Clone(norm)
	slices.Reverse(rev)
	t := string(leaknorm.Normalize(text))
	return strings.Contains(t, string(norm)) || strings.Contains(t, string(rev))
}

// guardedPassword is a random password of at least minLeakLen letters
// and digits once normalized (shorter ones are not guarded).
func guardedPassword(r *rand.Rand, n int, alphabet []rune) string {
	for {
		if pw := randomText(r, n, alphabet); len(leaknorm.Normalize(pw)) >= minLeakLen {
			return pw
		}
	}
}

var leakAlphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-_?@éüжß")

func randomText(r *rand.Rand, n int, alphabet []rune) string {
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// disguise writes password as a child might: random case, and spaces or
// dots (or none) between the characters.
func disguise(r *rand.Rand, password string) string {
	var b strings.Builder
	seps := []string{"", "", " ", ".", "  ", ". ", " . "}
	spaced := r.IntN(2) == 0
	for i, c := range password {
		if i > 0 && spaced {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		if r.IntN(2) == 0 {
			c = unicode.ToUpper(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestLeakGuardRandom: a disguised password inside random text is always
// found, and on random messages the guard agrees with the plain oracle
// "the normalized message contains the normalized password".
func TestLeakGuardRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ring := testRing(t)
	for i := range 2000 {
		n := 1 + r.IntN(4)
		var prints []leakPrint
		var passwords []string
		for j := range n {
			pw := guardedPassword(r, minLeakLen+r.IntN(12), leakAlphabet)
			passwords = append(passwords, pw)
			prints = append(prints, printOf(t, ring, int64(i*10+j), pw))
		}
		k := r.IntN(n)
		words := []rune("abc xyz. 123 ")
		msg := randomText(r, r.IntN(40), words) + disguise(r, passwords[k]) + randomText(r, r.IntN(40), words)
		hit := matchLeak(prints, nil, msg)
		if hit == nil {
			t.Fatalf("seed %d: %q not found in %q", seed, passwords[k], msg)
		}
		if !leakOracle(msg, passwords[hit.credentialID%10]) {
			t.Fatalf("seed %d: matched %q, which %q does not contain", seed, passwords[hit.credentialID%10], msg)
		}

		// Random messages over a small alphabet, so near misses are common.
		small := []rune("ab. 1")
		pw := randomText(r, minLeakLen+r.IntN(3), []rune("ab1"))
		p := []leakPrint{printOf(t, ring, int64(i), pw)}
		msg = randomText(r, r.IntN(30), small)
		want := leakOracle(msg, pw)
		if got := matchLeak(p, nil, msg) != nil; got != want {
			t.Fatalf("seed %d: password %q in %q: guard %v, oracle %v", seed, pw, msg, got, want)
		}
	}
}

// TestLeakFingerprintIsKeyed: the fingerprint depends on the credential
// and the key, so it is no plain hash of the password and two children
// with the same password have unrelated fingerprints.
func TestLeakFingerprintIsKeyed(t *testing.T) {
	ring, other := testRing(t), testRing(t)
	a, b := printOf(t, ring, 1, "hunter22"), printOf(t, ring, 2, "hunter22")
	c := printOf(t, other, 1, "hunter22")
	plain := sha256.Sum256([]byte("hunter22"))
	if slices.Equal(a.fp, b.fp) || slices.Equal(a.fp, c.fp) || slices.Equal(a.fp, plain[:]) {
		t.Fatal("fingerprints are not keyed per credential and key")
	}
}

// BenchmarkLeakMatch: the guard's CPU cost per send, for messages of 100
// and 2000 characters against 1 and 5 kept passwords of 10 characters
// (BenchmarkCheckLeak adds the read of the fingerprints).
func BenchmarkLeakMatch(b *testing.B) {
	ring := testRing(b)
	for _, n := range []int{1, 5} {
		for _, size := range []int{100, 2000} {
			b.Run(fmt.Sprintf("passwords=%d/chars=%d", n, size), func(b *testing.B) {
				var prints []leakPrint
				for j := range n {
					prints = append(prints, printOf(b, ring, int64(j), fmt.Sprintf("pass%06dx", j)))
				}
				msg := strings.Repeat("hello there ", size/12+1)[:size]
				for b.Loop() {
					if matchLeak(prints, nil, msg) != nil {
						b.Fatal("false positive")
					}
				}
			})
		}
	}
}

// TestMatchLeakAcrossTexts: a password is found split over the earlier
// texts and the new one, forwards or reversed, but only when its match
// ends in the new text: what the earlier texts hold alone is not this
// send's.
func TestMatchLeakAcrossTexts(t *testing.T) {
	ring := testRing(t)
	prints := []leakPrint{printOf(t, ring, 1, "Hunter2Pass"), printOf(t, ring, 2, "Sunny-Pony-42")}
	for _, c := range []struct {
		before []string
		text   string
		want   int64
	}{
		{nil, "Hunter2Pass", 1},
		{nil, "ssaP2retnuH", 1},
		{[]string{"Hunter2"}, "Pass", 1},
		{[]string{"Sunny"}, "Pony 42", 2},
		{[]string{"Sunny", "Pony"}, "42", 2},
		{[]string{"24", "ynop"}, "ynnus", 2},
		{[]string{"a long message before the password starts, Sunny"}, "Pony42", 2},
		{[]string{"Hunter2Pass"}, "hi", 0},
		{[]string{"Sunny", "Pony"}, "43", 0},
		{[]string{"Pony"}, "42 Sunny", 0},
		{nil, "Hunter2Pas", 0},
		{nil, "", 0},
	} {
		var got int64
		if p := matchLeak(prints, c.before, c.text); p != nil {
			got = p.credentialID
		}
		if got != c.want {
			t.Errorf("%q then %q: credential %d, want %d", c.before, c.text, got, c.want)
		}
	}
}
