package cli_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
	"pixelpals/internal/pgtest"
)

// acmeDomain is the name serve gets a certificate for. The test's own DNS
// server (pebble-challtestsrv) answers 127.0.0.1 for it to Pebble; the
// test's client dials 127.0.0.1 and sends it as SNI and Host.
const acmeDomain = "pixelpals.test"

// TestServeTLSFromPebble runs Let's Encrypt's test CA, Pebble (a tool in
// go.mod, built here), with real validation: serve --tls-domain asks it
// for a certificate on the first handshake, Pebble's tls-alpn-01 try
// meets a closed port and its http-01 try reaches serve's plain listener,
// then the chain served comes from Pebble's intermediate. The certificate
// is cached in <data-dir>/certs: with Pebble gone, a restarted serve
// serves the same one.
func TestServeTLSFromPebble(t *testing.T) {
	bin := buildPebble(t)
	ca := newTLSTestCA(t)
	work := t.TempDir()
	pebbleCert, pebbleKey := ca.leaf(t, work)
	caFile := filepath.Join(work, "ca.pem")
	writeTLSFile(t, caFile, ca.pem)
	ports := freeTCPPorts(t, 5) // pebble, its management, DNS, the DNS server's management, a closed port
	dataDir := t.TempDir()
	env := map[string]string{"DATABASE_URL": pgtest.URL(t), "PIXELPALS_VAULT_KEYS": keyLine(t, 1), "PIXELPALS_DATA_DIR": dataDir}
	args := []string{"--tls-domain", acmeDomain, "--http-addr", "127.0.0.1:0", "--acme-ca-file", caFile,
		"--acme-directory", fmt.Sprintf("https://127.0.0.1:%d/dir", ports[0])}
	srv := serveWithFlags(t, env, args...)
	addr := srv.addr(t)
	_, httpPort, _ := net.SplitHostPort(logLineAddr(t, srv, "pixelpals redirecting http to https"))

	dns := startTLSProgram(t, filepath.Join(bin, "pebble-challtestsrv"), nil, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-dnsserver", fmt.Sprintf("127.0.0.1:%d", ports[2]), "-management", fmt.Sprintf("127.0.0.1:%d", ports[3]),
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "")
	retryTLS(t, dns, func() error { return dialTCPOnce(fmt.Sprintf("127.0.0.1:%d", ports[2])) })
	pebble := startPebble(t, bin, work, pebbleCert, pebbleKey, ports, httpPort)
	mgmt := tlsClient(ca.pool, "")
	retryTLS(t, pebble, func() error { _, err := fetchOK(mgmt, fmt.Sprintf("https://127.0.0.1:%d/dir", ports[0])); return err })
	root := fetchPEMCert(t, mgmt, fmt.Sprintf("https://127.0.0.1:%d/roots/0", ports[1]))
	inter := fetchPEMCert(t, mgmt, fmt.Sprintf("https://127.0.0.1:%d/intermediates/0", ports[1]))
	roots := x509.NewCertPool()
	roots.AddCert(root)

	leaf := fetchIssued(t, roots, addr, pebble)
	if err := leaf.CheckSignatureFrom(inter); err != nil || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != acmeDomain {
		t.Fatalf("served certificate %v for %v: not from Pebble's intermediate %s: %v", leaf.Subject, leaf.DNSNames, inter.Subject, err)
	}
	if log := pebble.out.String(); !strings.Contains(log, "Attempting to validate w/ HTTP: http://"+acmeDomain+":"+httpPort+"/.well-known/acme-challenge/") ||
		!strings.Contains(log, "set VALID by completed challenge") {
		t.Fatalf("Pebble did not validate over http-01 on serve's plain listener:\n%s", log)
	}
	checkCertCache(t, filepath.Join(dataDir, "certs"))

	// Pebble and its DNS go; a new serve on the same data dir still
	// serves the certificate, from its cache.
	pebble.stop()
	dns.stop()
	srv.stop(t)
	again := serveWithFlags(t, env, args...)
	if got := fetchIssued(t, roots, again.addr(t), nil); !got.Equal(leaf) {
		t.Fatalf("after a restart serve sent certificate serial %v, want the cached %v", got.SerialNumber, leaf.SerialNumber)
	}
}

// buildPebble builds Pebble and its DNS server from the module go.mod
// names (go get -tool): the directory holding both.
func buildPebble(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"github.com/letsencrypt/pebble/v2/cmd/pebble", "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build pebble: %v\n%s", err, out)
	}
	return dir
}

// startPebble writes Pebble's configuration (its HTTPS from the test's
// CA; http-01 checks on serve's plain port, tls-alpn-01 on a closed one)
// and starts it, resolving names with the test's DNS server.
func startPebble(t *testing.T, bin, work, cert, key string, ports []int, httpPort string) *tlsProgram {
	t.Helper()
	hp, _ := strconv.Atoi(httpPort)
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":           fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"managementListenAddress": fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"certificate":             cert, "privateKey": key,
		"httpPort": hp, "tlsPort": ports[4],
		"retryAfter":   map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm": "ecdsa",
	}}
	b, _ := json.Marshal(conf)
	confFile := filepath.Join(work, "pebble.json")
	writeTLSFile(t, confFile, b)
	return startTLSProgram(t, filepath.Join(bin, "pebble"),
		[]string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		"-config", confFile, "-dnsserver", fmt.Sprintf("127.0.0.1:%d", ports[2]))
}

// fetchIssued fetches /healthz from serve at addr as https://acmeDomain,
// trusting roots only, until it answers (the first handshakes wait for,
// or time out on, the certificate being issued): the leaf it served.
func fetchIssued(t *testing.T, roots *x509.CertPool, addr string, ca *tlsProgram) *x509.Certificate {
	t.Helper()
	hc := tlsClient(roots, addr)
	var resp *http.Response
	retryTLS(t, ca, func() (err error) { resp, err = fetchOK(hc, "https://"+acmeDomain+"/healthz"); return err })
	checkHSTS(t, resp)
	if chain := resp.TLS.PeerCertificates; len(chain) < 2 {
		t.Fatalf("served chain of %d certificates, want the leaf and Pebble's intermediate", len(chain))
	}
	return resp.TLS.PeerCertificates[0]
}

// checkCertCache: the account key and the certificate are in the cache,
// which only its owner may open.
func checkCertCache(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("certificate cache %s: %v %v, want mode 0700", dir, fi, err)
	}
	for _, name := range []string{acmeDomain, "acme_account+key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("certificate cache: %v", err)
		}
	}
}

// fetchOK GETs url: the response (body read) if it answered 200.
func fetchOK(hc *http.Client, url string) (*http.Response, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return resp, nil
}

func fetchPEMCert(t *testing.T, hc *http.Client, url string) *x509.Certificate {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("GET %s: %d, no PEM: %s", url, resp.StatusCode, b)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// freeTCPPorts finds n ports free on 127.0.0.1 now, for programs that must
// be told theirs in advance.
func freeTCPPorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

func dialTCPOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

// tlsProgram is a program the test started; it is stopped at cleanup.
type tlsProgram struct {
	name string
	cmd  *exec.Cmd
	out  *apitest.Buffer
	done chan struct{}
}

func startTLSProgram(t *testing.T, path string, env []string, args ...string) *tlsProgram {
	t.Helper()
	p := &tlsProgram{name: filepath.Base(path), cmd: exec.Command(path, args...), out: &apitest.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	return p
}

func (p *tlsProgram) stop() {
	p.cmd.Process.Kill()
	<-p.done
}

func (p *tlsProgram) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// retryTLS retries try until it succeeds, failing at once if p (when
// given) exits and after two minutes in any case.
func retryTLS(t *testing.T, p *tlsProgram, try func() error) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := try()
		if err == nil {
			return
		}
		if p != nil && p.exited() {
			t.Fatalf("%s exited: %v\n%s", p.name, err, p.out)
		}
		if time.Now().After(deadline) {
			out := ""
			if p != nil {
				out = p.out.String()
			}
			t.Fatalf("still failing after 2 minutes: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
