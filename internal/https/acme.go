package https

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"pixelpals/internal/config"
)

const acmeALPN = acme.ALPNProto

// newManager gets certificates for t.Domains from t.ACMEDirectory on the
// first handshake that names one, answering tls-alpn-01 on the TLS
// listener and http-01 on the plain one, and renews them before they
// expire. The account key and certificates are kept in cacheDir (0700,
// files 0600): a restart serves them without asking the CA again.
func newManager(t config.TLS, cacheDir string) (*autocert.Manager, error) {
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("--tls-domain: certificate cache %s: %w", cacheDir, err)
	}
	// MkdirAll leaves an existing directory's mode alone; the cache holds
	// private keys.
	if err := os.Chmod(cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("--tls-domain: certificate cache %s: %w", cacheDir, err)
	}
	client, err := acmeHTTPClient(t.ACMECAFile)
	if err != nil {
		return nil, err
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cacheDir),
		HostPolicy: autocert.HostWhitelist(t.Domains...),
		Email:      t.ACMEEmail,
		Client:     &acme.Client{DirectoryURL: t.ACMEDirectory, HTTPClient: client, UserAgent: "pixelpals"},
	}, nil
}

// acmeHTTPClient talks to the ACME server: the system's roots, plus
// those of caFile for a private CA.
func acmeHTTPClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return &http.Client{Timeout: time.Minute}, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--acme-ca-file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--acme-ca-file %s: no PEM certificate in it", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: time.Minute}, nil
}
