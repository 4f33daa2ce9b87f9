package deploytest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// HAProxy is a running haproxy balancing HTTP over several `pixelpals
// serve` instances.
type HAProxy struct {
	*Process
	Port int
	// Servers are the backend names, in the order given; each answer
	// carries the name of the backend that served it in ServedByHeader.
	Servers []string
}

// ServedByHeader names the backend that answered a request through HAProxy.
const ServedByHeader = "X-Served-By"

// StartHAProxy balances requests round-robin over backends (host:port),
// named a, b, c, ... It health-checks them on /readyz, as a production
// balancer should, so an instance whose database is away gets no traffic,
// and adds X-Forwarded-For for the instances' trusted-proxy setting. It
// returns once every backend has answered through it.
func StartHAProxy(t testing.TB, backends ...string) *HAProxy {
	t.Helper()
	bin := need(t, "haproxy", "haproxy")
	dir := t.TempDir()
	var names []string
	var servers strings.Builder
	for i, addr := range backends {
		name := string(rune('a' + i))
		names = append(names, name)
		fmt.Fprintf(&servers, "  server %s %s check inter 300ms fall 2 rise 1\n", name, addr)
	}
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		conf := fmt.Sprintf(`global
  maxconn 512

defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  # A health check's read timeout (its connect is bounded by min(timeout
  # connect, inter)): a backend that accepts the connection but never
  # answers /readyz, hung or wedged, fails each check after 1s and is DOWN
  # after "fall" of them. Without it haproxy bounds the whole check by
  # inter, which ties the timeout to the check rate (300ms here, which a
  # loaded machine's /readyz can exceed and flap).
  timeout check 1s
  option forwardfor

frontend web
  bind 127.0.0.1:%d
  default_backend pixelpals

backend pixelpals
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  http-response set-header %s %%s
%s`, port, ServedByHeader, servers.String())
		cfg := filepath.Join(dir, "haproxy.cfg")
		if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		// -db: stay in the foreground; -W would fork a master.
		h := &HAProxy{Process: start(t, "haproxy", exec.Command(bin, "-db", "-f", cfg)), Port: port, Servers: names}
		up := false
		waitFor(t, time.Minute, "haproxy to listen", listening(h.Process, h.Addr(), &up), h.Output.String)
		if up {
			h.WaitAllUp(t)
			return h
		}
		if attempt == 3 || !strings.Contains(h.Output.String(), "in use") {
			t.Fatalf("haproxy exited (%v):\n%s", h.ExitErr(), h.Output)
		}
	}
}

// WaitDown waits until haproxy reports backend name DOWN (its own log
// line, on stderr under -db) and returns that line, which gives the
// reason and the failing check's duration.
func (h *HAProxy) WaitDown(t testing.TB, name string) string {
	t.Helper()
	needle := "pixelpals/" + name + " is DOWN"
	var line string
	waitFor(t, time.Minute, "haproxy to mark "+name+" down", func() bool {
		for _, l := range strings.Split(h.Output.String(), "\n") {
			if strings.Contains(l, needle) {
				line = l
				return true
			}
		}
		return false
	}, h.Output.String)
	return line
}

// Addr is the balancer's host:port.
func (h *HAProxy) Addr() string { return "127.0.0.1:" + strconv.Itoa(h.Port) }

// URL is the balancer's base URL.
func (h *HAProxy) URL() string { return "http://" + h.Addr() }

// WaitAllUp waits until every backend has served a /readyz through the
// balancer (its health checks passed).
func (h *HAProxy) WaitAllUp(t testing.TB) {
	t.Helper()
	seen := map[string]bool{}
	c := http.Client{Timeout: 5 * time.Second}
	waitFor(t, time.Minute, "every backend to answer through haproxy", func() bool {
		resp, err := c.Get(h.URL() + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				seen[resp.Header.Get(ServedByHeader)] = true
			}
		}
		for _, n := range h.Servers {
			if !seen[n] {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("seen %v\n%s", seen, h.Output) })
}
