package https

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writePair writes a fresh self-signed certificate named cn and its key,
// with modification time at: the certificate.
func writePair(t *testing.T, certFile, keyFile, cn string, at time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(at.UnixNano()), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, at, at); err != nil {
			t.Fatal(err)
		}
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// TestFileCertReload: a renewed pair on disk is served from the next
// check on; a pair that does not load leaves the last good one in use.
func TestFileCertReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	start := time.Now().Add(-time.Hour)
	first := writePair(t, certFile, keyFile, "one.example.org", start)
	fc, err := loadFileCert(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	served := func() string {
		t.Helper()
		c, err := fc.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.Subject.CommonName
	}
	renewed := writePair(t, certFile, keyFile, "two.example.org", start.Add(time.Minute))
	if got := served(); got != first.Subject.CommonName {
		t.Fatalf("reloaded before the check interval: %s", got)
	}
	fc.every = 0
	if got := served(); got != renewed.Subject.CommonName {
		t.Fatalf("renewed pair not served: %s", got)
	}
	os.WriteFile(keyFile, []byte("half written"), 0o600)
	os.Chtimes(keyFile, start.Add(2*time.Minute), start.Add(2*time.Minute))
	if got := served(); got != renewed.Subject.CommonName {
		t.Fatalf("a broken pair replaced the good one: %s", got)
	}
}
