// Package https terminates TLS inside `serve` for a one-box install: a
// certificate from files, or from an ACME CA (Let's Encrypt) through
// autocert, cached in the data directory; modern TLS settings; and the
// plain HTTP listener that answers ACME http-01 challenges and sends
// everyone else to https. HSTS is set by the server on TLS requests.
package https

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"pixelpals/internal/config"
)

// Front is the TLS side of one `serve`: nil-safe, a nil or disabled Front
// serves plain HTTP.
type Front struct {
	mode     string // "off", "files" or "acme"
	tls      *tls.Config
	httpAddr string
	// httpsPort is the TLS listener's port, known once it listens.
	httpsPort string
	// plain answers the HTTP listener: ACME challenges, then redirects.
	plain  http.Handler
	logger *slog.Logger
}

// New loads what the configuration asks for, refusing at startup
// (with the flag named) files that cannot be read or do not match.
// httpsAddr is the TLS listener's address, whose port redirects name.
func New(t config.TLS, cacheDir, httpsAddr string, logger *slog.Logger) (*Front, error) {
	f := &Front{mode: "off", httpAddr: t.HTTPAddr, logger: logger}
	if !t.Enabled() {
		return f, nil
	}
	_, f.httpsPort, _ = net.SplitHostPort(httpsAddr)
	redirect := f.redirector(t.Domains)
	f.tls = baseConfig()
	if t.ACME() {
		m, err := newManager(t, cacheDir)
		if err != nil {
			return nil, err
		}
		f.mode = "acme"
		f.tls.GetCertificate = m.GetCertificate
		f.tls.NextProtos = append(f.tls.NextProtos, acmeALPN)
		f.plain = withoutPort(m.HTTPHandler(redirect))
		return f, nil
	}
	fc, err := loadFileCert(t.CertFile, t.KeyFile, logger)
	if err != nil {
		return nil, err
	}
	f.mode = "files"
	f.tls.GetCertificate = fc.get
	f.plain = redirect
	return f, nil
}

// baseConfig is TLS 1.2 at least; for 1.2, only forward-secret AEAD
// suites (TLS 1.3's are all of that kind and not configurable). HTTP/2
// first, HTTP/1.1 for the rest (and the event socket's upgrade).
func baseConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
}

// Mode is "off", "files" or "acme", for the start-up log.
func (f *Front) Mode() string { return f.mode }

// Listen wraps the service's listener in TLS when Front serves it. Call
// it before ServePlain, whose redirects name the listener's port.
func (f *Front) Listen(ln net.Listener) net.Listener {
	if f.tls == nil {
		return ln
	}
	if _, port, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		f.httpsPort = port
	}
	return tls.NewListener(ln, f.tls)
}

// ServePlain opens the plain HTTP listener (if any), logs its address and
// answers on it until ctx is done or stop is called; stop returns once it
// has shut down.
func (f *Front) ServePlain(ctx context.Context) (stop func(), err error) {
	if f.plain == nil || f.httpAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return nil, fmt.Errorf("--http-addr: listen on %s: %w", f.httpAddr, err)
	}
	srv := &http.Server{
		Handler:           f.plain,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(f.logger.Handler(), slog.LevelWarn),
	}
	f.logger.Info("pixelpals redirecting http to https", "addr", ln.Addr().String(), "acme_http01", f.mode == "acme")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			f.logger.Error("http redirect listener stopped", "err", err)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // a redirect in flight matters little
	}()
	return func() { cancel(); <-done }, nil
}

// redirector sends a plain request to the same path over https, with a
// permanent redirect that keeps the method (308). The port is the TLS
// listener's unless it is 443. With ACME domains, a Host that is not one
// of them goes to the first, so the redirect never points elsewhere.
func (f *Front) redirector(domains []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(host)
		if len(domains) > 0 && !slices.Contains(domains, host) {
			host = domains[0]
		}
		if host == "" {
			http.Error(w, "use https", http.StatusBadRequest)
			return
		}
		if port := f.httpsPort; port != "" && port != "443" {
			host = net.JoinHostPort(host, port)
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// withoutPort drops the port from the Host of a plain request before the
// ACME handler checks it against the allowed domains: a CA validating on
// a port other than 80 (a test CA, a port forward) sends "name:port",
// which autocert's host policy would refuse.
func withoutPort(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			r.Host = h
		}
		next.ServeHTTP(w, r)
	})
}
