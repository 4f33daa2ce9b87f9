package cli_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/cli"
	"pixelpals/internal/pgtest"
)

// tlsTestCA is a throwaway certificate authority: an ECDSA self-signed root
// that issues leaves for the names a test serves.
type tlsTestCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

func newTLSTestCA(t *testing.T) *tlsTestCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Pixel Pals test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tlsTestCA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf issues a server certificate for 127.0.0.1 and localhost and
// writes it and its key as PEM files in dir: their paths.
func (ca *tlsTestCA) leaf(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeTLSFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeTLSFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func writeTLSFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serveWithFlags starts `pixelpals serve` with extra flags.
func serveWithFlags(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{cancel: cancel, done: make(chan int, 1), logs: &apitest.Buffer{}}
	go func() {
		in.done <- cli.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), cli.Env{
			Stdin: strings.NewReader(""), Stdout: in.logs, Stderr: in.logs,
			Getenv: func(k string) string { return env[k] },
		})
	}()
	t.Cleanup(func() { in.stop(t) })
	return in
}

// logLineAddr is the addr of serve's log line msg, once it is written (the
// instance is up: the redirect listener logs before the main one).
func logLineAddr(t *testing.T, in *instance, msg string) string {
	t.Helper()
	in.addr(t)
	for _, line := range strings.Split(in.logs.String(), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			return rec.Addr
		}
	}
	t.Fatalf("no %q in the log:\n%s", msg, in.logs)
	return ""
}

// tlsClient trusts roots only and, when dial is set, connects there
// whatever the URL's host (which stays the SNI and Host).
func tlsClient(roots *x509.CertPool, dial string) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
	if dial != "" {
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, dial)
		}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestServeTLSFromFiles runs the real `serve` with --tls-cert/--tls-key
// made by the test's CA: a client trusting that CA logs in over HTTPS and
// reads /me; every response carries HSTS, the session cookie is Secure,
// TLS below 1.2 and plain HTTP on that port are refused, and the plain
// listener redirects to https.
func TestServeTLSFromFiles(t *testing.T) {
	ca := newTLSTestCA(t)
	certFile, keyFile := ca.leaf(t, t.TempDir())
	env := map[string]string{"DATABASE_URL": pgtest.URL(t), "PIXELPALS_VAULT_KEYS": keyLine(t, 1),
		"PIXELPALS_TLS_CERT": certFile, "PIXELPALS_TLS_KEY": keyFile}
	srv := serveWithFlags(t, env, "--http-addr", "127.0.0.1:0")
	addr := srv.addr(t)
	plainAddr := logLineAddr(t, srv, "pixelpals redirecting http to https")
	createAdmin(t, env)
	hc := tlsClient(ca.pool, "")
	base := "https://" + addr + "/api/v1"

	resp, err := hc.Post(base+"/auth/login", "application/json", strings.NewReader(`{"login":"admin@example.com","password":"admin-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login loggedIn
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if resp.StatusCode != 200 || login.Token == "" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("login over https: %d %+v", resp.StatusCode, resp.TLS)
	}
	checkHSTS(t, resp)
	sawSession := false
	for _, c := range resp.Cookies() {
		sawSession = sawSession || c.Name == "pixelpals_session"
		if !c.Secure {
			t.Errorf("cookie %s is not Secure over TLS", c.Name)
		}
	}
	if !sawSession {
		t.Errorf("no session cookie in %q", resp.Header.Values("Set-Cookie"))
	}

	req, _ := http.NewRequest("GET", base+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(me), "admin@example.com") {
		t.Fatalf("GET /me over https: %d %s", resp.StatusCode, me)
	}
	checkHSTS(t, resp)
	// An error answer carries it too.
	resp, err = hc.Get(base + "/no-such-route")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	checkHSTS(t, resp)

	refusesOldTLSAndPlain(t, ca.pool, addr)
	redirectsToHTTPS(t, plainAddr, addr)
}

func checkHSTS(t *testing.T, resp *http.Response) {
	t.Helper()
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=63072000" {
		t.Errorf("%s %s: Strict-Transport-Security %q", resp.Request.Method, resp.Request.URL.Path, got)
	}
}

// refusesOldTLSAndPlain: a TLS 1.1 client gets no handshake, and plain
// HTTP to the TLS port never reaches the API.
func refusesOldTLSAndPlain(t *testing.T, roots *x509.CertPool, addr string) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	resp, err := http.Get("http://" + addr + "/api/v1/me")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "error") {
			t.Errorf("plain HTTP to the TLS port: %d %s", resp.StatusCode, body)
		}
	}
}

// redirectsToHTTPS: the plain listener answers 308 to the same path on
// the TLS listener's port, and sets no HSTS (it means nothing there).
func redirectsToHTTPS(t *testing.T, plainAddr, tlsAddr string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+plainAddr+"/api/v1/me?x=1", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, port, _ := net.SplitHostPort(tlsAddr)
	want := "https://127.0.0.1:" + port + "/api/v1/me?x=1"
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("plain listener: %d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on plain HTTP")
	}
}

// TestServeRefusesBadTLS: serve stops at the startTLSProgram, before it reaches the
// database (here one that does not exist), with a message naming the flag.
func TestServeRefusesBadTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTLSTestCA(t)
	certFile, keyFile := ca.leaf(t, dir)
	other := t.TempDir()
	_, otherKey := ca.leaf(t, other)
	junk := filepath.Join(dir, "junk.pem")
	writeTLSFile(t, junk, []byte("not a certificate"))
	env := map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/nowhere", "PIXELPALS_VAULT_KEYS": keyLine(t, 1)}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert is set but --tls-key is not"},
		{[]string{"--tls-cert", certFile, "--tls-key", keyFile, "--tls-domain", "chat.example.org"}, "--tls-cert and --tls-domain are both set"},
		{[]string{"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", keyFile}, "--tls-cert: "},
		{[]string{"--tls-cert", certFile, "--tls-key", other}, "--tls-key: "},
		{[]string{"--tls-cert", certFile, "--tls-key", otherKey}, "--tls-cert " + certFile + " and --tls-key " + otherKey},
		{[]string{"--tls-cert", junk, "--tls-key", keyFile}, "--tls-cert " + junk + " and --tls-key"},
		{[]string{"--tls-domain", "chat.example.org", "--acme-ca-file", junk}, "--acme-ca-file " + junk + ": no PEM certificate"},
	} {
		args := append([]string{"serve", "--data-dir", t.TempDir()}, c.args...)
		code, _, stderr := run(env, args...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "127.0.0.1:1") {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
