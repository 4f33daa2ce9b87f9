package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pixelpals/internal/notify"
)

// TestVAPIDKeptInDataDir: the first start writes a key pair (0600), later
// starts read the same one; a broken file or mismatched halves stop the
// start with an error that holds no key.
func TestVAPIDKeptInDataDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "vapid.json")
	v, err := notify.LoadOrCreateVAPID(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Check(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	again, err := notify.LoadOrCreateVAPID(path)
	if err != nil || again != v {
		t.Fatalf("second start read %v (%v), want the same pair", again, err)
	}
	if strings.Contains(v.String(), v.PrivateKey) {
		t.Fatal("String shows the private key")
	}
	other, _ := notify.GenerateVAPID()
	mixed := notify.VAPID{PublicKey: other.PublicKey, PrivateKey: v.PrivateKey}
	if err := mixed.Check(); err == nil || strings.Contains(err.Error(), v.PrivateKey) {
		t.Fatalf("mismatched halves: %v, want an error without the key", err)
	}
	os.WriteFile(path, []byte(`{"public_key": "x", "private_key": "`+v.PrivateKey+`"}`), 0o600)
	if _, err := notify.LoadOrCreateVAPID(path); err == nil || strings.Contains(err.Error(), v.PrivateKey) {
		t.Fatalf("broken file: %v, want an error without the key", err)
	}
}

// TestPublicClientRefusesInside: a subscription whose endpoint points at
// the server's own machine is never connected to (the request fails
// before any byte is sent), so that a parent cannot aim pushes inside.
func TestPublicClientRefusesInside(t *testing.T) {
	reached := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	defer srv.Close()
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", u, nil)
		_, err := notify.PublicClient.Do(req)
		if err == nil || !strings.Contains(err.Error(), "not public") {
			t.Errorf("POST %s: %v, want refused as not public", u, err)
		}
	}
	if reached {
		t.Fatal("the loopback server was reached")
	}
}
