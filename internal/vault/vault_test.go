package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// testSecret returns a deterministic, distinct 32-byte key for a seed.
func testSecret(t testing.TB, seed byte) []byte {
	t.Helper()
	s := make([]byte, KeySize)
	for i := range s {
		s[i] = seed*37 + byte(i)*11 + 1
	}
	return s
}

func keyLine(t testing.TB, version uint32, secret []byte) string {
	t.Helper()
	return fmt.Sprintf("%d:%s", version, base64.StdEncoding.EncodeToString(secret))
}

func mustParse(t testing.TB, spec string) *Ring {
	t.Helper()
	r, err := ParseRing(spec)
	if err != nil {
		t.Fatalf("ParseRing: %v", err)
	}
	return r
}

func mustSeal(t testing.TB, r *Ring, plaintext, ad []byte) (ct, nonce []byte) {
	t.Helper()
	ct, nonce, err := r.Seal(plaintext, ad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return ct, nonce
}

// ringWith returns a ring with the given versions, each with its own key.
func ringWith(t testing.TB, versions ...uint32) *Ring {
	t.Helper()
	var lines []string
	for _, v := range versions {
		lines = append(lines, keyLine(t, v, testSecret(t, byte(v))))
	}
	return mustParse(t, strings.Join(lines, ","))
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func TestSealOpenRoundTrip(t *testing.T) {
	r := ringWith(t, 1)
	ad := AssociatedData(42, "Minecraft", "steve")
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"empty", []byte{}},
		{"ascii", []byte("hunter2")},
		{"unicode", []byte("pässwörd-密码-🔑")},
		{"long", bytes.Repeat([]byte("x"), 4096)},
		{"binary", []byte{0, 1, 2, 255, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, nonce := mustSeal(t, r, tt.plaintext, ad)
			if len(nonce) != NonceSize {
				t.Fatalf("nonce is %d bytes, want %d", len(nonce), NonceSize)
			}
			if want := 4 + len(tt.plaintext) + 16; len(ct) != want {
				t.Fatalf("ciphertext is %d bytes, want %d", len(ct), want)
			}
			if len(tt.plaintext) >= 4 && bytes.Contains(ct, tt.plaintext) {
				t.Fatal("ciphertext contains the plaintext")
			}
			got, err := r.Open(ct, nonce, ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestVersionPrefix(t *testing.T) {
	r := ringWith(t, 7)
	ct, _ := mustSeal(t, r, []byte("pw"), nil)
	if !bytes.Equal(ct[:4], []byte{0, 0, 0, 7}) {
		t.Fatalf("prefix = %x, want 00000007", ct[:4])
	}
	v, err := r.KeyVersionOf(ct)
	if err != nil || v != 7 {
		t.Fatalf("KeyVersionOf = %d, %v; want 7, nil", v, err)
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	r := ringWith(t, 1, 2) // seals with 2
	ad := AssociatedData(1, "Roblox", "alice")
	ct, nonce := mustSeal(t, r, []byte("correct horse"), ad)

	prefixTo := func(v byte) []byte {
		c := bytes.Clone(ct)
		copy(c, []byte{0, 0, 0, v})
		return c
	}
	tests := []struct {
		name    string
		ct      []byte
		nonce   []byte
		ad      []byte
		wantErr error
	}{
		{"first body byte", flip(ct, 4), nonce, ad, ErrDecrypt},
		{"middle body byte", flip(ct, 4+5), nonce, ad, ErrDecrypt},
		{"last tag byte", flip(ct, len(ct)-1), nonce, ad, ErrDecrypt},
		{"prefix to other known version", prefixTo(1), nonce, ad, ErrDecrypt},
		{"prefix to unknown version", prefixTo(9), nonce, ad, ErrUnknownKeyVersion},
		{"prefix high byte", flip(ct, 0), nonce, ad, ErrUnknownKeyVersion},
		{"nonce byte", ct, flip(nonce, 0), ad, ErrDecrypt},
		{"nonce last byte", ct, flip(nonce, NonceSize-1), ad, ErrDecrypt},
		{"ad byte", ct, nonce, flip(ad, len(ad)-1), ErrDecrypt},
		{"ad nil", ct, nonce, nil, ErrDecrypt},
		{"ad extended", ct, nonce, append(bytes.Clone(ad), 0), ErrDecrypt},
		{"nonce short", ct, nonce[:11], ad, ErrMalformed},
		{"nonce long", ct, append(bytes.Clone(nonce), 0), ad, ErrMalformed},
		{"nonce nil", ct, nil, ad, ErrMalformed},
		{"ciphertext nil", nil, nonce, ad, ErrMalformed},
		{"prefix only", ct[:4], nonce, ad, ErrMalformed},
		{"shorter than tag", ct[:4+15], nonce, ad, ErrMalformed},
		{"truncated body", ct[:len(ct)-1], nonce, ad, ErrDecrypt},
		{"appended byte", append(bytes.Clone(ct), 0), nonce, ad, ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Open(tt.ct, tt.nonce, tt.ad)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open error = %v, want %v", err, tt.wantErr)
			}
			if got != nil {
				t.Fatalf("Open returned plaintext %q alongside error", got)
			}
		})
	}
}

func TestOpenRejectsOtherRowAD(t *testing.T) {
	r := ringWith(t, 1)
	ct, nonce := mustSeal(t, r, []byte("s3cret"), AssociatedData(10, "Fortnite", "kid1"))
	tests := []struct {
		name string
		ad   []byte
	}{
		{"other profile", AssociatedData(11, "Fortnite", "kid1")},
		{"negative profile", AssociatedData(-10, "Fortnite", "kid1")},
		{"other game", AssociatedData(10, "Minecraft", "kid1")},
		{"game case", AssociatedData(10, "fortnite", "kid1")},
		{"other username", AssociatedData(10, "Fortnite", "kid2")},
		{"fields shifted", AssociatedData(10, "Fortnitek", "id1")},
		{"fields swapped", AssociatedData(10, "kid1", "Fortnite")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Open(ct, nonce, tt.ad)
			if !errors.Is(err, ErrDecrypt) || got != nil {
				t.Fatalf("Open = %q, %v; want nil, ErrDecrypt", got, err)
			}
		})
	}
}

func TestAssociatedDataUnambiguous(t *testing.T) {
	type row struct {
		profile  int64
		game     string
		username string
	}
	rows := []row{
		{1, "ab", "c"},
		{1, "a", "bc"},
		{1, "abc", ""},
		{1, "", "abc"},
		{2, "ab", "c"},
		{256, "ab", "c"},
		{-1, "ab", "c"},
		{1, "ab\x00", "c"},
		{1, "ab", "\x00c"},
	}
	seen := map[string]row{}
	for _, r := range rows {
		ad := string(AssociatedData(r.profile, r.game, r.username))
		if prev, dup := seen[ad]; dup {
			t.Errorf("AssociatedData(%v) == AssociatedData(%v)", r, prev)
		}
		seen[ad] = r
	}
	if !bytes.Equal(AssociatedData(5, "g", "u"), AssociatedData(5, "g", "u")) {
		t.Error("AssociatedData is not deterministic")
	}
	if !bytes.HasPrefix(AssociatedData(5, "g", "u")[4:], []byte("pixelpals/game_credentials/v1")) {
		t.Error("AssociatedData does not start with the domain tag")
	}
}

func TestWrongKeySameVersion(t *testing.T) {
	sealer := mustParse(t, keyLine(t, 1, testSecret(t, 1)))
	other := mustParse(t, keyLine(t, 1, testSecret(t, 2)))
	ad := AssociatedData(1, "g", "u")
	ct, nonce := mustSeal(t, sealer, []byte("pw"), ad)
	got, err := other.Open(ct, nonce, ad)
	if !errors.Is(err, ErrDecrypt) || got != nil {
		t.Fatalf("Open with wrong key = %q, %v; want nil, ErrDecrypt", got, err)
	}
}

func TestRingSealsNewestOpensAll(t *testing.T) {
	old := ringWith(t, 1)
	both := ringWith(t, 2, 1) // order in the spec must not matter
	if got := both.Newest(); got != 2 {
		t.Fatalf("Newest = %d, want 2", got)
	}
	if got := fmt.Sprint(both.Versions()); got != "[1 2]" {
		t.Fatalf("Versions = %s, want [1 2]", got)
	}
	ad := AssociatedData(3, "g", "u")

	ct1, n1 := mustSeal(t, old, []byte("from v1"), ad)
	ct2, n2 := mustSeal(t, both, []byte("from v2"), ad)
	if v, err := both.KeyVersionOf(ct2); err != nil || v != 2 {
		t.Fatalf("new ring sealed with version %d (%v), want 2", v, err)
	}
	for _, c := range []struct {
		ct, nonce []byte
		want      string
	}{{ct1, n1, "from v1"}, {ct2, n2, "from v2"}} {
		got, err := both.Open(c.ct, c.nonce, ad)
		if err != nil || string(got) != c.want {
			t.Fatalf("Open = %q, %v; want %q", got, err, c.want)
		}
	}
	// The old ring cannot read what the new one sealed.
	if _, err := old.Open(ct2, n2, ad); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("old ring Open = %v, want ErrUnknownKeyVersion", err)
	}
	if v, err := old.KeyVersionOf(ct2); v != 2 || !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("old ring KeyVersionOf = %d, %v; want 2, ErrUnknownKeyVersion", v, err)
	}
	if _, err := old.KeyVersionOf([]byte{0, 0, 0}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("KeyVersionOf(short) = %v, want ErrMalformed", err)
	}
}

func TestVersionsIsACopy(t *testing.T) {
	r := ringWith(t, 1, 2)
	r.Versions()[0] = 99
	if got := fmt.Sprint(r.Versions()); got != "[1 2]" {
		t.Fatalf("Versions after caller mutation = %s", got)
	}
}

func TestNoncesUnique(t *testing.T) {
	const n = 100_000
	r := ringWith(t, 1)
	seen := make(map[[NonceSize]byte]struct{}, n)
	for i := range n {
		_, nonce := mustSeal(t, r, []byte("pw"), nil)
		k := [NonceSize]byte(nonce)
		if _, dup := seen[k]; dup {
			t.Fatalf("nonce repeated after %d seals", i)
		}
		seen[k] = struct{}{}
	}
}

func TestConcurrentUse(t *testing.T) {
	r := ringWith(t, 1, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			ad := AssociatedData(int64(g), "g", "u")
			for range 200 {
				ct, nonce, err := r.Seal([]byte("pw"), ad)
				if err != nil {
					errs <- err
					return
				}
				if _, err := r.Open(ct, nonce, ad); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestParseRing(t *testing.T) {
	k1, k2 := testSecret(t, 1), testSecret(t, 2)
	l1, l2 := keyLine(t, 1, k1), keyLine(t, 2, k2)
	tests := []struct {
		name     string
		spec     string
		versions string
	}{
		{"single", l1, "[1]"},
		{"comma", l1 + "," + l2, "[1 2]"},
		{"comma and spaces", " " + l1 + " , " + l2 + " ", "[1 2]"},
		{"newlines and tabs", l2 + "\n\t" + l1 + "\n", "[1 2]"},
		{"trailing comma", l1 + ",", "[1]"},
		{"large version", keyLine(t, 4294967295, k1), "[4294967295]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustParse(t, tt.spec)
			if got := fmt.Sprint(r.Versions()); got != tt.versions {
				t.Fatalf("Versions = %s, want %s", got, tt.versions)
			}
		})
	}
}

func TestParseRingErrors(t *testing.T) {
	k1, k2 := testSecret(t, 1), testSecret(t, 2)
	b1, b2 := base64.StdEncoding.EncodeToString(k1), base64.StdEncoding.EncodeToString(k2)
	short := base64.StdEncoding.EncodeToString(k1[:31])
	long := base64.StdEncoding.EncodeToString(append(bytes.Clone(k1), 7))
	tests := []struct {
		name string
		spec string
		want string // substring of the error
	}{
		{"empty", "", "empty"},
		{"only separators", " ,\n, ", "empty"},
		{"no colon", b1, "entry 1: malformed"},
		{"second entry malformed", "1:" + b1 + "," + b2, "entry 2: malformed"},
		{"missing version", ":" + b1, "version must be a positive integer"},
		{"version zero", "0:" + b1, "version must be a positive integer"},
		{"version negative", "-1:" + b1, "version must be a positive integer"},
		{"version not a number", "one:" + b1, "version must be a positive integer"},
		{"version too large", "4294967296:" + b1, "version must be a positive integer"},
		{"missing key", "1:", "must decode to 32 bytes, got 0"},
		{"bad base64", "1:" + b1[:20] + "!!" + b1[22:], "not valid standard base64"},
		{"url base64", "1:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), "not valid standard base64"},
		{"unpadded", "1:" + strings.TrimRight(b1, "="), "not valid standard base64"},
		{"key 31 bytes", "1:" + short, "must decode to 32 bytes, got 31"},
		{"key 33 bytes", "1:" + long, "must decode to 32 bytes, got 33"},
		{"hex instead of base64", "1:" + hex.EncodeToString(k1), "must decode to 32 bytes, got 48"},
		{"all zero key", "1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)), "all zeros"},
		{"duplicate version", "1:" + b1 + ",1:" + b2, "duplicate key version 1"},
		{"duplicate key bytes", "1:" + b1 + ",2:" + b1, "versions 1 and 2 have identical key bytes"},
	}
	secrets := []string{b1, b2, short, long, hex.EncodeToString(k1), strings.TrimRight(b1, "=")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRing(tt.spec)
			if err == nil {
				t.Fatalf("ParseRing succeeded with %v, want error containing %q", r, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, "vault: ") {
				t.Errorf("error %q lacks the vault: prefix", msg)
			}
			assertNoSecret(t, msg, secrets...)
			// No run of 8+ characters of key text either.
			for _, s := range secrets {
				for i := 0; i+8 <= len(s); i++ {
					if strings.Contains(msg, s[i:i+8]) {
						t.Fatalf("error %q contains key text %q", msg, s[i:i+8])
					}
				}
			}
		})
	}
}

func TestNewKeyAndRing(t *testing.T) {
	if _, err := NewKey(0, testSecret(t, 1)); err == nil {
		t.Error("NewKey accepted version 0")
	}
	if _, err := NewKey(1, testSecret(t, 1)[:16]); err == nil {
		t.Error("NewKey accepted a 16-byte key")
	}
	k, err := NewKey(3, testSecret(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewRing(); err == nil {
		t.Error("NewRing accepted no keys")
	}
	if _, err := NewRing(Key{Version: 1}); err == nil {
		t.Error("NewRing accepted a zero Key")
	}
	r, err := NewRing(k)
	if err != nil {
		t.Fatal(err)
	}
	// A ring from NewKey and one from ParseRing with the same bytes agree.
	parsed := mustParse(t, keyLine(t, 3, testSecret(t, 1)))
	ct, nonce := mustSeal(t, r, []byte("pw"), nil)
	if got, err := parsed.Open(ct, nonce, nil); err != nil || string(got) != "pw" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestSealEmptyRing(t *testing.T) {
	var r Ring
	if _, _, err := r.Seal([]byte("pw"), nil); err == nil {
		t.Fatal("zero Ring sealed")
	}
}

func TestGenerateKeyLine(t *testing.T) {
	if _, err := GenerateKeyLine(0); err == nil {
		t.Fatal("GenerateKeyLine(0) succeeded")
	}
	a, err := GenerateKeyLine(5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKeyLine(6)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a, "5:") {
		t.Fatalf("line %q does not start with 5:", a[:2])
	}
	r := mustParse(t, a+","+b) // also proves the two keys differ
	if r.Newest() != 6 {
		t.Fatalf("Newest = %d, want 6", r.Newest())
	}
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask; set it exactly.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRingFile(t *testing.T) {
	dir := t.TempDir()
	l1, l2 := keyLine(t, 1, testSecret(t, 1)), keyLine(t, 2, testSecret(t, 2))
	path := filepath.Join(dir, "vault.keys")
	writeFile(t, path, "# ring for tests\n\n"+l1+"\n  # retired soon\n"+l2+"\n", 0o600)
	r, err := LoadRingFile(path)
	if err != nil {
		t.Fatalf("LoadRingFile: %v", err)
	}
	if got := r.String(); got != "vault.Ring{versions:[1 2], newest:2}" {
		t.Fatalf("ring = %s", got)
	}

	bad := filepath.Join(dir, "bad.keys")
	writeFile(t, bad, "# ok\n"+l1+"\n2:"+base64.StdEncoding.EncodeToString(testSecret(t, 2)[:31])+"\n", 0o600)
	_, err = LoadRingFile(bad)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), bad) {
		t.Fatalf("LoadRingFile(bad) = %v, want an error naming the file and line 3", err)
	}

	empty := filepath.Join(dir, "empty.keys")
	writeFile(t, empty, "# nothing here\n", 0o600)
	if _, err := LoadRingFile(empty); err == nil {
		t.Fatal("LoadRingFile accepted a file with only comments")
	}

	if _, err := LoadRingFile(filepath.Join(dir, "missing.keys")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadRingFile(missing) = %v, want ErrNotExist", err)
	}
	if _, err := LoadRingFile(dir); err == nil {
		t.Fatal("LoadRingFile accepted a directory")
	}
}

func TestLoadRingFileRefusesLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	l1 := keyLine(t, 1, testSecret(t, 1))
	for _, perm := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o601} {
		t.Run(fmt.Sprintf("%04o", perm), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vault.keys")
			writeFile(t, path, l1+"\n", perm)
			r, err := LoadRingFile(path)
			if err == nil {
				t.Fatalf("LoadRingFile accepted mode %04o: %v", perm, r)
			}
			if !strings.Contains(err.Error(), "readable by group or others") || !strings.Contains(err.Error(), "chmod 600") {
				t.Fatalf("error %q does not explain the permission problem", err)
			}
			assertNoSecret(t, err.Error(), base64.StdEncoding.EncodeToString(testSecret(t, 1)))
		})
	}
	for _, perm := range []os.FileMode{0o600, 0o400} {
		path := filepath.Join(t.TempDir(), "vault.keys")
		writeFile(t, path, l1+"\n", perm)
		if _, err := LoadRingFile(path); err != nil {
			t.Fatalf("LoadRingFile(mode %04o): %v", perm, err)
		}
	}
}

func TestLoadOrCreateRingFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "pixelpals")
	path := filepath.Join(dir, "vault.keys")

	r1, err := LoadOrCreateRingFile(path)
	if err != nil {
		t.Fatalf("first LoadOrCreateRingFile: %v", err)
	}
	if got := fmt.Sprint(r1.Versions()); got != "[1]" {
		t.Fatalf("created ring versions = %s, want [1]", got)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
		assertMode(t, dir, 0o700)
	}
	leftovers, err := filepath.Glob(filepath.Join(dir, ".vault-keys-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}

	r2, err := LoadOrCreateRingFile(path)
	if err != nil {
		t.Fatalf("second LoadOrCreateRingFile: %v", err)
	}
	again, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(content, again) {
		t.Fatal("second call rewrote the key file")
	}
	ad := AssociatedData(1, "g", "u")
	ct, nonce := mustSeal(t, r1, []byte("pw"), ad)
	if got, err := r2.Open(ct, nonce, ad); err != nil || string(got) != "pw" {
		t.Fatalf("second ring cannot open the first ring's ciphertext: %q, %v", got, err)
	}
}

func TestLoadOrCreateRingFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.keys")
	rings := make([]*Ring, 8)
	errs := make([]error, len(rings))
	var wg sync.WaitGroup
	for i := range rings {
		wg.Go(func() { rings[i], errs[i] = LoadOrCreateRingFile(path) })
	}
	wg.Wait()
	ct, nonce := mustSeal(t, rings[0], []byte("pw"), nil)
	for i, r := range rings {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if _, err := r.Open(ct, nonce, nil); err != nil {
			t.Fatalf("call %d got a different key: %v", i, err)
		}
	}
}

func TestLoadOrCreateRingFileRefusesLooseExisting(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "vault.keys")
	writeFile(t, path, keyLine(t, 1, testSecret(t, 1))+"\n", 0o644)
	if _, err := LoadOrCreateRingFile(path); err == nil {
		t.Fatal("LoadOrCreateRingFile accepted an existing 0644 file")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Fatalf("%s has mode %04o, want %04o", path, got, want)
	}
}

// secretForms lists the ways key bytes could show up in printed output.
func secretForms(t *testing.T, secret []byte) []string {
	t.Helper()
	return []string{
		base64.StdEncoding.EncodeToString(secret),
		base64.StdEncoding.EncodeToString(secret)[:12],
		hex.EncodeToString(secret),
		strings.ToUpper(hex.EncodeToString(secret)),
		hex.EncodeToString(secret[:6]),
		fmt.Sprint(secret[:6])[1:20], // "23 34 45 ..." decimal run
		fmt.Sprintf("%#v", secret[:4]),
		string(secret[:8]),
	}
}

func assertNoSecret(t *testing.T, out string, forms ...string) {
	t.Helper()
	for _, f := range forms {
		if strings.Contains(out, f) {
			t.Fatalf("output contains key material %q:\n%s", f, out)
		}
	}
}

func TestPrintingRedactsKeys(t *testing.T) {
	secret := testSecret(t, 4)
	key, err := NewKey(4, secret)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewRing(key)
	if err != nil {
		t.Fatal(err)
	}
	forms := secretForms(t, secret)

	type holder struct {
		key  Key
		ring *Ring
		Key  Key
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("text", "ring", ring, "key", key)
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("json", "ring", ring, "key", key, "holder", holder{key: key, ring: ring, Key: key})
	jsonKey, err := json.Marshal(key)
	if err != nil {
		t.Fatal(err)
	}
	jsonRing, err := json.Marshal(ring)
	if err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{
		"verbs": fmt.Sprintf("%v %+v %#v %s %q %x %X %d", ring, ring, ring, ring, ring, ring, ring, ring) +
			fmt.Sprintf("%v %+v %#v %s %q %x %X %d", key, key, key, key, key, key, key, key),
		"pointer key":  fmt.Sprintf("%v %+v %#v %x", &key, &key, &key, &key),
		"ring value":   fmt.Sprintf("%v %+v %#v %x %d", *ring, *ring, *ring, *ring, *ring),
		"nested":       fmt.Sprintf("%v %+v %#v", holder{key, ring, key}, holder{key, ring, key}, holder{key, ring, key}),
		"slices, maps": fmt.Sprintf("%v %+v %#v %x", []Key{key}, map[string]Key{"k": key}, []*Ring{ring}, []Key{key}),
		"slog":         logBuf.String(),
		"json":         string(jsonKey) + string(jsonRing),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			assertNoSecret(t, out, forms...)
		})
	}

	if got, want := ring.String(), "vault.Ring{versions:[4], newest:4}"; got != want {
		t.Errorf("ring.String() = %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%#v", key); !strings.Contains(got, "REDACTED") || !strings.Contains(got, "version:4") {
		t.Errorf("%%#v of key = %q, want the version and REDACTED", got)
	}
	if !strings.Contains(outputs["slog"], "newest=4") {
		t.Errorf("slog text output lacks ring details:\n%s", outputs["slog"])
	}
}

func BenchmarkSeal(b *testing.B) {
	r := ringWith(b, 1)
	pt := []byte("a typical game password")
	ad := AssociatedData(123456, "Minecraft", "builder_kid")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Seal(pt, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	r := ringWith(b, 1)
	ad := AssociatedData(123456, "Minecraft", "builder_kid")
	ct, nonce := mustSeal(b, r, []byte("a typical game password"), ad)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(ct, nonce, ad); err != nil {
			b.Fatal(err)
		}
	}
}
