package config

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// LetsEncryptDirectory is the ACME directory --tls-domain uses unless
// --acme-directory names another (a staging server, a private CA, Pebble).
const LetsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// TLS is how `serve` terminates HTTPS itself (docs/operations.md, "HTTPS on
// one box"): from certificate files, or from an ACME CA for named domains.
// The zero value serves plain HTTP (behind a TLS-terminating proxy).
type TLS struct {
	// CertFile and KeyFile are PEM files (the certificate chain, leaf
	// first, and its private key): --tls-cert, --tls-key.
	CertFile, KeyFile string
	// Domains are the host names to get certificates for from the ACME
	// directory (--tls-domain, comma-separated).
	Domains []string
	// ACMEDirectory is the ACME server's directory URL.
	ACMEDirectory string
	// ACMECAFile is a PEM file of extra roots to trust for the ACME
	// server's own HTTPS (a private CA); empty: the system's roots.
	ACMECAFile string
	// ACMEEmail is the contact the CA may write to about the certificates.
	ACMEEmail string
	// HTTPAddr is the plain HTTP listener that answers ACME http-01
	// challenges and redirects everything else to https: ":80" by default
	// with Domains, none with certificate files unless set.
	HTTPAddr string

	rawDomains string
}

// Enabled reports whether `serve` speaks TLS itself.
func (t TLS) Enabled() bool { return t.CertFile != "" || len(t.Domains) > 0 }

// ACME reports whether certificates come from an ACME directory.
func (t TLS) ACME() bool { return len(t.Domains) > 0 }

// CertCacheDir is where ACME account keys and certificates are kept, so
// that a restart does not ask the CA again (its rate limits are tight).
func (c *Config) CertCacheDir() string { return filepath.Join(c.DataDir, "certs") }

func (t *TLS) load(getenv func(string) string) {
	t.CertFile, t.KeyFile = getenv("PIXELPALS_TLS_CERT"), getenv("PIXELPALS_TLS_KEY")
	t.rawDomains = getenv("PIXELPALS_TLS_DOMAIN")
	t.ACMEDirectory = or(getenv("PIXELPALS_ACME_DIRECTORY"), LetsEncryptDirectory)
	t.ACMECAFile = getenv("PIXELPALS_ACME_CA_FILE")
	t.ACMEEmail = getenv("PIXELPALS_ACME_EMAIL")
	t.HTTPAddr = getenv("PIXELPALS_HTTP_ADDR")
}

// BindTLS registers the flags of HTTPS served by `serve` itself.
func (c *Config) BindTLS(fs *flag.FlagSet) {
	t := &c.TLS
	fs.StringVar(&t.CertFile, "tls-cert", t.CertFile, "PEM certificate chain to serve HTTPS with (env PIXELPALS_TLS_CERT); needs --tls-key")
	fs.StringVar(&t.KeyFile, "tls-key", t.KeyFile, "PEM private key of --tls-cert (env PIXELPALS_TLS_KEY)")
	fs.StringVar(&t.rawDomains, "tls-domain", t.rawDomains, "comma-separated domains to get certificates for from the ACME directory, kept in <data-dir>/certs (env PIXELPALS_TLS_DOMAIN)")
	fs.StringVar(&t.ACMEDirectory, "acme-directory", t.ACMEDirectory, "ACME directory URL for --tls-domain (env PIXELPALS_ACME_DIRECTORY)")
	fs.StringVar(&t.ACMECAFile, "acme-ca-file", t.ACMECAFile, "PEM roots to trust for the ACME server's own HTTPS, a private CA (env PIXELPALS_ACME_CA_FILE)")
	fs.StringVar(&t.ACMEEmail, "acme-email", t.ACMEEmail, "contact email given to the ACME CA (env PIXELPALS_ACME_EMAIL)")
	fs.StringVar(&t.HTTPAddr, "http-addr", t.HTTPAddr, "plain HTTP listener for ACME challenges that redirects to https (env PIXELPALS_HTTP_ADDR); default :80 with --tls-domain")
}

// finish refuses the combinations that cannot work, naming the flag.
// Whether the files can be read is checked when `serve` loads them.
func (t *TLS) finish() error {
	t.Domains = nil
	for _, d := range strings.FieldsFunc(t.rawDomains, func(r rune) bool { return r == ',' || r == ' ' }) {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if !validDomain(d) {
			return fmt.Errorf("--tls-domain %q: want a DNS name with a dot, such as chat.example.org (PIXELPALS_TLS_DOMAIN)", d)
		}
		t.Domains = append(t.Domains, d)
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return fmt.Errorf("--tls-cert is set but --tls-key is not (PIXELPALS_TLS_KEY): both are needed")
	case t.KeyFile != "" && t.CertFile == "":
		return fmt.Errorf("--tls-key is set but --tls-cert is not (PIXELPALS_TLS_CERT): both are needed")
	case t.CertFile != "" && len(t.Domains) > 0:
		return fmt.Errorf("--tls-cert and --tls-domain are both set: use certificate files or ACME, not both")
	}
	if t.ACME() {
		u, err := url.Parse(t.ACMEDirectory)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("--acme-directory %q: want an https:// URL (PIXELPALS_ACME_DIRECTORY)", t.ACMEDirectory)
		}
		if t.HTTPAddr == "" {
			t.HTTPAddr = ":80"
		}
	}
	if t.HTTPAddr != "" && !t.Enabled() {
		return fmt.Errorf("--http-addr is set without --tls-cert or --tls-domain: it redirects to the HTTPS listener, which needs one")
	}
	if t.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(t.HTTPAddr); err != nil {
			return fmt.Errorf("--http-addr %q: want host:port, such as :80 (PIXELPALS_HTTP_ADDR)", t.HTTPAddr)
		}
	}
	return nil
}

// validDomain accepts a plain DNS name of two labels or more: no IP
// address (ACME CAs refuse them), no wildcard (http-01 cannot prove one).
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || net.ParseIP(d) != nil {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
