package https

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// fileCert serves the certificate of --tls-cert/--tls-key and takes a
// renewed one (certbot writes new files every few weeks) without a
// restart: at most once a minute a handshake looks at the files' times,
// and reloads them when they changed. A renewal that cannot be loaded is
// logged and the old certificate kept.
type fileCert struct {
	certFile, keyFile string
	logger            *slog.Logger
	every             time.Duration // how often a handshake looks at the files

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' modification times when loaded
	checked time.Time
}

func loadFileCert(certFile, keyFile string, logger *slog.Logger) (*fileCert, error) {
	fc := &fileCert{certFile: certFile, keyFile: keyFile, logger: logger, every: time.Minute}
	stamp, err := fc.stampNow()
	if err != nil {
		return nil, err
	}
	cert, err := fc.load()
	if err != nil {
		return nil, err
	}
	fc.cert, fc.stamp, fc.checked = cert, stamp, time.Now()
	if leaf := cert.Leaf; time.Now().After(leaf.NotAfter) {
		logger.Warn("the TLS certificate has expired", "file", certFile, "not_after", leaf.NotAfter)
	}
	return fc, nil
}

// load reads and checks the pair, naming the flag of whichever is wrong.
func (fc *fileCert) load() (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(fc.certFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	keyPEM, err := os.ReadFile(fc.keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s and --tls-key %s: %w", fc.certFile, fc.keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("--tls-cert %s: %w", fc.certFile, err)
		}
	}
	return &cert, nil
}

func (fc *fileCert) stampNow() (string, error) {
	ci, err := os.Stat(fc.certFile)
	if err != nil {
		return "", fmt.Errorf("--tls-cert: %w", err)
	}
	ki, err := os.Stat(fc.keyFile)
	if err != nil {
		return "", fmt.Errorf("--tls-key: %w", err)
	}
	return ci.ModTime().String() + "|" + ki.ModTime().String(), nil
}

// get is the tls.Config's GetCertificate.
func (fc *fileCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if time.Since(fc.checked) < fc.every {
		return fc.cert, nil
	}
	fc.checked = time.Now()
	stamp, err := fc.stampNow()
	if err != nil || stamp == fc.stamp {
		return fc.cert, nil
	}
	cert, err := fc.load()
	if err != nil {
		fc.logger.Error("renewed TLS certificate not loaded; serving the old one", "err", err)
		return fc.cert, nil
	}
	fc.cert, fc.stamp = cert, stamp
	fc.logger.Info("TLS certificate reloaded", "file", fc.certFile, "not_after", cert.Leaf.NotAfter)
	return fc.cert, nil
}
